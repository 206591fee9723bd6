"""Notebook hygiene (tools/check_notebooks.py) and ruff, as pre-commit runs them, inside `make test`.

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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import check_notebooks as cn  # noqa: E402

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


def test_pre_commit_config_runs_the_same_checks():
    text = (ROOT / ".pre-commit-config.yaml").read_text()
    assert "ruff" in text and "tools/check_notebooks.py" in text


# ------------------------------------------------------------------ the checker on bad notebooks


def good_notebook(name="01_demo.ipynb"):
    md = lambda s, **meta: {"cell_type": "markdown", "metadata": meta, "source": s}  # noqa: E731

    def code(s, n, outputs=(), **meta):
        return {"cell_type": "code", "execution_count": n, "metadata": meta, "outputs": list(outputs), "source": s}

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
    nb = copy.deepcopy(nb)
    cells = nb["cells"]
    if how == "counts-gap":
        cells[2]["execution_count"] = 3
    elif how == "counts-none":
        cells[2]["execution_count"] = None
    elif how == "stale-output":
        cells[2]["outputs"][0]["execution_count"] = 7
    elif how == "empty-trailing":
        cells.append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": ""})
    elif how == "widgets":
        nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    elif how == "toc":
        nb["metadata"]["toc"] = {"number_sections": True}
    elif how == "varInspector-cell":
        cells[2]["metadata"]["varInspector"] = {"cols": {}}
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
    elif how == "unguarded-install":
        cells[1]["source"] = f'%pip install -q "nbhelpers @ git+{REPO}"'
    elif how == "install-other-repo":
        cells[1]["source"] = cells[1]["source"].replace("nn-from-scratch", "someone-else")
    elif how == "install-mounts-drive":
        cells[1]["source"] += "\n    from google.colab import drive; drive.mount('/content/drive')"
    return nb


BREAKS = ["counts-gap", "counts-none", "stale-output", "empty-trailing", "widgets", "toc", "varInspector-cell",
          "home-in-output", "root-in-metadata", "stderr", "error-output", "no-badge", "badge-other-repo",
          "badge-other-file", "no-install-cell", "unguarded-install", "install-other-repo", "install-mounts-drive"]


@pytest.mark.parametrize("how", BREAKS)
def test_a_bad_notebook_fails(tmp_path, how):
    problems = cn.check(write(tmp_path, _break(good_notebook(), how)), REPO)
    assert problems, f"check_notebooks did not notice: {how}"
    assert all(p.startswith("01_demo.ipynb: ") for p in problems)


def test_nbclient_timings_are_tolerated_and_other_cell_metadata_is_not(tmp_path):
    nb = good_notebook()
    nb["cells"][2]["metadata"]["execution"] = {"iopub.execute_input": "2024-01-01T00:00:00Z",
                                               "shell.execute_reply": "2024-01-01T00:00:01Z"}
    assert cn.check(write(tmp_path, nb), REPO) == []
    nb["cells"][2]["metadata"]["ExecuteTime"] = {"end_time": "2024-01-01T00:00:01Z"}
    assert any("ExecuteTime" in p for p in cn.check(write(tmp_path, nb), REPO))


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
    assert cn.COLAB_GUARD in "".join(cells[1]["source"])


def test_badge_address_comes_from_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[project.urls]\n'
                                             'Repository = "https://github.com/me/fork.git"\n')
    repo = cn.repository(tmp_path / "pyproject.toml")
    assert repo == "https://github.com/me/fork"
    assert cn.badge_url(repo, "03_x.ipynb") == \
        "https://colab.research.google.com/github/me/fork/blob/main/notebooks/03_x.ipynb"


def test_command_line_exit_status(tmp_path):
    good = write(tmp_path, good_notebook())
    bad = write(tmp_path, _break(good_notebook(), "counts-gap"), name="02_bad.ipynb")
    run = lambda *a: subprocess.run([sys.executable, str(ROOT / "tools" / "check_notebooks.py"), *a],  # noqa: E731
                                    capture_output=True, text=True)
    assert run(str(good)).returncode == 0
    r = run(str(good), str(bad))
    assert r.returncode == 1 and "02_bad.ipynb" in r.stdout
