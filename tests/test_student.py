"""The student edition (tools/student.py) and the exercise checkers (nbhelpers.checks).

* every student notebook is valid nbformat, has no answer left and no outputs;
* every cell of it runs top to bottom (the prompt cells included: they define nothing);
* the checkers accept the official answers (functions taken from the solution cells, and the
  package's own functions) and reject wrong ones;
* tools/student.py refuses a notebook whose later cells need a solution's result.
"""

import ast
import os
import sys
from pathlib import Path

import nbformat
import pytest
import torch

from nbhelpers import checks, model

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import student  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
WITH_EXERCISES = [p for p in NOTEBOOKS if any(student.is_solution(c) for c in nbformat.read(p, 4).cells)]


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    "The student edition of every notebook, made by the command `make student` runs."
    out = tmp_path_factory.mktemp("student")
    assert student.main(["--out", str(out)]) == 0, "tools/student.py failed: see its message above"
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_student_notebook_is_valid_and_blank(edition, path):
    nb = nbformat.read(edition / path.name, as_version=4)
    nbformat.validate(nb)
    src = nbformat.read(path, as_version=4)
    assert len(nb.cells) == len(src.cells)
    for i, (cell, orig) in enumerate(zip(nb.cells, src.cells)):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {i} keeps outputs"
            assert "execution" not in cell.metadata
        if student.is_solution(orig):
            assert not student.is_solution(cell) and "exercise" in cell.metadata.tags
            assert cell.source.startswith("# Your turn: ")
            answer = [line.strip() for line in orig.source.splitlines()
                      if line.strip() and not line.strip().startswith(("#", "def "))]
            leaked = [line for line in answer if line in cell.source]
            assert not leaked, f"cell {i}: the answer is still there: {leaked}"
        else:
            assert cell.source == orig.source or i == 0, f"cell {i} changed"
    assert "colab.research.google.com/github" not in nb.cells[0].source, "the badge opens the answers"


@pytest.mark.skipif(not WITH_EXERCISES, reason="no notebook has a cell tagged 'solution' yet")
@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.name for p in WITH_EXERCISES])
def test_student_notebook_runs_top_to_bottom(edition, path):
    from nbclient import NotebookClient

    nb = nbformat.read(edition / path.name, as_version=4)
    os.environ.setdefault("NBHELPERS_QUIET", "1")
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute()  # raises CellExecutionError naming the cell if any cell fails
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], f"cell {i} failed"


# ------------------------------------------------------------------ the checkers


def official_functions():
    "Every function a solution cell defines, compiled on its own: (notebook, name, function)."
    found = []
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if not student.is_solution(cell) or (tree := student._python(cell.source)) is None:
                continue
            for node in tree.body:
                if isinstance(node, ast.FunctionDef):
                    ns = {"torch": torch, **{n: getattr(model, n) for n in model.__all__}}
                    exec(compile(ast.Module([node], []), f"{path.name}", "exec"), ns)
                    found.append((path.name, node.name, ns[node.name]))
    return found


def checker_for(name):
    return next((getattr(checks, c) for word, c in student.CHECKERS if word in name.lower()), None)


OFFICIAL = [(nb, n, f) for nb, n, f in official_functions() if checker_for(n)]


@pytest.mark.skipif(not OFFICIAL, reason="no solution cell defines a function a checker fits")
@pytest.mark.parametrize("nb,name,fn", OFFICIAL, ids=[f"{nb}:{n}" for nb, n, _ in OFFICIAL])
def test_checkers_accept_the_official_solutions(nb, name, fn, capsys):
    assert checker_for(name)(fn) is True
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("checker,fn", [(checks.check_sigmoid, model.sigmoid), (checks.check_sigmoid, torch.sigmoid),
                                        (checks.check_accuracy, model.accuracy), (checks.check_loss, model.mnist_loss)])
def test_checkers_accept_the_package_functions(checker, fn):
    assert checker(fn) is True


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad.zero_()


def test_check_step_accepts_a_step_and_torch_sgd():
    assert checks.check_step(sgd_step)

    def with_torch(params, lr):
        opt = torch.optim.SGD(params, lr=lr)
        opt.step()
        opt.zero_grad(set_to_none=False)

    assert checks.check_step(with_torch)


def wrong_sigmoid(x):
    return 1 / (1 + torch.exp(x))


def wrong_accuracy(preds, y):
    return ((preds > 0.5).float() == y).float().mean()


def loss_without_sigmoid(preds, y):
    return torch.where(y == 1, 1 - preds, preds).mean()


def loss_as_number(preds, y):
    return model.mnist_loss(preds, y).item()


def loss_not_averaged(preds, y):
    p = torch.sigmoid(preds)
    return y * (1 - p) + (1 - y) * p


def step_wrong_sign(params, lr):
    with torch.no_grad():
        for p in params:
            p += lr * p.grad
            p.grad.zero_()


def step_keeps_grad(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad


def step_replaces(params, lr):
    for k, p in enumerate(params):
        params[k] = (p - lr * p.grad).detach().requires_grad_()


@pytest.mark.parametrize("checker,fn,says", [
    (checks.check_sigmoid, wrong_sigmoid, "1 / (1 + exp(-x))"),
    (checks.check_accuracy, wrong_accuracy, "compare preds with 0"),
    (checks.check_loss, loss_without_sigmoid, "sigmoid"),
    (checks.check_loss, loss_as_number, "differentiate"),
    (checks.check_loss, loss_not_averaged, "one number"),
    (checks.check_step, step_wrong_sign, "-lr * its gradient"),
    (checks.check_step, step_keeps_grad, "zero the gradient"),
    (checks.check_step, step_replaces, "in place"),
])
def test_checkers_reject_wrong_answers(checker, fn, says):
    with pytest.raises(AssertionError, match=None) as e:
        checker(fn)
    assert says in str(e.value), f"the message should help: {e.value}"


def test_check_loss_notes_silent_broadcasting(capsys):
    arith = lambda preds, y: (y * (1 - torch.sigmoid(preds)) + (1 - y) * torch.sigmoid(preds)).mean()  # noqa: E731
    assert checks.check_loss(arith)
    assert "broadcast" in capsys.readouterr().out
    checks.check_loss(model.mnist_loss)
    assert "refuses" in capsys.readouterr().out


# ------------------------------------------------------------------ the tool's own rules


def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    for kind, src, tags in cells:
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(make(src, metadata={"tags": tags} if tags else {}))
    return nb


def test_later_cells_may_not_need_a_solution():
    nb = _nb(("code", "x = 1", []), ("markdown", "**Exercise.** Double it.", []),
             ("code", "y = 2 * x", ["solution"]), ("code", "print(y)", []))
    with pytest.raises(student.StudentError, match=r"cell 3 uses `y`.*solution cell 2"):
        student.student_notebook(nb)


def test_a_later_cell_that_redefines_the_name_is_fine():
    nb = _nb(("code", "y = 1", ["solution"]), ("code", "y = 3\nprint(y)", []), ("code", "y + 1", []),
             ("code", "def f(y):\n    return y", []))
    out = student.student_notebook(nb)
    assert out.cells[0].source.startswith("# Your turn: answer the exercise above")


def test_prompt_uses_the_first_comment_and_keeps_signatures():
    src = "# Write sigmoid by hand\ndef my_sigmoid(x):\n    return 1 / (1 + torch.exp(-x))\n"
    prompt = student.prompt_source(src)
    assert prompt.startswith("# Your turn: Write sigmoid by hand\ndef my_sigmoid(x):\n    ...")
    assert "check_sigmoid(my_sigmoid)" in prompt and "torch.exp" not in prompt
    ns = {}
    exec(prompt, ns)  # the prompt runs and defines only the stub
    assert ns["my_sigmoid"](1) is None


def test_student_tool_writes_nothing_for_a_broken_notebook(tmp_path):
    bad = tmp_path / "09_bad.ipynb"
    nbformat.write(_nb(("code", "z = 1", ["solution"]), ("code", "z", [])), bad)
    assert student.main(["--out", str(tmp_path / "out"), str(bad)]) == 1
    assert not (tmp_path / "out" / "09_bad.ipynb").exists()
