"""Notebook hygiene (tools/check_notebooks.py) and ruff (ruff.toml: also the import rules), inside `make test`.

The checker is itself tested on small synthetic notebooks that break one rule each, so a
check that silently stopped working would fail here.
"""

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools import check_notebooks as cn

ROOT = Path(__file__).resolve().parent.parent

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
REPO = cn.repository()


# ------------------------------------------------------------------ the committed notebooks


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebook_is_clean(path):
    problems = cn.check(path, REPO)
    assert not problems, "\n".join(problems)


def _ruff():
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if exe is None:
        pytest.skip("ruff is not installed: pip install -e '.[dev]'")
    return exe


@pytest.mark.parametrize("targets", [["nbhelpers", "tests", "tools", "benchmarks"], ["notebooks"]],
                         ids=["code", "notebooks"])
def test_ruff(targets):
    targets = [t for t in targets if (ROOT / t).exists()]
    if not targets:
        pytest.skip("nothing to check")
    r = subprocess.run([_ruff(), "check", "--no-cache", *targets], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, (f"ruff found problems; most fix themselves with `ruff check --fix {' '.join(targets)}`:\n"
                               + r.stdout + r.stderr)


# ------------------------------------------------------------------ the checker on bad notebooks


def good_notebook(name="01_demo.ipynb"):
    ids = iter(range(100))
    md = lambda s, **meta: {"cell_type": "markdown", "id": f"c{next(ids)}", "metadata": meta, "source": s}  # noqa: E731

    def code(s, n, outputs=(), **meta):
        return {"cell_type": "code", "id": f"c{next(ids)}", "execution_count": n, "metadata": meta,
                "outputs": list(outputs), "source": s}

    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                     "language_info": {"name": "python"}},
        "cells": [
            md(f"# 01 · Demo\n\n{cn.badge_markdown(REPO, name)}\n\nText."),
            code(cn.install_source(REPO), 1),
            code("x = 1\nx", 2, [{"output_type": "execute_result", "execution_count": 2, "metadata": {},
                                  "data": {"text/plain": "1"}}], tags=["solution"], collapsed=False),
            md("The end."),
        ],
    }


def write(tmp_path, nb, name="01_demo.ipynb"):
    p = tmp_path / name
    p.write_text(json.dumps(nb))
    return p


def test_a_good_notebook_passes(tmp_path):
    assert cn.check(write(tmp_path, good_notebook()), REPO) == []


def _break(nb, how):
    "A copy of `nb` with one defect, and nothing else wrong with it."
    nb = copy.deepcopy(nb)
    cells = nb["cells"]
    if how == "counts-gap":
        cells[2]["execution_count"] = cells[2]["outputs"][0]["execution_count"] = 3
    elif how == "counts-none":
        cells[2]["execution_count"] = cells[2]["outputs"][0]["execution_count"] = None
    elif how == "stale-output":
        cells[2]["outputs"][0]["execution_count"] = 7
    elif how == "trailing-semicolon":
        cells[2]["source"] = cells[2]["source"].rstrip() + ";"
    elif how == "empty-trailing":
        cells.append({"cell_type": "markdown", "id": "empty", "metadata": {}, "source": "\n"})
    elif how == "no-cell-id":
        del cells[3]["id"]
    elif how == "widgets":
        nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    elif how == "toc":
        nb["metadata"]["toc"] = {"number_sections": True}
    elif how == "varInspector-cell":
        cells[2]["metadata"]["varInspector"] = {"cols": {}}
    elif how == "execution-timings":
        cells[2]["metadata"]["execution"] = {"iopub.execute_input": "2024-01-01T00:00:00Z",
                                             "shell.execute_reply": "2024-01-01T00:00:01Z"}
    elif how == "home-in-output":
        cells[2]["outputs"].append({"output_type": "stream", "name": "stdout", "text": "/home/alice/x.png\n"})
    elif how == "root-in-metadata":
        nb["metadata"]["kernelspec"]["argv"] = ["/root/.venv/bin/python"]
    elif how == "stderr":
        cells[2]["outputs"].append({"output_type": "stream", "name": "stderr", "text": "UserWarning: hm\n"})
    elif how == "error-output":
        cells[2]["outputs"].append({"output_type": "error", "ename": "ValueError", "evalue": "", "traceback": []})
    elif how == "no-badge":
        cells[0]["source"] = "# 01 · Demo\n\nText."
    elif how == "badge-other-repo":
        cells[0]["source"] = cells[0]["source"].replace("nn-from-scratch", "someone-else")
    elif how == "badge-other-file":
        cells[0]["source"] = cells[0]["source"].replace("01_demo.ipynb", "02_other.ipynb")
    elif how == "no-install-cell":
        del cells[1]
        cells[1]["execution_count"] = cells[1]["outputs"][0]["execution_count"] = 1  # counts stay 1..N
    elif how == "old-colab-install":
        cells[1]["source"] = ('import sys\nif "google.colab" in sys.modules:\n'
                              f'    %pip install -q "nbhelpers @ git+{REPO}"')
    elif how == "unguarded-install":
        cells[1]["source"] = f'%pip install -q "nbhelpers @ git+{REPO}"'
    elif how == "install-other-repo":
        cells[1]["source"] = cells[1]["source"].replace("nn-from-scratch", "someone-else")
    elif how == "install-mounts-drive":
        cells[1]["source"] += "\n    from google.colab import drive; drive.mount('/content/drive')"
    return nb


# Each defect, and the words of the one check that must catch it.
BREAKS = {"counts-gap": "execution counts", "counts-none": "execution counts", "stale-output": "stale output",
          "trailing-semicolon": "end with ';'", "empty-trailing": "empty cell(s) at the end", "no-cell-id": "not a valid nbformat 4 notebook",
          "widgets": "notebook metadata has ['widgets']", "toc": "notebook metadata has ['toc']",
          "varInspector-cell": "cell metadata 'varInspector'", "execution-timings": "cell metadata 'execution'",
          "home-in-output": "home folder '/home/alice/'", "root-in-metadata": "home folder '/root/'",
          "stderr": "wrote to stderr", "error-output": "stored an error", "no-badge": "Colab badge",
          "badge-other-repo": "Colab badge points at", "badge-other-file": "Colab badge points at",
          "no-install-cell": "exactly the install cell", "old-colab-install": "exactly the install cell",
          "unguarded-install": "exactly the install cell", "install-other-repo": "exactly the install cell",
          "install-mounts-drive": "exactly the install cell"}


@pytest.mark.parametrize("how", BREAKS)
def test_a_bad_notebook_fails_on_its_own_check(tmp_path, how):
    problems = cn.check(write(tmp_path, _break(good_notebook(), how)), REPO)
    assert len(problems) == 1 and BREAKS[how] in problems[0], \
        f"{how}: expected exactly one problem saying {BREAKS[how]!r}, got {problems}"
    assert problems[0].startswith("01_demo.ipynb: ")


def test_fix_badges_and_strip_metadata_repair_a_notebook(tmp_path):
    nb = _break(_break(_break(good_notebook(), "badge-other-repo"), "install-other-repo"), "widgets")
    p = write(tmp_path, nb)
    assert cn.fix_badges(p, REPO) and cn.strip_metadata(p)
    assert cn.check(p, REPO) == []
    assert not cn.fix_badges(p, REPO) and not cn.strip_metadata(p), "fixing twice must change nothing"
    # a notebook without badge or install cell gets both, after its title
    p = write(tmp_path, _break(_break(good_notebook(), "no-badge"), "no-install-cell"))
    cn.fix_badges(p, REPO)
    cells = json.loads(p.read_text())["cells"]
    assert "".join(cells[0]["source"]).startswith("# 01 · Demo\n\n[![Open In Colab]")
    assert "".join(cells[1]["source"]) == cn.install_source(REPO)
    assert all(c.get("id") for c in cells), "inserted cells need the id that nbformat 4.5 requires"
    assert [p for p in cn.check(p, REPO) if "execution counts" not in p] == []


def test_badge_address_comes_from_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[project.urls]\n'
                                             'Repository = "https://github.com/me/fork.git"\n')
    repo = cn.repository(tmp_path / "pyproject.toml")
    assert repo == "https://github.com/me/fork"
    assert cn.badge_url(repo, "03_x.ipynb") == \
        "https://colab.research.google.com/github/me/fork/blob/main/notebooks/03_x.ipynb"


def test_command_line_exit_status(tmp_path, capsys):
    good = write(tmp_path, good_notebook())
    bad = write(tmp_path, _break(good_notebook(), "counts-gap"), name="02_bad.ipynb")
    assert cn.main([str(good)]) == 0 and "1 notebook(s) clean" in capsys.readouterr().out
    assert cn.main([str(good), str(bad)]) == 1 and "02_bad.ipynb" in capsys.readouterr().out
