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


def test_colab_workflow_runs_make_test_colab_weekly_on_the_newest_list():
    yaml = pytest.importorskip("yaml")
    flow = yaml.safe_load((CI.parent / "colab.yml").read_text())
    assert flow[True]["schedule"], "the Colab test should run on a schedule"  # PyYAML reads `on:` as True
    runs = [s.get("run", "") for s in flow["jobs"]["colab"]["steps"]]
    assert any("backend-info" in r and "pip-freeze.txt" in r for r in runs), "it should fetch Colab's newest list"
    assert any(r.startswith("make test-colab COLAB_FREEZE=build/colab/pip-freeze.txt") for r in runs), runs
    assert (ROOT / "tests" / "colab" / "pip-freeze.txt").exists(), "the dated copy the README's result comes from"
