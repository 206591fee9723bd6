"""Notebook hygiene (tools/check_notebooks.py) and ruff (ruff.toml: also the import rules), inside `make test`.

The checker is itself tested on a small notebook broken one way at a time, so a check that silently
stopped working would fail here.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import check_notebooks as cn

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
REPO = cn.repository()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebook_is_clean(path):
    problems = cn.check(path, REPO)
    assert not problems, "\n".join(problems)


def test_ruff():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed: pip install -e '.[dev]'")
    targets = ["nbhelpers", "tests", "tools", "benchmarks", "notebooks"]
    r = subprocess.run([ruff, "check", "--no-cache", *targets], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, (f"ruff found problems; most fix themselves with `ruff check --fix {' '.join(targets)}`:\n"
                               + r.stdout + r.stderr)


# ------------------------------------------------------------------ the checker on bad notebooks


def good_notebook():
    "01_demo.ipynb as a clean run leaves it: the badge, the install cell, a cell with its output."
    v4 = nbformat.v4
    return v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                  "language_info": {"name": "python"}},
        cells=[v4.new_markdown_cell(f"# 01 · Demo\n\n{cn.badge_markdown(REPO, '01_demo.ipynb')}\n\nText."),
               v4.new_code_cell(cn.install_source(REPO), execution_count=1),
               v4.new_code_cell("x = 1\nx", execution_count=2, metadata={"tags": ["solution"], "collapsed": False},
                                outputs=[v4.new_output("execute_result", {"text/plain": "1"}, execution_count=2)]),
               v4.new_markdown_cell("The end.")])


def write(tmp_path, nb, name="01_demo.ipynb"):
    "Write `nb` as it is (nbformat.write would add a missing cell id)."
    path = tmp_path / name
    path.write_text(json.dumps(nb))
    return path


def broken(how):
    "The good notebook with one defect, and nothing else wrong with it."
    nb = good_notebook()
    cells, output = nb.cells, nb.cells[2].outputs[0]
    if how == "counts-gap":
        cells[2].execution_count = output.execution_count = 3
    elif how == "stale-output":
        output.execution_count = 7
    elif how == "trailing-semicolon":
        cells[2].source += ";"
    elif how == "empty-trailing":
        cells.append(nbformat.v4.new_markdown_cell("\n"))
    elif how == "no-cell-id":
        del cells[3]["id"]
    elif how == "widgets":
        nb.metadata.widgets = {"application/vnd.jupyter.widget-state+json": {}}
    elif how == "execution-timings":
        cells[2].metadata.execution = {"iopub.execute_input": "2024-01-01T00:00:00Z"}
    elif how == "home-in-output":
        cells[2].outputs.append(nbformat.v4.new_output("stream", name="stdout", text="/home/alice/x.png\n"))
    elif how == "root-in-metadata":
        nb.metadata.kernelspec.argv = ["/root/.venv/bin/python"]
    elif how == "stderr":
        cells[2].outputs.append(nbformat.v4.new_output("stream", name="stderr", text="UserWarning: hm\n"))
    elif how == "error-output":
        cells[2].outputs.append(nbformat.v4.new_output("error", ename="ValueError", evalue="", traceback=[]))
    elif how == "no-badge":
        cells[0].source = "# 01 · Demo\n\nText."
    elif how == "badge-other-file":
        cells[0].source = cells[0].source.replace("01_demo.ipynb", "02_other.ipynb")
    elif how == "install-other-repo":
        cells[1].source = cells[1].source.replace("nn-from-scratch", "someone-else")
    return nb


# Each defect, and the words of the one check that must catch it.
BREAKS = {"counts-gap": "execution counts", "stale-output": "stale output", "trailing-semicolon": "end with ';'",
          "empty-trailing": "empty cell(s) at the end", "no-cell-id": "not a valid nbformat 4 notebook",
          "widgets": "notebook metadata has ['widgets']", "execution-timings": "cell metadata 'execution'",
          "home-in-output": "home folder '/home/alice/'", "root-in-metadata": "home folder '/root/'",
          "stderr": "wrote to stderr", "error-output": "stored an error", "no-badge": "Colab badge",
          "badge-other-file": "Colab badge points at", "install-other-repo": "exactly the install cell"}


def test_a_good_notebook_passes(tmp_path):
    assert cn.check(write(tmp_path, good_notebook()), REPO) == []


@pytest.mark.parametrize("how", BREAKS)
def test_a_bad_notebook_fails_on_its_own_check(tmp_path, how):
    problems = cn.check(write(tmp_path, broken(how)), REPO)
    assert len(problems) == 1 and problems[0].startswith("01_demo.ipynb: ") and BREAKS[how] in problems[0], \
        f"{how}: expected exactly one problem saying {BREAKS[how]!r}, got {problems}"


def test_fix_repairs_a_notebook(tmp_path):
    nb = broken("badge-other-file")
    nb.cells[1].source = broken("install-other-repo").cells[1].source
    nb.metadata.widgets = {}
    path = write(tmp_path, nb)
    assert cn.fix(path, REPO) and cn.check(path, REPO) == []
    assert not cn.fix(path, REPO), "fixing twice must change nothing"
    # a notebook without badge or install cell gets both, after its title
    nb = broken("no-badge")
    del nb.cells[1]
    path = write(tmp_path, nb)
    cn.fix(path, REPO)
    cells = nbformat.read(path, as_version=4).cells
    assert cells[0].source.startswith("# 01 · Demo\n\n[![Open In Colab]") and cells[1].source == cn.install_source(REPO)
    assert [p for p in cn.check(path, REPO) if "execution counts" not in p] == [], "inserted cells need ids too"


def test_badge_address_comes_from_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[project.urls]\n'
                                             'Repository = "https://github.com/me/fork.git"\n')
    repo = cn.repository(tmp_path / "pyproject.toml")
    assert repo == "https://github.com/me/fork"
    assert cn.badge_url(repo, "03_x.ipynb") == \
        "https://colab.research.google.com/github/me/fork/blob/main/notebooks/03_x.ipynb"


def test_command_line_exit_status(tmp_path, capsys):
    good = write(tmp_path, good_notebook())
    bad = write(tmp_path, broken("counts-gap"), name="02_bad.ipynb")
    assert cn.main([str(good)]) == 0 and "1 notebook(s) clean" in capsys.readouterr().out
    assert cn.main([str(good), str(bad)]) == 1 and "02_bad.ipynb" in capsys.readouterr().out
