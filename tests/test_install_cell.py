"""The install cell on a plain Jupyter where nbhelpers is not installed (a JupyterHub, a laptop).

What the test builds: a fresh virtual environment (`python -m venv`) whose own site-packages has
no nbhelpers, with the project's dependencies (torch, fastai, ipykernel, ...) made visible from
this checkout's .venv through a .pth file (everything but nbhelpers), and a Jupyter kernel that
runs in it.  In that kernel it runs the notebooks' own install cell, with one change: the address
`git+https://github.com/<owner>/<name>` becomes `git+file://localhost/<this checkout>` (no network
here), so pip clones and builds this repository's committed HEAD exactly as it would clone GitHub.

What it proves: `nbhelpers` is missing at first, the cell installs it into the kernel's own
environment, the very next cell imports it and runs the notebook's set-up cell (no restart), a
second run of the cell does nothing, and pip changes nothing else in the environment (no
dependency upgraded or downgraded).  When the install cannot work (the address unreachable, no
git on the PATH, no network for a missing PyTorch) the cell raises an error that says what failed
and what to do, so Run All stops there instead of failing later with `No module named 'torch'`.
The cell tested is `tools.check_notebooks.install_source`, the one source the notebooks are
written from (`python -m tools.check_notebooks --fix-badges`).  What it does not prove:
downloading the dependencies (they are all present, so pip runs with --no-index) or GitHub's side
of the clone.  About 30 s per kernel.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest

from tools.check_notebooks import install_source

ROOT = Path(__file__).resolve().parent.parent
LOCAL = install_source(f"file://localhost{ROOT}")  # the install cell, with this checkout for GitHub
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed (pip needs it for a git+ address)")


def fresh_venv_kernel(tmp_path, monkeypatch, leave_out=()):
    "A kernel name whose kernel runs in a fresh venv without nbhelpers (nor `leave_out`); returns (name, its python)."
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # venv's own old setuptools cannot build a wheel without `wheel`; the checkout's newer one can.
    for p in site.glob("*"):
        if p.name.startswith(("setuptools", "_distutils_hack", "distutils-precedence", "pkg_resources")):
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    deps = tmp_path / "deps"  # everything the checkout's .venv has, except nbhelpers and pip
    deps.mkdir()
    skip = re.compile(r"(nbhelpers|__editable__|pip\b|pip-" + "".join(rf"|{n}\b" for n in leave_out) + ")")
    for p in Path(sysconfig.get_path("purelib")).iterdir():
        if not skip.match(p.name) and p.suffix != ".pth":
            (deps / p.name).symlink_to(p)
    (site / "deps.pth").write_text(f"{deps}\n")
    spec = tmp_path / "jupyter" / "kernels" / "fresh-venv"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh venv without nbhelpers", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "fresh-venv", python


def _pip_freeze(python):
    out = subprocess.run([str(python), "-m", "pip", "freeze", "--disable-pip-version-check"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.splitlines())


@pytest.fixture
def fresh_kernel(tmp_path, monkeypatch):
    return fresh_venv_kernel(tmp_path, monkeypatch)


def run_all(sources, kernel, tmp_path, **env):
    """Run the cells as Run All does, stopping at the first error, in a kernel that downloads nothing (no index)
    and sees no PYTHONPATH into this checkout.  Returns (notebook, the error or None)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NBHELPERS_WHEEL")} | {
        "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "NBHELPERS_QUIET": "1"} | env
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    try:
        NotebookClient(nb, timeout=600, kernel_name=kernel, resources={"metadata": {"path": str(tmp_path)}}).execute(env=env)
    except CellExecutionError as e:
        return nb, e
    return nb, None


def text(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def assert_stops_at_the_install_cell(nb, error, says):
    assert error is not None, "Run All should stop at the install cell"
    errors = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert errors and errors[0].ename == "RuntimeError", f"the install cell should raise RuntimeError: {nb.cells[0].outputs}"
    for want in says:
        assert want in errors[0].evalue, f"the error should say {want!r}: {errors[0].evalue}"
    assert nb.cells[1].execution_count is None and not nb.cells[1].outputs, "Run All must not go past the install cell"


@needs_git
def test_install_cell_stops_when_the_address_is_unreachable(fresh_kernel, tmp_path):
    cell = install_source("https://127.0.0.1:9/nowhere/digits-2-vs-6")  # a closed port: refused at once
    nb, error = run_all([cell, "import nbhelpers"], fresh_kernel[0], tmp_path)
    assert_stops_at_the_install_cell(nb, error, ["Could not install nbhelpers @ git+https://127.0.0.1:9/",
                                                 "no network, or the address unreachable", "When something goes wrong"])
    assert "PyTorch is missing" not in text(nb.cells[0]), "torch is there: no download notice"


def test_install_cell_stops_without_git(fresh_kernel, tmp_path):
    (tmp_path / "bin-without-git").mkdir()
    nb, error = run_all([LOCAL, "import nbhelpers"], fresh_kernel[0], tmp_path, PATH=str(tmp_path / "bin-without-git"))
    assert_stops_at_the_install_cell(nb, error, ["git is not installed", "NBHELPERS_WHEEL", "When something goes wrong"])


@needs_git
def test_install_cell_warns_before_downloading_pytorch_and_stops_offline(tmp_path, monkeypatch):
    "No torch in the environment and no network (pip --no-index): the notice first, pip's own output, then the error."
    name, _ = fresh_venv_kernel(tmp_path, monkeypatch, leave_out=("torch", "fastai"))
    (tmp_path / "no-wheels").mkdir()  # and no local folder of wheels either (PIP_FIND_LINKS)
    nb, error = run_all([LOCAL, "import torch"], name, tmp_path, PIP_FIND_LINKS=str(tmp_path / "no-wheels"))
    assert_stops_at_the_install_cell(nb, error, ["Could not install", "When something goes wrong"])
    out = text(nb.cells[0])
    assert out.startswith("PyTorch is missing: pip downloads it now with fastai, about 3 GB"), out[:300]
    assert "%pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu" in out
    assert "torch" in out[out.index("\n"):], f"pip's own output (not quiet) should follow the notice: {out[:600]}"


@needs_git
def test_install_cell_installs_nbhelpers_where_it_is_missing(fresh_kernel, tmp_path):
    name, python = fresh_kernel
    notebook = nbformat.read(sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))[0], as_version=4)
    set_up = [c.source for c in notebook.cells if c.cell_type == "code"][1]  # the cell the install cell exists for
    assert "nbhelpers" in set_up
    before = _pip_freeze(python)
    assert not any(line.startswith("nbhelpers") for line in before)
    nb, error = run_all(['import importlib.util, sys\nprint(importlib.util.find_spec("nbhelpers") is None, sys.prefix)',
                         LOCAL, "import nbhelpers\nprint(nbhelpers.__file__)", set_up, LOCAL], name, tmp_path)
    assert error is None, error
    venv = str(python.parent.parent)
    assert text(nb.cells[0]).split() == ["True", venv], f"nbhelpers should be missing in the fresh venv at first: {text(nb.cells[0])}"
    assert text(nb.cells[2]).startswith(venv) and text(nb.cells[2]).strip().endswith("nbhelpers/__init__.py"), (
        f"after the install cell, nbhelpers should come from the fresh venv: {text(nb.cells[2])}")
    assert nb.cells[4].outputs == [], f"a second run should do nothing, it printed {nb.cells[4].outputs}"
    after = _pip_freeze(python)
    assert before <= after and all(line.startswith("nbhelpers") for line in after - before), (
        f"pip changed more than nbhelpers: removed {sorted(before - after)}, added {sorted(after - before)}")

