"""The teacher's pages and the notebooks' structure for teaching.

* docs/cheatsheet.md: every shape statement on it (the code spans of its "shapes" table, and any code span with
  an arrow) is run here on random tensors, with the package's and the notebooks' own functions and layers, and
  each bracketed shape is compared with what the operation gives.
* docs/teaching.md: per notebook a heading "### NN answers" with as many numbered answers as the notebook's
  "## Questions" list, none of them in the student edition; each column of the routes table sums to its
  heading, and no notebook gets more minutes than its own heading in the guide gives it.
* An "Optional: " section of a notebook can be skipped: no later cell needs a name only it defines.
"""

import re
import tempfile
from pathlib import Path

import nbformat
import pytest
import torch
from torch import nn

from helpers import notebook_functions, write_png
from nbhelpers import model
from nbhelpers.data import load_digits
from tools import student

(sigmoid,) = notebook_functions("03_sigmoid_loss", "sigmoid")
softmax, cross_entropy, confusion_matrix = notebook_functions("08_all_ten_digits", "softmax", "cross_entropy",
                                                              "confusion_matrix")

ROOT = Path(__file__).resolve().parent.parent
CHEATSHEET = (ROOT / "docs" / "cheatsheet.md").read_text(encoding="utf-8")
GUIDE = (ROOT / "docs" / "teaching.md").read_text(encoding="utf-8")
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))

N, BS = 5, 256  # what `n` and `bs` stand for in the statements below
IMAGE, X, XB, X10 = torch.rand(28, 28), torch.rand(N, 784), torch.rand(BS, 784), torch.randn(N, 10)
PREDS, Y, Y10 = torch.randn(N, 1), torch.randint(0, 2, (N, 1)).float(), torch.randint(0, 10, (N,))
TEN = nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))
RELU = nn.Sequential(nn.Linear(28 * 28, 200), nn.ReLU(), nn.Linear(200, 100), nn.ReLU(), nn.Linear(100, 1))


def shapes(*tensors):
    return [t.shape for t in tensors]


def _linear(x):
    weights, bias = model.init_params((28 * 28, 1)), model.init_params(1)
    return shapes(x, weights, bias, model.linear(x, weights, bias))


def _gradients():
    weights, bias = model.init_params((28 * 28, 1)), model.init_params(1)
    model.mnist_loss(model.linear(X, weights, bias), Y).backward()
    return shapes(weights.grad, bias.grad)


def _labels():
    "The first N labels load_digits gives, from a tiny MNIST folder (one training and one testing image per digit)."
    with tempfile.TemporaryDirectory() as tmp:
        for split in ("training", "testing"):
            for digit in range(10):
                write_png(Path(tmp) / split / str(digit) / "0.png", seed=digit)
        train_y = load_digits(path=tmp, cache=False)[1]
    assert train_y.dtype == torch.int64, train_y.dtype
    return [train_y[:N].shape]


STATEMENTS = {
    "[28, 28] → [784]": lambda: shapes(IMAGE, IMAGE.view(-1)),
    "n × [784] → [n, 784]": lambda: shapes(X[0], torch.stack(list(X))),
    "[n] → [n, 1]": lambda: shapes(Y10, Y10.unsqueeze(1)),
    "[n, 784] @ [784, 1] + [1] → [n, 1]": lambda: _linear(X),
    "[n, 1] → [n, 1]": lambda: shapes(PREDS, sigmoid(PREDS)),
    "[n, 1], [n, 1] → []": lambda: shapes(PREDS, Y, model.mnist_loss(PREDS, Y)),
    "weights.grad [784, 1], bias.grad [1]": _gradients,
    "[bs, 784] @ [784, 1] + [1] → [bs, 1]": lambda: _linear(XB),
    "weight [1, 784], bias [1]": lambda: shapes(*nn.Linear(28 * 28, 1).parameters()),
    "[bs, 784] → [bs, 200] → [bs, 100] → [bs, 1]": lambda: shapes(XB, RELU[:2](XB), RELU[:4](XB), RELU(XB)),
    "y [n] int64": _labels,
    "[n, 784] → [n, 100] → [n, 10]": lambda: shapes(X, TEN[:2](X), TEN(X)),
    "[n, 10] → [n, 10]": lambda: shapes(X10, softmax(X10)),
    "[n, 10], [n] → []": lambda: shapes(X10, Y10, cross_entropy(X10, Y10)),
    "[n, 10] → argmax(dim=1) → [n]": lambda: shapes(X10, X10.argmax(dim=1)),
    "[10, 10]": lambda: shapes(confusion_matrix(X10, Y10)),
    "[n] - [n, 1] → [n, n]": lambda: shapes(PREDS[:, 0], Y, PREDS[:, 0] - Y),  # what mnist_loss refuses (test_model)
}


def stated(text):
    "The shape statements of the cheat sheet: its shapes table's last column, and every code span with an arrow."
    found = set()
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) == 3 and cells[0].isdigit():
            found.update(re.findall(r"`([^`]+)`", cells[2]))
        found.update(s for s in re.findall(r"`([^`]+)`", line) if "→" in s)
    return found


def expected_shapes(statement):
    "Each [..] of a statement as a tuple, with n and bs replaced by the sizes the operations use."
    sizes = {"n": N, "bs": BS}
    return [tuple(sizes.get(d.strip()) or int(d) for d in group.split(",") if d.strip())
            for group in re.findall(r"\[([^\]]*)\]", statement)]


def test_cheatsheet_states_only_checked_shapes():
    found = stated(CHEATSHEET)
    assert found == set(STATEMENTS), (f"unchecked statements on the cheat sheet: {sorted(found - set(STATEMENTS))}; "
                                      f"checked here but gone from it: {sorted(set(STATEMENTS) - found)}")


@pytest.mark.parametrize("statement", list(STATEMENTS))
def test_cheatsheet_shape_is_true(statement):
    got = [tuple(s) for s in STATEMENTS[statement]()]
    assert got == expected_shapes(statement), f"the cheat sheet says {statement!r}; the operations give {got}"


# ------------------------------------------------------------------ the teacher's guide

def numbered_items(text, heading):
    "The numbers of the numbered list that follows the line `heading` (up to the next heading); None without it."
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    if start is None:
        return None
    items = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if m := re.match(r"(\d+)\. \S", line):
            items.append(int(m.group(1)))
    return items


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_the_guide_answers_every_question(path):
    asked = next((numbered_items(c.source, "## Questions") for c in nbformat.read(path, as_version=4).cells
                  if c.cell_type == "markdown" and "## Questions" in c.source.splitlines()), None)
    assert asked, f"{path.name} has no numbered list under a '## Questions' heading"
    assert asked == list(range(1, len(asked) + 1)), f"{path.name}: questions numbered {asked}"
    answered = numbered_items(GUIDE, f"### {path.name[:2]} answers")
    assert answered == asked, f"{path.name} asks {len(asked)} questions; '### {path.name[:2]} answers' lists {answered}"


def test_the_answers_stay_out_of_the_student_edition():
    answers = [m.group(1) for m in re.finditer(r"^\d+\. (.{40,}?)$", GUIDE, re.M)
               if re.search(r"^### \d\d answers$", GUIDE[:m.start()], re.M)]
    assert answers, "docs/teaching.md has no answers yet"
    for path in sorted((ROOT / "student").glob("*.ipynb")):
        notebook = path.read_text(encoding="utf-8")
        leaked = [a for a in answers if a[:40] in notebook]
        assert not leaked, f"student/{path.name} contains answers from the guide: {leaked[:2]}"


def routes_table():
    "The header and rows of the routes table in docs/teaching.md."
    section = GUIDE.split("## Routes", 1)[1].split("\n### ", 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in section.splitlines()
            if line.startswith("|")]
    return rows[0], rows[2:]


def minutes(cell):
    m = re.match(r"(\d+)", cell)
    return int(m.group(1)) if m else 0  # "homework"


def test_each_route_adds_up_to_its_length():
    header, rows = routes_table()
    body, total = rows[:-1], rows[-1]
    assert any(r[0].startswith("set-up") and minutes(r[1]) >= 15 for r in body), "a route must budget the set-up"
    for k, name in enumerate(header[1:], start=1):
        length = minutes(name) * (60 if "hour" in name else 1)
        got = sum(minutes(r[k]) for r in body)
        assert got == minutes(total[k]) == length, f"the {name} route's rows add up to {got} minutes, not {length}"


def test_no_notebook_gets_more_than_its_own_minutes():
    for row in routes_table()[1]:
        if m := re.match(r"(\d\d) ·", row[0]):
            heading = re.search(rf"### {m.group(1)} ·.*?\n\n\*About (\d+)(?:–(\d+))? minutes", GUIDE, re.S)
            most = int(heading.group(2) or heading.group(1))
            assert all(minutes(c) <= most for c in row[1:]), f"{row[0]} gets more than its own {most} minutes: {row}"


# ------------------------------------------------------------------ optional sections

def heading(cell):
    "The first heading line of a markdown cell, or None."
    lines = cell.source.splitlines() if cell.cell_type == "markdown" else []
    return next((line for line in lines if re.match(r"#+ ", line)), None)


def level(heading):
    return len(heading) - len(heading.lstrip("#"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_optional_sections_can_be_skipped(path):
    "No cell after an 'Optional: ' section uses a name that only that section defines (so skipping it breaks nothing)."
    cells = nbformat.read(path, as_version=4).cells
    headings = [(i, heading(c)) for i, c in enumerate(cells) if heading(c)]
    trees = [student._python(c.source) if c.cell_type == "code" else None for c in cells]
    for k, (start, title) in enumerate(headings):
        if not re.match(r"#+ Optional: ", title):
            continue
        end = next((i for i, h in headings[k + 1:] if level(h) <= level(title)), len(cells))
        only_here = set().union(*(student.defined_names(t) for t in trees[start:end] if t))
        for i in range(end, len(cells)):
            if trees[i]:
                used = sorted(student.used_names(trees[i]) & only_here)
                assert not used, (f"{path.name}: cell {i} uses `{used[0]}`, defined only in the optional section "
                                  f"{title!r}; define it outside, so the section can be skipped")
                only_here -= student.defined_names(trees[i])
