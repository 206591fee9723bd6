"""`make student`: the student edition, student/<same names>.ipynb (committed, like fastbook's clean/).

    python -m tools.student              # notebooks/[0-9]*.ipynb -> student/ (and student/README.md)
    python -m tools.student --out DIR    # the same, into DIR (tests/test_student.py compares DIR with student/)

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
import re
import sys
import textwrap
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

from tools.check_notebooks import badge_markdown, put_badge, repository
from tools.runner import write_atomically

ROOT = Path(__file__).resolve().parent.parent
FOLDER = "student"
GENERIC = "answer the exercise above in this cell"
HEADER = (
    "*Student edition.* Each exercise has a cell that starts with `# Your turn:`: replace its `...` with your "
    "answer and run it, then run the cell right below it, which checks your answer and says what is wrong, if "
    "anything. Until you have answered, that check only prints a reminder, so **Run All** works from top to "
    "bottom. The questions at the end are for discussion.")
CHECK_NOTE = "# The check: it runs once you have answered the cell above (until then it only reminds you).\n"
LATER_NOTE = "# This cell reads your answer: it runs once you have answered the exercise above.\n"
CHECK_PASSED = '    print("✓ your answer passes the check")\n'


class StudentError(Exception):
    "A source notebook breaks a student-edition rule; the message says which cell and name."


def _python(src):
    "The cell as plain Python (IPython magics turned into calls), or None if it does not parse."
    try:
        return ast.parse(TransformerManager().transform_cell(src))
    except SyntaxError:
        return None


def _stored(targets):
    "The plain names that assignment targets bind (`a, *b = ...`, not `a[0] = ...`)."
    return {n.id for t in targets if t is not None for n in ast.walk(t)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def defined_names(tree):
    "Names a cell defines at top level, also inside if/for/with/try (assignments, for/with targets, def/class, imports)."
    names = set()
    for node in tree.body:
        for sub in ast.walk(node) if isinstance(node, (ast.If, ast.With, ast.For, ast.Try)) else [node]:
            if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(sub.name)
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in sub.names)
            elif isinstance(sub, ast.Assign):
                names |= _stored(sub.targets)
            elif isinstance(sub, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
                names |= _stored([sub.target])
            elif isinstance(sub, ast.withitem):
                names |= _stored([sub.optional_vars])
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
    wait for the answer."""
    found = []
    only_in_answers = {}  # name -> the solution cell whose answer it is (or is computed from)
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
            pending = (i, defined_names(tree))
            only_in_answers.update(dict.fromkeys(pending[1], i))
        elif tree is None:
            continue
        elif pending:  # the check cell of the answer just above
            (sol, names), pending = pending, None
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
            only_in_answers.update(dict.fromkeys(defined_names(tree), sol))  # what the check computes
        elif bad := sorted(used_names(tree) & set(only_in_answers)):  # it waits for the answer, and so do its names
            sol = only_in_answers[bad[0]]
            found.append((sol, i, set(bad)))
            only_in_answers.update(dict.fromkeys(defined_names(tree), sol))
        else:
            for n in defined_names(tree):
                only_in_answers.pop(n, None)
    if pending:
        raise StudentError(f"{name}: solution cell {pending[0]} has no check cell below it; add an assertion "
                           "with the expected value, or a checker from nbhelpers.checks")
    return found


def waiting_cells(found):
    "The cells of `exercises(...)` that wait for an answer other than the checks right below the answers."
    checks = {}
    for sol, cell, _ in found:
        checks.setdefault(sol, cell)
    return [cell for sol, cell, _ in found if checks[sol] != cell]


def prompt_source(solution, reads=()):
    """The prompt that replaces a solution cell: the task (the answer's first comment, else a generic line),
    `name = ...` for each answer the check reads, and the signature of each function it defines (body `...`)."""
    task = next((line.lstrip("# ").strip() for line in solution.splitlines() if line.strip().startswith("#")
                 and line.lstrip("# ").strip()), GENERIC)
    task = re.sub(r"^your turn:\s*", "", task, flags=re.I) or GENERIC
    lines = textwrap.wrap(f"Your turn: {task}", width=96, initial_indent="# ", subsequent_indent="# ")
    functions = [n for n in _python(solution).body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for node in functions:
        lines += [f"def {node.name}({ast.unparse(node.args)}):", "    ...  # your code here", ""]
    lines += [f"{n} = ...  # your answer here" for n in sorted(set(reads) - {f.name for f in functions})]
    if not functions and not reads:
        lines.append("...")
    return "\n".join(lines).rstrip() + "\n"


def _display_last(src):
    "`src` with a final bare expression wrapped in display(), so it still shows inside an `if`."
    tree = _python(src)
    last = tree.body[-1] if tree and tree.body else None
    if not isinstance(last, ast.Expr):
        return src
    call = last.value.func.id if isinstance(last.value, ast.Call) and isinstance(last.value.func, ast.Name) else ""
    if call in ("print", "display") or call.startswith("check_"):
        return src  # a checker prints its own verdict
    lines = src.rstrip().splitlines()
    expr = ast.get_source_segment(src, last)
    if len(lines) != last.end_lineno or last.col_offset or expr is None:
        return src  # magics moved the lines: leave it
    head = "\n".join(lines[:last.lineno - 1])
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


def student_notebook(nb, name="notebook"):
    "The student edition of notebook `nb` (a new object; `nb` is not changed)."
    found = exercises(nb, name)
    nb = copy.deepcopy(nb)
    reads = {cell: names for _, cell, names in found}
    waiting = waiting_cells(found)
    # A name that a guarded cell reads is `...` in the cell that defines it (an answer, or a cell that waits too).
    placeholders, defined_by = {}, {}
    for i in sorted({sol for sol, _, _ in found} | set(reads)):
        for n in reads.get(i, ()):
            placeholders.setdefault(defined_by[n], set()).add(n)
        defined_by.update(dict.fromkeys(defined_names(_python(nb.cells[i].source)), i))
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    if markdown:
        badge = badge_markdown(repository(), name, folder=FOLDER)
        markdown[0].source = put_badge(markdown[0].source, f"{badge}\n\n{HEADER}")
    for i, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)  # nbclient's timings
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        tags = [t for t in cell.metadata.get("tags", []) if not t.startswith("nbval-")]
        if is_solution(cell):
            cell.source = prompt_source(cell.source, placeholders.get(i, ()))
            tags = [t for t in tags if t != "solution"] + ["exercise"]
        elif i in reads:
            note = LATER_NOTE if i in waiting else CHECK_NOTE
            cell.source = check_source(cell.source, reads[i], note, placeholders.get(i, ()))
            tags.append("check")
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
    nbformat.validate(nb)
    return nb


def readme(names):
    "student/README.md: what this folder is, and one Colab link per notebook."
    rows = "\n".join(f"| [{n}]({n}) | {badge_markdown(repository(), n, folder=FOLDER)} |" for n in names)
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", help="default: notebooks/[0-9]*.ipynb")
    ap.add_argument("--out", type=Path, default=ROOT / FOLDER)
    args = ap.parse_args(argv)
    paths = [Path(p) for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    failed = 0
    for src in paths:
        nb = nbformat.read(src, as_version=4)
        try:
            edition = student_notebook(nb, src.name)
        except StudentError as e:
            print(e, file=sys.stderr)
            failed += 1
            continue
        write_atomically(args.out / src.name, nbformat.writes(edition) + "\n")
        waiting = waiting_cells(exercises(nb, src.name))
        print(f"{src.name}: {sum(map(is_solution, nb.cells))} exercise(s)"
              + (f"; cells {waiting} wait for an answer" if waiting else "") + f" -> {args.out / src.name}")
    write_atomically(args.out / "README.md", readme([p.name for p in paths]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
