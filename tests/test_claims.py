"""Claims a notebook makes must be shown by the notebook (issue 10, "make a false number impossible to ship").

1. **Every number written in a markdown cell appears in an output or a code cell of the same
   notebook.**  A prose number matches a printed (or coded) number when it is that number
   rounded to the decimals the prose shows (0.5186 matches 0.51857; "about 0.17" matches
   0.1734), and a percentage matches a fraction and back (98.64% matches 0.98641; 0.9864
   matches a printed "98.64%").  Signs are ignored ("−5" matches 5).  After "about", "around",
   "roughly", "nearly", "almost", "some", "~" or "≈" a whole number may also be rounded to its
   trailing zeros ("about 12,000" matches 11,876).
   A number that comes from elsewhere (the original write-up's figures, MNIST's published size,
   a paper) is *cited*: write it again in a comment at the end of the same markdown cell, with
   where it comes from, e.g.

       <!-- cited: 0.5186 (the original write-up's plateau); 70,000 (MNIST's size, LeCun et al.) -->

   Readers do not see the comment; the test does: every number in it is accepted in that cell.
   Not checked (the only exemptions):
   * whole numbers 0 to 10 written without a decimal point: step numbers, notebook numbers
     ("notebook 05"), the digits of the pair, small counts ("two layers", "3 vs 8");
   * numbers inside images (the Colab badge), link targets, URLs and HTML tags (<img width>);
     the link *text* is prose and is checked;
   * digits that are part of a word or name (`float32`, `w1`, `int64`, 2D, 3rd).
   Everything else, inline code and headings included, is checked: "28 × 28" needs a 28 in the
   code or the outputs.
   **A number that only a varying output shows is written as approximate.**  The outputs of cells
   tagged `nbval-ignore-output` (a trained model's loss and accuracy, rankings of near-ties) differ
   from one processor, BLAS build or seed to the next, so a reader's own run will not print the
   committed digits.  A prose number that matches only such outputs must be marked as approximate
   ("about 98.5%", "roughly 0.07", "~96%") or be one end of a range ("98.3–98.6%", "between 0.5%
   and 1%"), and carry at most 3 significant digits.  "It reaches 98.54%" is refused; "about
   98.5%" is accepted.
2. **Every `assert` in a code cell has a message** saying what it expected and what it got
   (`assert acc >= target, f"linear model {acc:.4f} < {target:.4f} for {a} vs {b}"`).

Both run on the committed notebooks, and each is shown to fail on a planted mistake.
To list every offence without pytest:  .venv/bin/python tests/test_claims.py [notebooks ...]
"""

import ast
import copy
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))

# A number: 11,876 | 0.5186 | .5 | 1e-3 | 1.5E+04, not glued to a word before it (float32, w1, x.5)
# nor followed by a letter (2D, 3rd, 1r), except an x or × ("4.4x", "28x28").
NUMBER = re.compile(
    r"(?<![\w.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
    r"(?![A-Za-wyzA-Z_]|\.\d)(?P<pct>\s?%)?")
APPROX = re.compile(r"(?:about|around|roughly|nearly|almost|some|approximately|~|≈)\s*$", re.I)
# One end of a range: "98.3–98.6%", "0.5 to 1", "between 98.3% and 98.6%", "from 0.69 to 4.16".
RANGE_BEFORE = re.compile(r"(?:[–—-]|\bto|\band|\bbetween|\bfrom)\s*$", re.I)
RANGE_AFTER = re.compile(r"^\s?%?\s*(?:[–—]|-(?=\s?\d)|to\b|and\b)", re.I)
PERCENT_RANGE = re.compile(r"\s*(?:[–—-]|to\b|and\b)\s*[\d.,]+\s?%")
MAX_SIGNIFICANT = 3  # an approximate figure from a varying output: "about 98.5%", not "about 98.54%"
IGNORED = "nbval-ignore-output"
CITED = re.compile(r"<!--\s*cited:(.*?)-->", re.S)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
HIDDEN = [
    re.compile(r"<!--.*?-->", re.S),                 # comments (a cited one is read first)
    re.compile(r"!\[[^\]]*\]\([^)]*\)"),              # images (badges): ![alt](target)
    re.compile(r"\]\([^)]*\)"),                     # link targets: [text](target)
    re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.M),  # reference-style link definitions
    re.compile(r"<[^>]+>"),                         # HTML tags and <autolinks>
    re.compile(r"https?://\S+"),                    # bare URLs
]


@dataclass(frozen=True)
class Value:
    value: float      # as written (a percentage keeps its percent: 98.64)
    tol: float        # half a unit in the last place written
    percent: bool
    text: str


def _value(m, approx=False):
    raw = m.group("num")
    text = raw.replace(",", "")
    v = abs(float(text))
    mantissa = text.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exp = int(text.lower().split("e")[1]) if "e" in text.lower() else 0
    tol = 0.5 * 10.0 ** (exp - decimals)
    if approx and decimals == 0 and exp == 0:
        zeros = len(text) - len(text.rstrip("0"))
        tol = max(tol, 0.5 * 10.0 ** zeros)
    return Value(v, tol * (1 + 1e-9) + 1e-12, bool(m.group("pct")), raw + ("%" if m.group("pct") else ""))


def numbers(text):
    "Every number in `text`, as Values."
    return [_value(m) for m in NUMBER.finditer(text)]


def exempt(v):
    "A whole number 0-10 written without a decimal point (step, notebook, digit, small count)."
    return not v.percent and re.fullmatch(r"\d+", v.text) is not None and int(v.text) <= 10


def matches(claim, shown):
    "Is prose number `claim` a rounding of `shown` (or the same quantity as a % / a fraction)?"
    forms = [shown.value]
    if claim.percent and not shown.percent:
        forms.append(shown.value * 100)
    if shown.percent and not claim.percent:
        forms.append(shown.value / 100)
    return any(math.isclose(f, claim.value, abs_tol=claim.tol) or abs(f - claim.value) <= claim.tol for f in forms)


def _output_text(out):
    if out.get("output_type") == "stream":
        return out.get("text", "")
    if out.get("output_type") == "error":
        return ANSI.sub("", out.get("evalue", "") + "\n" + "\n".join(out.get("traceback", [])))
    data = out.get("data", {})
    parts = [data.get(k, "") for k in ("text/plain", "text/markdown", "text/latex")]
    if "text/html" in data:
        parts.append(re.sub(r"<[^>]+>", " ", "".join(data["text/html"])))
    return "\n".join("".join(p) for p in parts)


def shown_numbers(nb, varying=False):
    """Every number in the notebook's code cells and outputs: those that every run prints the same, or
    (`varying=True`) those only in the outputs of cells tagged nbval-ignore-output."""
    texts = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            ignored = IGNORED in cell.get("metadata", {}).get("tags", [])
            if not varying:
                texts.append(cell.source)
            if ignored == varying:
                texts.extend(_output_text(o) for o in cell.get("outputs", []))
    text = "\n".join(texts)
    # Code and outputs also count digits glued to a name: `float32` shows the 32 of "32-bit".
    glued = [_value(m) for m in re.finditer(r"(?<=[A-Za-z_])(?P<num>\d+)(?P<pct>)", text)]
    return numbers(text) + glued


@dataclass(frozen=True)
class Offence:
    notebook: str
    cell: int
    number: str
    context: str
    why: str = "shown by no output or code cell"

    def __str__(self):
        return f"{self.notebook} cell {self.cell} (from 0): {self.number!r} in \"…{self.context}…\" ({self.why})"


def significant(v):
    "How many significant digits a prose number carries (98.5 -> 3, 0.07 -> 1, 12,000 -> 2)."
    mantissa = v.text.rstrip("%").replace(",", "").lower().split("e")[0]
    digits = mantissa.replace(".", "").lstrip("0")
    return len(digits.rstrip("0") if "." not in mantissa else digits) or 1


def prose_offences(nb, name="notebook"):
    """The numbers in markdown cells that no code cell, output or cited comment of the notebook shows,
    and those that only a varying output shows, written as if exact."""
    shown, varying = shown_numbers(nb), shown_numbers(nb, varying=True)
    offences = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        cited = [v for c in CITED.findall(cell.source) for v in numbers(c)]
        text = cell.source
        for pattern in HIDDEN:
            text = pattern.sub(lambda m: " " * len(m.group(0)), text)
        for m in NUMBER.finditer(text):
            before, after = text[max(0, m.start() - 16):m.start()], text[m.end():m.end() + 6]
            approx = bool(APPROX.search(before))
            claim = _value(m, approx=approx)
            if not claim.percent and PERCENT_RANGE.match(text[m.end():m.end() + 24]):  # 98.3 in "98.3–98.6%"
                claim = Value(claim.value, claim.tol, True, claim.text)
            if exempt(claim) or any(matches(claim, s) for s in cited) or any(matches(claim, s) for s in shown):
                continue
            context = " ".join(text[max(0, m.start() - 40):m.end() + 30].split())
            if any(matches(claim, s) for s in varying):
                ranged = RANGE_BEFORE.search(before) or RANGE_AFTER.search(after)
                if (approx or ranged) and significant(claim) <= MAX_SIGNIFICANT:
                    continue
                offences.append(Offence(name, i, claim.text, context, "varies by CPU or seed: write it as about/a range"))
                continue
            offences.append(Offence(name, i, claim.text, context))
    return offences


def _python(source):
    "A code cell as plain Python (IPython's own transformer turns %magics and !shell into calls)."
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def bare_asserts(nb, name="notebook"):
    "(notebook, cell index, line) of every `assert` without a message."
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(_python(cell.source))
        except SyntaxError:  # a cell that shows a syntax error on purpose has no assert to check
            continue
        lines = _python(cell.source).splitlines()
        found += [(name, i, lines[n.lineno - 1].strip()) for n in ast.walk(tree)
                  if isinstance(n, ast.Assert) and n.msg is None]
    return found


def _read(path):
    return nbformat.read(path, as_version=4)


# ---------------------------------------------------------------------------------- the notebooks

@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_prose_numbers_are_shown(path):
    offences = prose_offences(_read(path), path.name)
    assert not offences, (
        f"{len(offences)} number(s) in the prose of {path.name} appear in no output or code cell; print each "
        "(or round it as printed), or cite it at the end of that markdown cell: <!-- cited: 70,000 (MNIST) -->\n"
        + "\n".join(map(str, offences)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_assert_has_a_message(path):
    bare = bare_asserts(_read(path), path.name)
    assert not bare, ("assertions without a message (say what was expected and what came: "
                      "assert acc >= target, f\"{acc:.4f} < {target:.4f}\"):\n"
                      + "\n".join(f"{n} cell {i}: {line}" for n, i, line in bare))


def unasserted_ignores(nb, name="notebook"):
    """(notebook, cell index) of every cell tagged nbval-ignore-output with no `assert` in the 2 code cells on either
    side; a cell that only times something (`%time`) has nothing to assert."""
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    return [(name, i) for k, (i, c) in enumerate(code) if IGNORED in c.get("metadata", {}).get("tags", [])
            and "%time" not in c.source and not any(re.search(r"\bassert\b", n.source) for _, n in code[max(0, k - 2):k] + code[k + 1:k + 3])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_ignored_output_is_asserted(path):
    "An output full mode does not compare is checked by an assertion beside it (a band that holds on any CPU)."
    missing = unasserted_ignores(_read(path), path.name)
    assert not missing, ("cells tagged nbval-ignore-output with no assertion in the two code cells before or after "
                         "(check what matters with a band): " + ", ".join(f"{n} cell {i}" for n, i in missing))


def test_an_unasserted_ignored_cell_is_reported():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("acc = train()", metadata={"tags": [IGNORED]}),
                nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("y = 2"),
                nbformat.v4.new_code_cell("assert acc > 0.9, f'{acc}'")]
    assert unasserted_ignores(nb) == [("notebook", 0)]
    nb.cells.insert(1, nbformat.v4.new_code_cell("assert acc > 0.9, f'{acc}'"))
    assert unasserted_ignores(nb) == []


# --------------------------------------------------------------------- the checkers can fail

PLANTS = ["93.17%", "0.6042", "14,233", "0.0271", "3.9e-05", "47.5"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_planted_wrong_number_is_reported(path):
    "A copy of the committed notebook with one false sentence added: the checker names that number."
    nb = _read(path)
    shown = shown_numbers(nb)
    plant = next(p for p in PLANTS if not any(matches(numbers(p)[0], s) for s in shown))
    before = {(o.cell, o.number) for o in prose_offences(nb)}
    planted = copy.deepcopy(nb)
    planted.cells.insert(3, nbformat.v4.new_markdown_cell(f"After training, the model reaches {plant} here."))
    after = {(o.cell - (o.cell > 3), o.number) for o in prose_offences(planted) if o.cell != 3}
    new = [o for o in prose_offences(planted) if o.cell == 3]
    assert [o.number for o in new] == [plant], f"the planted {plant} was not reported: {new}"
    assert after == before, "planting one sentence must not change what else is reported"
    cited = copy.deepcopy(planted)
    cited.cells[3].source += f"\n<!-- cited: {plant} (a planted figure) -->"
    assert not [o for o in prose_offences(cited) if o.cell == 3], "a cited number must be accepted"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_planted_bare_assert_is_reported(path):
    nb = _read(path)
    nb.cells.append(nbformat.v4.new_code_cell("acc = 0.5\nassert acc > 0.9"))
    nb.cells.append(nbformat.v4.new_code_cell("%time x = 1\nif x:\n    assert x == 1, f'x is {x}'"))
    bare = bare_asserts(nb)
    assert (len(nb.cells) - 2, "assert acc > 0.9") in [(i, line) for _, i, line in bare]
    assert len(nb.cells) - 1 not in [i for _, i, _ in bare], "an assert with a message must pass"


def _tiny(markdown, code="", output="", varying=False):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(code, metadata={"tags": [IGNORED]} if varying else {})
    if output:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
    nb.cells = [nbformat.v4.new_markdown_cell(markdown), cell]
    return [o.number for o in prose_offences(nb)]


@pytest.mark.parametrize("prose,output,code", [
    ("It reaches 0.5186.", "loss 0.51857", ""),
    ("It reaches 98.64%.", "accuracy 0.98641", ""),
    ("It reaches 0.9864.", "accuracy 98.64%", ""),
    ("All 11,876 images.", "torch.Size([11876, 784])", ""),
    ("Loss falls to about 0.17.", "0.1734", ""),
    ("about 12,000 images", "11876", ""),
    ("A rate of 1e-3.", "", "lr = 0.001"),
    ("A rate of 10,000.", "", "lrs = [1, 10, 1e4]"),
    ("Below −5 or above 5, and at 28 × 28.", "", "x[x.abs() > 5]; img.reshape(28, 28)"),
    ("Step 1, notebook 05, digits 2 and 6, two layers.", "", ""),
    ("[![badge 2019](https://example.org/v/123.svg)](https://x.org/456) <img width=400>", "", ""),
    ("`float32`, `w1`, `int64`, 2D, 3rd.", "", ""),
    ("A 32-bit float.", "torch.float32", ""),
    ("It was 0.5186 in the write-up.\n<!-- cited: 0.5186 (the original write-up) -->", "", ""),
])
def test_accepted(prose, output, code):
    assert _tiny(prose, code, output) == []


@pytest.mark.parametrize("prose,output,code,wrong", [
    ("It reaches 0.5187.", "loss 0.51857", "", "0.5187"),
    ("It reaches 98.7%.", "accuracy 0.98641", "", "98.7%"),
    ("All 11,867 images.", "torch.Size([11876, 784])", "", "11,867"),
    ("12,000 images", "11876", "", "12,000"),
    ("## Reaching 99.4%", "0.984", "", "99.4%"),
    ("A net of 784 → 200 → 1.", "", "nn.Linear(784, 100)", "200"),
    ("It was 0.5186 in the write-up.\n<!-- a comment 0.5186 -->", "", "", "0.5186"),
])
def test_rejected(prose, output, code, wrong):
    assert _tiny(prose, code, output) == [wrong]


@pytest.mark.parametrize("prose", [
    "It reaches about 98.5%.", "Loss falls to roughly 0.07.", "It ends at ~96%.",
    "Over five seeds, 98.3–98.6%.", "between 98.3% and 98.6%", "about 12,000 images",
])
def test_a_varying_number_written_as_approximate_is_accepted(prose):
    output = "accuracy 0.98541 0.98291 0.98591 loss 0.0703 acc 0.9613 images 11876"
    assert _tiny(prose, output=output, varying=True) == []


@pytest.mark.parametrize("prose,wrong", [
    ("It reaches 98.54%.", "98.54%"),           # exact, from an output that varies
    ("It reaches about 98.54%.", "98.54%"),     # approximate, but too many digits to be true elsewhere
    ("The loss ends at 0.0703.", "0.0703"),
])
def test_a_varying_number_written_as_exact_is_reported(prose, wrong):
    output = "accuracy 0.98541 loss 0.0703"
    assert _tiny(prose, output=output, varying=True) == [wrong]
    assert _tiny(prose, output=output, varying=False) == [], "the same output from a stable cell may be quoted exactly"


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]] or NOTEBOOKS
    for path in paths:
        nb = _read(path)
        offences, bare = prose_offences(nb, path.name), bare_asserts(nb, path.name)
        print(f"{path.name}: {len(offences)} unshown number(s), {len(bare)} assert(s) without a message")
        for o in offences:
            print("   ", o)
        for _, i, line in bare:
            print(f"    {path.name} cell {i}: {line}")
