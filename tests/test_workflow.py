"""The fork CI workflow (.github/workflows/ci.yml) does what the README promises (runs `make test`, caches pip
and fastai's data, uploads screenshots and executed notebooks when it fails). It cannot run here; `make lint`
runs actionlint on it."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / ".github" / "workflows" / "ci.yml"


def test_ci_runs_the_readme_test_command_and_keeps_what_fails():
    yaml = pytest.importorskip("yaml")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme, "the README no longer names `make test` as the test command: update ci.yml"
    flow = yaml.safe_load(CI.read_text())
    (job,) = flow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest", "a fork's CI should run on a standard hosted runner"
    steps = job["steps"]
    runs = [s.get("run", "").strip() for s in steps]
    assert "make test" in runs, f"no step runs `make test`: {runs}"
    uses = {s.get("uses", "").split("@")[0]: s for s in steps if "uses" in s}
    assert uses["actions/setup-python"]["with"].get("cache") == "pip", "pip's downloads are not cached"
    assert "~/.fastai/data" in uses["actions/cache"]["with"]["path"], "fastai's data folder is not cached"
    upload = uses["actions/upload-artifact"]
    assert upload.get("if") == "failure()", "the artifacts should be uploaded when the run fails"
    for path in ("build/screenshots", "build/notebooks"):
        assert path in upload["with"]["path"], f"{path} is not uploaded on failure"
