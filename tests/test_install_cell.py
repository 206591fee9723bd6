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
dependency upgraded or downgraded).  What it does not prove: downloading the dependencies (they
are all present, so pip runs with --no-index) or GitHub's side of the clone.  About 30 s.
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

from tools import student

ROOT = Path(__file__).resolve().parent.parent

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
STUDENT = sorted((ROOT / student.FOLDER).glob("[0-9]*.ipynb"))
REPO = student.repository()
CONTRACT = (
    "# Install this series' helpers where they are missing (Colab, a JupyterHub, a plain Jupyter); "
    "a no-op where they are installed.\n"
    "import importlib.util\n"
    'if importlib.util.find_spec("nbhelpers") is None:\n'
    f'    %pip install -q "nbhelpers @ git+{REPO}"')


def code_cells(path):
    return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS + STUDENT, ids=[f"{p.parent.name}/{p.name}" for p in NOTEBOOKS + STUDENT])
def test_first_code_cell_is_the_install_cell(path):
    first = code_cells(path)[0].strip()
    assert first == CONTRACT, f"{path.name}: the first code cell should be exactly\n{CONTRACT}\nit is\n{first}"


def _pip_freeze(python):
    out = subprocess.run([str(python), "-m", "pip", "freeze", "--disable-pip-version-check"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.splitlines())


@pytest.fixture
def fresh_kernel(tmp_path, monkeypatch):
    "A kernel name whose kernel runs in a fresh venv without nbhelpers; returns (name, its python)."
    if shutil.which("git") is None:
        pytest.skip("git is not installed (pip needs it for a git+ address)")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # venv's own old setuptools cannot build a wheel without `wheel`; the checkout's newer one can.
    for p in site.glob("*"):
        if p.name.startswith(("setuptools", "_distutils_hack", "distutils-precedence", "pkg_resources")):
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    deps = tmp_path / "deps"  # everything the checkout's .venv has, except nbhelpers and pip
    deps.mkdir()
    for p in Path(sysconfig.get_path("purelib")).iterdir():
        if not re.match(r"(nbhelpers|__editable__|pip\b|pip-)", p.name) and p.suffix != ".pth":
            (deps / p.name).symlink_to(p)
    (site / "deps.pth").write_text(f"{deps}\n")
    spec = tmp_path / "jupyter" / "kernels" / "fresh-venv"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh venv without nbhelpers", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "fresh-venv", venv / "bin" / "python"


def test_install_cell_installs_nbhelpers_where_it_is_missing(fresh_kernel, tmp_path):
    from nbclient import NotebookClient

    name, python = fresh_kernel
    install = code_cells(NOTEBOOKS[0])[0]
    assert f"git+{REPO}" in install, f"the install cell should install git+{REPO}"
    local = install.replace(f"git+{REPO}", f"git+file://localhost{ROOT}")
    set_up = code_cells(NOTEBOOKS[0])[1]  # the cell the install cell exists for
    assert "nbhelpers" in set_up
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in (
        'import importlib.util, sys\nprint(importlib.util.find_spec("nbhelpers") is None, sys.prefix)',
        local,
        "import nbhelpers\nprint(nbhelpers.__file__)",
        set_up,
        local,
    )])
    before = _pip_freeze(python)
    assert not any(line.startswith("nbhelpers") for line in before)
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           "NBHELPERS_QUIET": "1"}
    env.pop("PYTHONPATH", None)
    client = NotebookClient(nb, timeout=600, kernel_name=name, resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=env)

    def text(i):
        return "".join(o.get("text", "") for o in nb.cells[i].outputs)

    venv = str(python.parent.parent)
    assert text(0).split() == ["True", venv], f"nbhelpers should be missing in the fresh venv at first: {text(0)}"
    assert text(2).startswith(venv) and text(2).strip().endswith("nbhelpers/__init__.py"), (
        f"after the install cell, nbhelpers should come from the fresh venv: {text(2)}")
    assert not [o for c in nb.cells for o in c.outputs if o.output_type == "error"]
    assert nb.cells[4].outputs == [], f"a second run should do nothing, it printed {nb.cells[4].outputs}"
    after = _pip_freeze(python)
    assert before <= after and all(line.startswith("nbhelpers") for line in after - before), (
        f"pip changed more than nbhelpers: removed {sorted(before - after)}, added {sorted(after - before)}")
