"""`make student`: the student edition, student/<same names>.ipynb (committed, like fastbook's clean/).

    python -m tools.student                  # notebooks/[0-9]*.ipynb -> student/ (and student/README.md)
    python -m tools.student --out DIR        # the same, into DIR (the sync test compares the two)
    python -m tools.student --check          # exit 1 if student/ differs from what the tool would write

An exercise in a source notebook is: a markdown prompt, the answer in a code cell tagged
`solution`, and right below it a check cell (an assertion with the expected value, or a checker
from `nbhelpers.checks`).  In the student edition

* the answer becomes a prompt cell tagged `exercise`: `# Your turn: ...`, then `name = ...` for
  each answer the check reads and the signature of each function the answer defines (body `...`);
* the check cell is kept, under `if answered(name, ...):` (`nbhelpers.checks.answered`): while
  the `...` are still there it prints a "your turn" line and checks nothing; once the student
  has answered, it runs the original check, which says what is wrong, if anything.

So **Run All works on the student edition with every exercise left as given**, and a blank
answer is never reported as a right one.  For that the tool enforces two rules, and refuses
(exit 1, naming the cell and the name) a notebook that breaks either:

1. a check cell reads at least one name the answer defines (else it would check nothing);
2. a later cell that reads an answer (a name only an answer, its check, or another such cell
   defines) is guarded the same way: it waits for the answer.  `make student` lists these cells,
   because a student who skips the exercise does not see them run; keep them few (the lesson
   should carry on with what the other cells built).

The header keeps the title, replaces the Colab badge by one that opens the student copy, and
says how to check answers.  Outputs are cleared and each file is written atomically.
"""

import argparse
import ast
import copy
import difflib
import re
import sys
import tempfile
import textwrap
from pathlib import Path

import nbformat

from tools.check_notebooks import badge_markdown, badge_url, put_badge, repository
from tools.runner import write_atomically

ROOT = Path(__file__).resolve().parent.parent
FOLDER = "student"
GENERIC = "answer the exercise above in this cell"
HEADER = (
    "*Student edition.* Each exercise has a cell that starts with `# Your turn:`: replace its `...` with your "
    "answer and run it, then run the cell right below it, which checks your answer and says what is wrong, if "
    "anything. Until you have answered, that check only prints a reminder, so **Run All** works from top to "
    "bottom. The questions at the end are for discussion.\n")
CHECK_NOTE = "# The check: it runs once you have answered the cell above (until then it only reminds you).\n"
LATER_NOTE = "# This cell reads your answer: it runs once you have answered the exercise above.\n"
CHECK_PASSED = '    print("✓ your answer passes the check")\n'


class StudentError(Exception):
    "A source notebook breaks a student-edition rule; the message says which cell and name."


def colab_url(name, repo=None):
    "The Colab address of student/<name>."
    return badge_url(repo or repository(), name, folder=FOLDER)


def badge(name, repo=None):
    return badge_markdown(repo or repository(), name, folder=FOLDER)


def _python(src):
    "The cell as plain Python (IPython magics turned into calls), or None if it does not parse."
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        src = TransformerManager().transform_cell(src)
    except ImportError:
        pass
    try:
        return ast.parse(src)
    except SyntaxError:
        return None


def _targets(node):
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, (ast.Tuple, ast.List)):
        for e in node.elts:
            yield from _targets(e)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)


def defined_names(tree):
    "Names a cell defines at top level (assignments, for/with targets, def/class, imports)."
    names = set()
    for node in tree.body:
        for sub in [node, *ast.walk(node)] if isinstance(node, (ast.If, ast.With, ast.For, ast.Try)) else [node]:
            if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(sub.name)
            elif isinstance(sub, ast.Assign):
                for t in sub.targets:
                    names.update(_targets(t))
            elif isinstance(sub, (ast.AugAssign, ast.AnnAssign)):
                names.update(_targets(sub.target))
            elif isinstance(sub, (ast.For, ast.AsyncFor)):
                names.update(_targets(sub.target))
            elif isinstance(sub, ast.With):
                for item in sub.items:
                    if item.optional_vars is not None:
                        names.update(_targets(item.optional_vars))
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in sub.names)
    return names


def used_names(tree):
    "Names a cell reads that it does not itself bind (arguments and anything it stores excluded)."
    loads, stores = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
        elif isinstance(node, ast.arg):
            stores.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stores.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stores.update((a.asname or a.name).split(".")[0] for a in node.names)
    return loads - stores


def is_solution(cell):
    return "solution" in cell.get("metadata", {}).get("tags", [])


def exercises(nb, name="notebook"):
    """[(solution index, index of a cell that reads its answer, the names it reads)], checking both rules.

    The first entry for each solution is its check cell, right below it; later entries are cells that
    only check or show an answer."""
    found = []
    only_in_answers = {}  # name -> the solution cell that defines it
    pending = None  # (solution index, names it defines) until its check cell is seen
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = _python(cell.source)
        if is_solution(cell):
            if pending:
                raise StudentError(f"{name}: solution cell {pending[0]} has no check cell below it (the next code "
                                   f"cell, {i}, is another solution)")
            if tree is None:
                raise StudentError(f"{name}: solution cell {i} does not parse as Python")
            names = defined_names(tree)
            for n in names:
                only_in_answers[n] = i
            pending = (i, names)
            continue
        if tree is None:
            continue
        if pending:  # the check cell of the answer just above
            sol, names = pending
            pending = None
            reads = used_names(tree) & names
            if not reads:
                raise StudentError(
                    f"{name}: the check cell {i} below solution cell {sol} reads none of the names the answer defines "
                    f"({', '.join(sorted(names)) or 'it defines none'}), so it would check nothing in the student "
                    "edition. Give the answer a name (`n_params = ...`) and check that name.")
            if cell.source.lstrip().startswith("%%"):
                raise StudentError(f"{name}: the check cell {i} starts with a cell magic; the student edition must "
                                   "wrap it in `if answered(...):`")
            found.append((sol, i, reads))
            for n in defined_names(tree):  # what the check computes exists only once answered
                only_in_answers[n] = sol
            continue
        bad = sorted(used_names(tree) & set(only_in_answers))
        if bad:  # it reads an answer: it waits for it, like a check, and so does whatever it defines
            sol = only_in_answers[bad[0]]
            found.append((sol, i, set(bad)))
            for n in defined_names(tree):
                only_in_answers[n] = sol
            continue
        for n in defined_names(tree):
            only_in_answers.pop(n, None)
    if pending:
        raise StudentError(f"{name}: solution cell {pending[0]} has no check cell below it; add an assertion "
                           "with the expected value, or a checker from nbhelpers.checks")
    return found


def check_independence(nb, name="notebook"):
    "Raise StudentError if the notebook breaks a student-edition rule (see the module docstring)."
    exercises(nb, name)


def prompt_source(solution, reads=()):
    """The prompt that replaces a solution cell: the task (the answer's first comment, else a generic line),
    `name = ...` for each answer the check reads, and the signature of each function it defines (body `...`)."""
    task = next((line.lstrip("# ").strip() for line in solution.splitlines() if line.strip().startswith("#")
                 and line.lstrip("# ").strip()), GENERIC)
    task = re.sub(r"^your turn:\s*", "", task, flags=re.I) or GENERIC
    lines = textwrap.wrap(f"Your turn: {task}", width=96, initial_indent="# ", subsequent_indent="# ")
    tree = _python(solution)
    functions = [n for n in (tree.body if tree else []) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for node in functions:
        lines += [f"def {node.name}({ast.unparse(node.args)}):", "    ...  # your code here", ""]
    for n in sorted(set(reads) - {f.name for f in functions}):
        lines.append(f"{n} = ...  # your answer here")
    if not functions and not reads:
        lines.append("...")
    return "\n".join(lines).rstrip() + "\n"


def _display_last(src):
    "`src` with a final bare expression wrapped in display(), so it still shows inside an `if`."
    tree = _python(src)
    last = tree.body[-1] if tree and tree.body else None
    call = last.value.func.id if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and isinstance(
        last.value.func, ast.Name) else ""
    if not isinstance(last, ast.Expr) or call in ("print", "display") or call.startswith("check_"):
        return src  # a checker prints its own verdict
    lines = src.rstrip().splitlines()
    if len(lines) != last.end_lineno or last.col_offset or ast.get_source_segment(src, last) is None:
        return src  # magics moved the lines: leave it
    head = "\n".join(lines[:last.lineno - 1])
    expr = ast.get_source_segment(src, last)
    expr = f"({expr})" if isinstance(last.value, ast.Tuple) and not expr.startswith("(") else expr
    return (head + "\n" if head else "") + f"display({expr})"


def check_source(check, reads, note=CHECK_NOTE, placeholders=()):
    """The check cell (or a later cell that reads an answer), run only once every answer it reads is filled in;
    `placeholders`: names it defines that later waiting cells read (`...` until it runs)."""
    body = textwrap.indent(_display_last(check.rstrip()) + "\n", "    ")
    done = "" if re.search(r"\bcheck_\w+\(", check) else CHECK_PASSED
    blank = "".join(f"{n} = ...  # set below, once you have answered\n" for n in sorted(placeholders))
    return (note + "from nbhelpers.checks import answered\n" + blank
            + f"if answered({', '.join(sorted(reads))}):\n" + body + done)


def _is_check_below(nb, i, solution):
    "True if code cell i is the first code cell after the solution cell."
    return next(k for k in range(solution + 1, len(nb.cells)) if nb.cells[k].cell_type == "code") == i


def header(source, name, repo=None):
    "The first markdown cell with the student badge and how to check answers."
    return put_badge(source, badge(name, repo) + "\n\n" + HEADER.rstrip("\n"))


def waiting_cells(nb, name="notebook"):
    "The cells, other than the checks right below the answers, that wait for an answer in the student edition."
    return [c for s, c, _ in exercises(nb, name) if not _is_check_below(nb, c, s)]


def student_notebook(nb, name="notebook", repo=None):
    "The student edition of notebook `nb` (a new object; `nb` is not changed)."
    found = exercises(nb, name)
    nb = copy.deepcopy(nb)
    checks = {c: (s, reads) for s, c, reads in found}
    placeholders = {}  # cell -> the names it defines that a later waiting cell reads: `...` until it runs
    defined_by = {}  # name -> the latest answer or waiting cell that defines it
    events = sorted({(s, None) for s, _, _ in found} | {(c, s) for s, c, _ in found}, key=lambda e: e[0])
    for cell, solution in events:
        if solution is not None:
            for n in checks[cell][1]:
                placeholders.setdefault(defined_by.get(n, solution), set()).add(n)
        for n in defined_names(_python(nb.cells[cell].source)):
            defined_by[n] = cell
    first_markdown = True
    for i, cell in enumerate(nb.cells):
        meta = cell.setdefault("metadata", {})
        meta.pop("execution", None)  # nbclient's timings
        if cell.cell_type == "markdown":
            if first_markdown:
                cell.source = header(cell.source, name, repo)
                first_markdown = False
            continue
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        tags = [t for t in meta.get("tags", []) if not t.startswith("nbval-")]
        if is_solution(cell):
            cell.source = prompt_source(cell.source, placeholders.get(i, ()))
            tags = [t for t in tags if t != "solution"] + ["exercise"]
        elif i in checks:
            below = _is_check_below(nb, i, checks[i][0])
            cell.source = check_source(cell.source, checks[i][1], CHECK_NOTE if below else LATER_NOTE,
                                       placeholders.get(i, ()))
            tags = [*tags, "check"]
        if tags:
            meta["tags"] = tags
        else:
            meta.pop("tags", None)
    nbformat.validate(nb)
    return nb


def readme(names, repo=None):
    "student/README.md: what this folder is, and one Colab link per notebook."
    rows = "\n".join(f"| [{n}]({n}) | {badge(n, repo)} |" for n in names)
    return f"""# Student edition

The notebooks of the series with the exercise answers taken out. Generated by `make student`
from `notebooks/` (do not edit here: edit the notebook there, then run `make student`).

Each exercise has a cell that starts with `# Your turn:`. Replace its `...` with your answer and
run it, then run the cell right below it: it checks your answer and says what is wrong, if
anything. Until you have answered, that check only prints a reminder, so Run All works.

| notebook | open in Colab |
|---|---|
{rows}
"""


def build(paths, out, repo=None, verbose=True):
    "Write the student edition of `paths` into `out`; return the number of notebooks refused."
    failed = 0
    out = Path(out)
    for src in paths:
        nb = nbformat.read(src, as_version=4)
        try:
            edition = student_notebook(nb, src.name, repo)
        except StudentError as e:
            print(e, file=sys.stderr)
            failed += 1
            continue
        write_atomically(out / src.name, nbformat.writes(edition) + "\n")
        if verbose:
            n = sum(is_solution(c) for c in nb.cells)
            waiting = waiting_cells(nb, src.name)
            print(f"{src.name}: {n} exercise(s)" + (f"; cells {waiting} wait for an answer" if waiting else "")
                  + f" -> {out / src.name}")
    write_atomically(out / "README.md", readme([p.name for p in paths], repo))
    return failed


def _what_differs(old, new, most=5):
    "A few lines saying how `old` differs from `new`: by cell for notebooks, else a short text diff."
    if old.suffix == ".ipynb":
        try:
            a, b = nbformat.reads(old.read_text(), as_version=4).cells, nbformat.reads(new.read_text(), as_version=4).cells
        except Exception:  # noqa: BLE001 - a damaged copy is simply out of date
            return "  (not a readable notebook)"
        lines = [f"  {len(a)} cells, the source notebook gives {len(b)}"] if len(a) != len(b) else []
        def first(cell):
            return next((line for line in cell.source.splitlines() if line.strip()), "")[:90]

        for i, (x, y) in enumerate(zip(a, b)):
            if x.source != y.source:
                lines.append(f"  cell {i} differs; now it starts: {first(y)}")
        lines += [f"  cell {i} is new: {first(y)}" for i, y in enumerate(b[len(a):], len(a))]
        lines += [f"  cell {i} is gone: {first(x)}" for i, x in enumerate(a[len(b):], len(b))]
        lines = lines or ["  cell ids or metadata differ"]
        return "\n".join(lines[:most] + ([f"  ... and {len(lines) - most} more"] if len(lines) > most else []))
    diff = difflib.unified_diff(old.read_text().splitlines(), new.read_text().splitlines(), lineterm="", n=0)
    return "\n".join("  " + line for line in list(diff)[2:12])


def differences(built, committed):
    "What differs between a fresh build and the committed folder: a list of lines (empty when in sync)."
    built, committed = Path(built), Path(committed)
    names = sorted({p.name for p in built.iterdir()} | {p.name for p in committed.glob("*") if p.is_file()})
    found = []
    for n in names:
        a, b = built / n, committed / n
        if not b.exists():
            found.append(f"{FOLDER}/{n} is missing")
        elif not a.exists():
            found.append(f"{FOLDER}/{n} has no source notebook any more")
        elif a.read_bytes() != b.read_bytes():
            found.append(f"{FOLDER}/{n} is out of date:\n" + _what_differs(b, a))
    return found


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", help="default: notebooks/[0-9]*.ipynb")
    ap.add_argument("--out", default=str(ROOT / FOLDER))
    ap.add_argument("--check", action="store_true", help=f"only compare {FOLDER}/ with a fresh build")
    args = ap.parse_args(argv)
    paths = [Path(p) for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            if build(paths, tmp, verbose=False):
                return 1
            found = differences(tmp, args.out)
        for line in found:
            print(line, file=sys.stderr)
        if found:
            print(f"{FOLDER}/ is out of date with notebooks/: run `make student` and commit {FOLDER}/", file=sys.stderr)
        return 1 if found else 0
    return 1 if build(paths, args.out) else 0


if __name__ == "__main__":
    sys.exit(main())
