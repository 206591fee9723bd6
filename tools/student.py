"""`make student`: the student edition, build/student/<same names>.ipynb.

    python tools/student.py                        # notebooks/[0-9]*.ipynb -> build/student/
    python tools/student.py --out DIR a.ipynb ...

Each cell tagged `solution` becomes a short prompt: a code cell tagged `exercise` that says
what to do ("# Your turn: ..." from the solution's first comment line, else the **Exercise.**
paragraph above it, else a generic line), keeps the *signature* of any
function the answer defines (body `...`), and names the checker from `nbhelpers.checks` that
fits.  The prompt cell runs without error and defines nothing the rest of the notebook uses.

The design rule that makes "Run All" work in the student edition: **no later cell may use a
name that only a solution cell defines.**  This tool enforces it: it refuses (exit 1, naming
the cell and the name) to write a notebook that breaks it.  Exercises therefore compute things
on the side (a baseline, an alternative loss, one hand-written step); the lesson carries on
with what the non-solution cells built.

Outputs are cleared, execution counts set to None, the Colab badge (which opens the full
edition with the answers) replaced by a note, and each file is written atomically.
"""

import argparse
import ast
import copy
import re
import sys
import textwrap
from pathlib import Path

import nbformat
from atomic import notebook_text, write_atomically

ROOT = Path(__file__).resolve().parent.parent
BADGE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)\n?")
NOTE = ("*Student edition: the answers to the exercises are blanked; write yours in the cells marked "
        "\"Your turn\". The full notebook in the project has the answers.*\n")
GENERIC = "answer the exercise above in this cell"
# Which checker fits a function, by what its name says.
CHECKERS = [("loss", "check_loss"), ("sigmoid", "check_sigmoid"), ("accuracy", "check_accuracy"),
            ("step", "check_step")]


class StudentError(Exception):
    "A source notebook breaks the student-edition rule; the message says which cell and name."


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


def check_independence(nb, name="notebook"):
    "Raise StudentError if a later non-solution cell uses a name only a solution cell defines."
    only_in_solutions = {}  # name -> index of the solution cell that defines it
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = _python(cell.source)
        if tree is None:
            continue
        if is_solution(cell):
            for n in defined_names(tree):
                only_in_solutions.setdefault(n, i)
            continue
        bad = sorted(used_names(tree) & set(only_in_solutions))
        if bad:
            n = bad[0]
            raise StudentError(
                f"{name}: cell {i} uses `{n}`, which only the solution cell {only_in_solutions[n]} defines; in the "
                "student edition that cell is blank, so this cell would fail. Define it in a non-solution cell, or "
                "make the exercise compute something on the side.")
        for n in defined_names(tree):
            only_in_solutions.pop(n, None)


def _exercise_text(markdown):
    "The paragraph that starts with **Exercise.**, on one line, without that label."
    para = next((p for p in re.split(r"\n\s*\n", markdown) if re.search(r"\*\*Exercise", p, re.I)), "")
    text = " ".join(re.sub(r"\*\*Exercise\.?\*\*\s*", "", para, flags=re.I).split())
    return text if len(text) <= 400 else text[:397] + "..."


def prompt_source(solution, previous_markdown=""):
    "The prompt that replaces a solution cell's source."
    comment = next((line.lstrip("# ").strip() for line in solution.splitlines() if line.strip().startswith("#")
                    and line.lstrip("# ").strip()), None)
    if comment:
        task = comment
    elif re.search(r"\*\*Exercise", previous_markdown, re.I):
        task = _exercise_text(previous_markdown)
    else:
        task = GENERIC
    lines = textwrap.wrap(f"Your turn: {task}", width=96, initial_indent="# ", subsequent_indent="# ")
    tree = _python(solution)
    checks, stubs = [], 0
    for node in tree.body if tree else []:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stubs += 1
            lines += [f"def {node.name}({ast.unparse(node.args)}):", "    ...  # your code here", ""]
            for word, checker in CHECKERS:
                if word in node.name.lower():
                    checks.append(f"{checker}({node.name})")
                    break
    if checks:
        lines.append(f"# Check it: from nbhelpers.checks import {', '.join(c.split('(')[0] for c in checks)}; "
                     + "; ".join(checks))
    elif not stubs:
        lines.append("...")
    return "\n".join(lines).rstrip() + "\n"


def student_notebook(nb, name="notebook"):
    "The student edition of notebook `nb` (a new object; `nb` is not changed)."
    check_independence(nb, name)
    nb = copy.deepcopy(nb)
    previous_markdown = ""
    for i, cell in enumerate(nb.cells):
        meta = cell.setdefault("metadata", {})
        meta.pop("execution", None)  # nbclient's timings
        if cell.cell_type == "markdown":
            if i == 0 and BADGE.search(cell.source):
                cell.source = BADGE.sub(NOTE, cell.source, count=1)
            previous_markdown = cell.source
            continue
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        if is_solution(cell):
            cell.source = prompt_source(cell.source, previous_markdown)
            meta["tags"] = [t for t in meta.get("tags", []) if t != "solution"] + ["exercise"]
    nbformat.validate(nb)
    return nb


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", help="default: notebooks/[0-9]*.ipynb")
    ap.add_argument("--out", default=str(ROOT / "build" / "student"))
    args = ap.parse_args(argv)
    paths = [Path(p) for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    failed = 0
    for src in paths:
        nb = nbformat.read(src, as_version=4)
        try:
            out = student_notebook(nb, src.name)
        except StudentError as e:
            print(e, file=sys.stderr)
            failed += 1
            continue
        dest = Path(args.out) / src.name
        write_atomically(dest, notebook_text(out))
        n = sum(is_solution(c) for c in nb.cells)
        print(f"{src.name}: {n} exercise(s) -> {dest}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
