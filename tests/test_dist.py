"""No git needed: `make dist` builds a wheel and an sdist that twine accepts, and the notebooks' install cell
installs that wheel (NBHELPERS_WHEEL) into a fresh virtual environment with no git on the PATH; notebook 01's
first cells then run there.  The build runs without isolation (this checkout's setuptools, no download);
the dependencies come from this checkout's .venv as in tests/test_install_cell.py.  About a minute.
"""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from test_install_cell import fresh_venv_kernel, run_all, text

from tools import check_notebooks

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    "dist/ as `make dist` writes it (built here without isolation, so nothing is downloaded)."
    pytest.importorskip("build", reason="`build` is in the dev extra: make (or pip install -c constraints.txt build)")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    return out


def test_make_dist_builds_a_wheel_and_an_sdist_that_twine_accepts(dist):
    pytest.importorskip("twine", reason="`twine` is in the dev extra")
    wheel, sdist = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    assert len(wheel) == 1 and len(sdist) == 1, sorted(p.name for p in dist.iterdir())
    names = zipfile.ZipFile(wheel[0]).namelist()
    package = sorted(p.name for p in (ROOT / "nbhelpers").glob("*.py"))
    assert sorted(n.split("/")[1] for n in names if n.startswith("nbhelpers/")) == package, names
    check = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, wheel + sdist)],
                           capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.count("PASSED") == 2, check.stdout + check.stderr


def test_install_cell_installs_the_wheel_without_git(dist, tiny_mnist, tmp_path, monkeypatch):
    name, python = fresh_venv_kernel(tmp_path, monkeypatch)
    (wheel,) = dist.glob("*.whl")
    no_git = tmp_path / "bin-without-git"  # a shell (IPython's %pip runs pip through `sh`), but no git
    no_git.mkdir()
    (no_git / "sh").symlink_to(shutil.which("sh"))
    notebook = nbformat.read(sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))[0], as_version=4)
    first = [c.source for c in notebook.cells if c.cell_type == "code"][1:5]  # set-up, a, b, mnist_path(), listing
    assert "mnist_path()" in first[2], first
    install = check_notebooks.install_source(check_notebooks.repository())
    nb, error = run_all([install, "import nbhelpers\nprint(nbhelpers.__file__)", *first], name, tmp_path,
                        NBHELPERS_WHEEL=str(wheel), PATH=str(no_git), MNIST_PNG=str(tiny_mnist))
    assert error is None, f"Run All should pass: {error}"
    assert text(nb.cells[1]).startswith(str(python.parent.parent)), "nbhelpers should come from the fresh venv"
    assert "MNIST: your own copy" in text(nb.cells[4]), text(nb.cells[4])
