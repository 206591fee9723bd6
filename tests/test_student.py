"""The student edition (tools/student.py, the committed student/) and the exercise checkers (nbhelpers.checks).

* student/ is what `make student` writes from notebooks/ today (regenerated in a temporary folder
  and compared byte for byte: no notebook is executed, a few seconds); a stale copy fails;
* every student notebook has no answer left, no outputs, and its own Colab badge;
* every checker in nbhelpers.checks is used by an exercise (its docstring names it);
* the tool's rules, on small notebooks: Run All works unanswered, and checks once answered;
* Run All on the student edition with the exercises left as given, on the offline sample in an
  empty HOME: marked slow (minutes), so only with `pytest -m slow tests/test_student.py`.
"""

import filecmp
import os
import re
import time
from pathlib import Path

import nbformat
import pytest
import torch

from nbhelpers import checks, model
from tools import student
from tools.check_notebooks import badge_url, repository

ROOT = Path(__file__).resolve().parent.parent

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
COMMITTED = ROOT / student.FOLDER


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    "The student edition of every notebook, made by the command `make student` runs, in a temporary folder."
    out = tmp_path_factory.mktemp("student")
    assert student.main(["--out", str(out)]) == 0, "tools/student.py refused a notebook: see its message above"
    return out


def test_committed_student_edition_is_up_to_date(edition):
    names = {p.name for p in edition.iterdir()} | {p.name for p in COMMITTED.iterdir() if p.is_file()}
    _, stale, missing = filecmp.cmpfiles(edition, COMMITTED, sorted(names), shallow=False)
    assert not stale + missing, (f"student/ is out of date with notebooks/ ({', '.join(stale + missing)}): "
                                 "run `make student` and commit student/")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_student_notebook_is_blank_and_opens_itself(edition, path):
    nb = nbformat.read(edition / path.name, as_version=4)
    src = nbformat.read(path, as_version=4)
    assert len(nb.cells) == len(src.cells)
    checked = {c for _, c, _ in student.exercises(src, path.name)}
    assert any(map(student.is_solution, src.cells)), f"{path.name} has no exercise (a cell tagged solution)"
    for i, (cell, orig) in enumerate(zip(nb.cells, src.cells)):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {i} keeps outputs"
            assert "execution" not in cell.metadata
        if student.is_solution(orig):
            assert "exercise" in cell.metadata.tags and cell.source.startswith("# Your turn: ")
            answer = [line.strip() for line in orig.source.splitlines()  # a bare name shows the answer, is not it
                      if line.strip() and not line.strip().startswith(("#", "def ")) and not line.strip().isidentifier()]
            leaked = [line for line in answer if line in cell.source]
            assert not leaked, f"cell {i}: the answer is still there: {leaked}"
        elif i in checked:
            assert "if answered(" in cell.source and "check" in cell.metadata.tags, f"cell {i}: the check is not guarded"
        elif i:
            assert cell.source == orig.source, f"cell {i} changed"
    head, url = nb.cells[0].source, badge_url(repository(), path.name, folder="student")
    assert url in head and url in (edition / "README.md").read_text(), "no badge for this copy, here and in the README"
    assert "/notebooks/" not in head, "the header still opens the full edition, with the answers"
    assert "Your turn" in head and "checks your answer" in head, "the header must say how to check answers"


# ------------------------------------------------------------------ the checkers


def check_cells():
    "(notebook, source of the check cell) for every exercise."
    notebooks = [(path.name, nbformat.read(path, as_version=4)) for path in NOTEBOOKS]
    return [(name, nb.cells[c].source) for name, nb in notebooks for _, c, _ in student.exercises(nb, name)]


@pytest.mark.parametrize("name", [n for n in checks.__all__ if n.startswith("check_")])
def test_every_checker_is_used_by_an_exercise_it_names(name):
    users = sorted({nb for nb, src in check_cells() if re.search(rf"\b{name}\(", src)})
    assert users, f"nbhelpers.checks.{name} is used by no exercise's check cell: use it or delete it"
    doc = getattr(checks, name).__doc__
    assert any(nb.removesuffix(".ipynb") in doc for nb in users), (
        f"{name}'s docstring must name the exercise that uses it ({', '.join(users)}), it says: {doc}")


# Each checker against right answers and plausible wrong ones: tests/test_checks.py.


def test_check_loss_notes_silent_broadcasting(capsys):
    arith = lambda preds, y: (y * (1 - torch.sigmoid(preds)) + (1 - y) * torch.sigmoid(preds)).mean()  # noqa: E731
    checks.check_loss(arith)
    assert "broadcast" in capsys.readouterr().out
    checks.check_loss(model.mnist_loss)
    assert "refuses" in capsys.readouterr().out


def test_answered_tells_blanks_from_answers(capsys):
    def stub(preds, y):
        ...  # your code here

    def stub_with_docstring(x):
        "Left as given, with a docstring added."

    def real(x):
        return x

    assert checks.answered(1, real, None, 0.0) is True
    assert capsys.readouterr().out == ""
    for blank in (..., stub, stub_with_docstring):
        assert checks.answered(1, blank) is False
        assert "Your turn" in capsys.readouterr().out


# ------------------------------------------------------------------ the tool's own rules


def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    for kind, src, tags in cells:
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(make(src, metadata={"tags": tags} if tags else {}))
    return nb


def run_cells(nb):
    "Run the code cells of `nb` in one namespace, as Run All would (IPython's display replaced by print)."
    ns = {"display": print}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, "<cell>", "exec"), ns)
    return ns


EXERCISE = (("markdown", "# 09 · A title\n\nIntro.", []), ("code", "x = 1", []),
            ("markdown", "**Exercise.** Double it, call it `y`.", []),
            ("code", "# Double x; call it y\ny = 2 * x", ["solution"]),
            ("code", 'assert y == 2, f"expected 2, got {y}"', []), ("code", "z = x + 1", []))


def test_student_edition_runs_unanswered_and_checks_once_answered(capsys):
    out = student.student_notebook(_nb(*EXERCISE), "09_a.ipynb")
    prompt, check = out.cells[3].source, out.cells[4].source
    assert prompt == "# Your turn: Double x; call it y\ny = ...  # your answer here\n"
    assert check.splitlines()[2] == "if answered(y):"
    ns = run_cells(out)  # Run All with the exercise left as given
    assert ns["z"] == 2 and "Your turn" in capsys.readouterr().out
    out.cells[3].source = "y = 2 * x"  # the right answer passes
    run_cells(out)
    assert "✓ your answer passes the check" in capsys.readouterr().out
    out.cells[3].source = "y = 3"  # a wrong one fails with the notebook's own message
    with pytest.raises(AssertionError, match="expected 2, got 3"):
        run_cells(out)


def test_a_function_exercise_keeps_its_signature_and_the_checker_runs():
    nb = _nb(("code", "# Write sigmoid by hand\ndef my_sigmoid(x, *, eps=0.0):\n    return 1 / (1 + torch.exp(-x))",
              ["solution"]),
             ("code", "from nbhelpers.checks import check_sigmoid\ncheck_sigmoid(my_sigmoid)", []))
    out = student.student_notebook(nb)
    assert out.cells[0].source == "# Your turn: Write sigmoid by hand\ndef my_sigmoid(x, *, eps=0.0):\n    ...  # your code here\n"
    assert "torch.exp" not in out.cells[0].source
    assert "✓ your answer passes" not in out.cells[1].source, "a checker prints its own verdict"
    ns = run_cells(out)
    assert ns["my_sigmoid"](1) is None


def test_later_cells_that_read_an_answer_wait_for_it(capsys):
    "A cell that reads the answer waits for it, and so does one that reads what it made; not once `y` is redefined."
    nb = _nb(*EXERCISE[:5], ("code", "w = y + 1", []), ("markdown", "More prose.", []), ("code", "print(w * 10)", []),
             ("code", "y = 3\nprint(y)", []), ("code", "y + 1", []))
    out = student.student_notebook(nb)
    assert student.waiting_cells(student.exercises(nb)) == [5, 7]
    assert out.cells[4].source.startswith(student.CHECK_NOTE)
    assert out.cells[5].source.startswith(student.LATER_NOTE) and "if answered(y):" in out.cells[5].source
    assert "if answered(w):" in out.cells[7].source
    assert [c.source for c in out.cells[8:]] == ["y = 3\nprint(y)", "y + 1"]
    run_cells(out)
    assert capsys.readouterr().out.count("Your turn") == 3
    out.cells[3].source = "y = 2 * x"
    run_cells(out)
    assert "30" in capsys.readouterr().out


@pytest.mark.parametrize("cells,says", [
    ((("code", "x = 1", []), ("code", "y = 2 * x", ["solution"]), ("code", "assert x == 1", [])),
     r"check cell 2 below solution cell 1 reads none of.*\(y\)"),
    ((("code", "y = 2", ["solution"]), ("markdown", "The end.", [])), "has no check cell below it")],
    ids=["the-check-reads-no-answer", "no-check"])
def test_a_notebook_that_breaks_a_rule_is_refused(tmp_path, capsys, cells, says):
    path = tmp_path / "09_bad.ipynb"
    nbformat.write(_nb(*cells), path)
    assert student.main(["--out", str(tmp_path / "out"), str(path)]) == 1
    assert re.search(says, capsys.readouterr().err)
    assert not (tmp_path / "out" / "09_bad.ipynb").exists()


# ------------------------------------------------------------------ Run All on the student edition


LAST = ("import resource\n"  # the data source, and the kernel's peak resident memory (VmHWM, kB on Linux)
        "from nbhelpers.data import mnist_path\n"
        "print(mnist_path(download=False, verbose=False).kind, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_run_all_on_the_student_edition_with_exercises_left_as_given(path, tmp_path):
    """A committed student notebook runs top to bottom with its exercises unanswered, on the offline
    sample (the kernel gets an empty HOME and no MNIST_PNG), each check printing its "Your turn" reminder."""
    from nbclient import NotebookClient

    env = {k: v for k, v in os.environ.items() if k not in ("MNIST_PNG", "FASTAI_HOME", "NBHELPERS_CACHE")}
    env.update(HOME=str(tmp_path), NBHELPERS_QUIET="1")
    nb = nbformat.read(COMMITTED / path.name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(LAST))
    start = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(COMMITTED)}}).execute(env=env)  # raises on a failing cell
    seconds = time.perf_counter() - start

    def text(cell):
        return "".join(o.get("text", "") for o in cell.outputs)

    kind, peak = text(nb.cells[-1]).split()
    assert kind == "sample", f"the kernel should have used the offline sample, it used {kind!r}"
    checks = [c for c in nb.cells if "check" in c.metadata.get("tags", [])]
    assert checks and all("Your turn" in text(c) for c in checks), "every check should say it is the student's turn"
    print(f"{path.name}: Run All in {seconds:.1f} s, {len(checks)} check(s) said 'Your turn', "
          f"kernel peak {int(peak) / 1024:.0f} MiB")
