"""The teacher's pages: docs/cheatsheet.md states only true shapes; docs/teaching.md answers every question.

* Cheat sheet: every shape statement on it (the code spans of its "shapes" column, and any code
  span with an arrow) is run here on random tensors, with the package's and the notebooks' own
  functions and layers, and each bracketed shape is compared with what the operation gives.
* Teacher's guide: each notebook ends with a "## Questions" heading and a numbered list; the
  guide has, per notebook, a heading "### NN answers" and a numbered list with as many items.
"""

import re
from pathlib import Path

import pytest
import torch
from torch import nn

from helpers import notebook_functions
from nbhelpers import model
from nbhelpers.data import load_digits

(sigmoid,) = notebook_functions("03_sigmoid_loss", "sigmoid")
softmax, cross_entropy, confusion_matrix = notebook_functions("08_all_ten_digits", "softmax", "cross_entropy",
                                                              "confusion_matrix")

ROOT = Path(__file__).resolve().parent.parent
CHEATSHEET = ROOT / "docs" / "cheatsheet.md"
N, BS = 5, 256  # what `n` and `bs` stand for in the statements below


def _linear_step(n):
    x, w, b = torch.rand(n, 784), model.init_params((28 * 28, 1)), model.init_params(1)
    return [x.shape, w.shape, b.shape, model.linear(x, w, b).shape]


def _grads():
    w, b = model.init_params((28 * 28, 1)), model.init_params(1)
    model.mnist_loss(model.linear(torch.rand(N, 784), w, b), torch.randint(0, 2, (N, 1)).float()).backward()
    return [w.grad.shape, b.grad.shape]


def _relu_net():
    net = nn.Sequential(nn.Linear(28 * 28, 200), nn.ReLU(), nn.Linear(200, 100), nn.ReLU(), nn.Linear(100, 1))
    x, shapes = torch.rand(BS, 784), []
    for layer in net:
        shapes.append(x.shape) if isinstance(layer, nn.Linear) else None
        x = layer(x)
    return [*shapes, x.shape]


def _ten_digit_net():
    net = nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))
    x = torch.rand(N, 784)
    return [x.shape, net[1](net[0](x)).shape, net(x).shape]


def _ys(n=N):
    return torch.randint(0, 10, (n,))


def _cross_entropy():
    preds, y = torch.randn(N, 10), _ys()
    loss = cross_entropy(preds, y)
    assert torch.allclose(loss, nn.functional.cross_entropy(preds, y), atol=1e-6)
    return [preds.shape, y.shape, loss.shape]


def _softmax():
    p = softmax(torch.randn(N, 10))
    assert torch.allclose(p.sum(dim=1), torch.ones(N)), "softmax rows should sum to 1"
    return [torch.Size([N, 10]), p.shape]


def _sigmoid():
    s = sigmoid(torch.randn(N, 1) * 5)
    assert ((s > 0) & (s < 1)).all()
    return [torch.Size([N, 1]), s.shape]


def _loss():
    preds, y = torch.randn(N, 1), torch.randint(0, 2, (N, 1)).float()
    return [preds.shape, y.shape, model.mnist_loss(preds, y).shape]


def _labels():
    "The labels load_digits gives, from a tiny MNIST folder (2 training and 1 testing image per digit)."
    import tempfile

    from conftest import write_png

    with tempfile.TemporaryDirectory() as tmp:
        for split, k in (("training", 2), ("testing", 1)):
            for d in range(10):
                for i in range(k):
                    write_png(Path(tmp) / split / str(d) / f"{i}.png", seed=d * 10 + i)
        train_x, train_y, _, _ = load_digits(path=tmp, cache=False)
    assert train_y.dtype == torch.int64, train_y.dtype
    return [torch.Size([N])] if train_y.shape == (20,) else [train_y.shape]


def _broadcast():
    preds, y = torch.randn(N), torch.randint(0, 2, (N, 1)).float()
    with pytest.raises(ValueError):
        model.mnist_loss(preds, y)  # the package refuses it...
    return [preds.shape, y.shape, (preds - y).shape]  # ...because plain arithmetic broadcasts


def _nn_linear():
    layer = nn.Linear(28 * 28, 1)
    assert layer(torch.rand(BS, 784)).shape == (BS, 1)
    return [layer.weight.shape, layer.bias.shape]


STATEMENTS = {
    "[28, 28] → [784]": lambda: [torch.rand(28, 28).shape, torch.rand(28, 28).view(-1).shape],
    "n × [784] → [n, 784]": lambda: [torch.rand(784).shape, torch.stack([torch.rand(784)] * N).shape],
    "[n] → [n, 1]": lambda: [torch.ones(N).shape, torch.ones(N).unsqueeze(1).shape],
    "[n, 784] @ [784, 1] + [1] → [n, 1]": lambda: _linear_step(N),
    "[n, 1] → [n, 1]": _sigmoid,
    "[n, 1], [n, 1] → []": _loss,
    "weights.grad [784, 1], bias.grad [1]": _grads,
    "[bs, 784] @ [784, 1] + [1] → [bs, 1]": lambda: _linear_step(BS),
    "weight [1, 784], bias [1]": _nn_linear,
    "[bs, 784] → [bs, 200] → [bs, 100] → [bs, 1]": _relu_net,
    "y [n] int64": _labels,
    "[n, 784] → [n, 100] → [n, 10]": _ten_digit_net,
    "[n, 10] → [n, 10]": _softmax,
    "[n, 10], [n] → []": _cross_entropy,
    "[n, 10] → argmax(dim=1) → [n]": lambda: [torch.Size([N, 10]), torch.randn(N, 10).argmax(dim=1).shape],
    "[10, 10]": lambda: [confusion_matrix(torch.randn(50, 10), _ys(50)).shape],
    "[n] - [n, 1] → [n, n]": _broadcast,
}


def stated(text):
    "The shape statements of the cheat sheet: its table's last column, and every code span with an arrow."
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
    return [tuple(sizes.get(d.strip(), None) or int(d) for d in group.split(",") if d.strip())
            for group in re.findall(r"\[([^\]]*)\]", statement)]


def test_cheatsheet_states_only_checked_shapes():
    found = stated(CHEATSHEET.read_text(encoding="utf-8"))
    assert found == set(STATEMENTS), (f"unchecked statements on the cheat sheet: {sorted(found - set(STATEMENTS))}; "
                                      f"checked here but gone from it: {sorted(set(STATEMENTS) - found)}")


@pytest.mark.parametrize("statement", list(STATEMENTS))
def test_cheatsheet_shape_is_true(statement):
    torch.manual_seed(0)
    got = [tuple(s) for s in STATEMENTS[statement]()]
    assert got == expected_shapes(statement), f"the cheat sheet says {statement!r}; the operations give {got}"


# ------------------------------------------------------------------ the teacher's guide

GUIDE = ROOT / "docs" / "teaching.md"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def numbered_items(text, heading):
    "The items of the numbered list that follows the line `heading` (up to the next heading)."
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == heading)
    except StopIteration:
        return None
    items = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if m := re.match(r"(\d+)\. \S", line):
            items.append(int(m.group(1)))
    return items


def questions(path):
    "The numbers of the end-of-notebook questions: the numbered list under the heading '## Questions'."
    import nbformat

    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown" and "## Questions" in cell.source.splitlines():
            return numbered_items(cell.source, "## Questions")
    return None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_the_guide_answers_every_question(path):
    asked = questions(path)
    assert asked, f"{path.name} has no numbered list under a '## Questions' heading"
    assert asked == list(range(1, len(asked) + 1)), f"{path.name}: questions numbered {asked}"
    nn = path.name[:2]
    answered = numbered_items(GUIDE.read_text(encoding="utf-8"), f"### {nn} answers")
    assert answered is not None, f"docs/teaching.md has no heading '### {nn} answers'"
    assert answered == asked, (f"{path.name} asks {len(asked)} questions; docs/teaching.md '### {nn} answers' "
                               f"answers {len(answered)} ({answered})")


def test_the_answers_stay_out_of_the_student_edition():
    text = GUIDE.read_text(encoding="utf-8")
    answers = [m.group(1) for m in re.finditer(r"^\d+\. (.{40,}?)$", text, re.M)
               if re.search(r"^### \d\d answers$", text[:m.start()], re.M)]
    assert answers, "docs/teaching.md has no answers yet"
    for path in sorted((ROOT / "student").glob("*.ipynb")):
        notebook = path.read_text(encoding="utf-8")
        leaked = [a for a in answers if a[:40] in notebook]
        assert not leaked, f"student/{path.name} contains answers from the guide: {leaked[:2]}"


def sections(nb):
    "[(heading, [cell indices])] for the markdown headings of a notebook, with the level of each heading."
    out = []
    for i, cell in enumerate(nb.cells):
        heading = next((line for line in cell.source.splitlines() if re.match(r"#+ ", line)), None) \
            if cell.cell_type == "markdown" else None
        if heading:
            out.append((heading, [i]))
        elif out:
            out[-1][1].append(i)
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_optional_sections_can_be_skipped(path):
    "No cell after an 'Optional: ' section uses a name that only that section defines (so skipping it breaks nothing)."
    import nbformat

    from tools import student

    nb = nbformat.read(path, as_version=4)
    parts = sections(nb)
    for k, (heading, cells) in enumerate(parts):
        if not re.match(r"#+ Optional: ", heading):
            continue
        level = len(heading) - len(heading.lstrip("#"))
        end = next((parts[j][1][0] for j in range(k + 1, len(parts))
                    if len(parts[j][0]) - len(parts[j][0].lstrip("#")) <= level), len(nb.cells))
        only_here = set()
        for i in range(cells[0], end):
            if nb.cells[i].cell_type == "code" and (tree := student._python(nb.cells[i].source)):
                only_here |= student.defined_names(tree)
        for i in range(end, len(nb.cells)):
            if nb.cells[i].cell_type != "code" or not (tree := student._python(nb.cells[i].source)):
                continue
            used = sorted(student.used_names(tree) & only_here)
            assert not used, (f"{path.name}: cell {i} uses `{used[0]}`, defined only in the optional section "
                              f"{heading!r}; define it outside, so the section can be skipped")
            only_here -= student.defined_names(tree)


def test_the_guide_and_cheat_sheet_are_pages_of_the_book(tmp_path):
    from tools.teaching import book_pages

    links = book_pages(tmp_path)
    assert [href for href, _ in links] == ["teaching.html", "cheatsheet.html"]
    guide = (tmp_path / "teaching.html").read_text(encoding="utf-8")
    assert "<h3>01 answers</h3>" in guide and 'href="cheatsheet.html"' in guide
    assert 'href="../' not in guide, "links to the rest of the project should point at the repository"
    assert (tmp_path / "cheatsheet.png").exists()
