"""Hygiene of the committed notebooks: what a clean run leaves, and nothing personal.

    python -m tools.check_notebooks                       # check notebooks/[0-9]*.ipynb
    python -m tools.check_notebooks a.ipynb b.ipynb       # check these (pre-commit passes them)
    python -m tools.check_notebooks --fix-badges          # rewrite every Colab badge and install cell
    python -m tools.check_notebooks --strip-metadata      # drop metadata keys that are not allowed

Each notebook must have:

* execution counts 1..N on its code cells, in order (a clean top-to-bottom run: `make notebooks`);
* no empty cells at the end;
* a valid nbformat 4 notebook (every cell has an id);
* no personal or tool-specific metadata (widget state, toc/varInspector, timings, Colab's
  provenance) and no home folders (/root/, /home/<user>/, /Users/<user>/) in outputs or metadata;
* nothing written to stderr;
* first cell: markdown with the Colab badge for this very file, its address built from the one
  repository address in pyproject.toml ([project.urls] Repository);
* second cell: exactly the install cell (`install_source`): `%pip install` of that same
  repository (or of $NBHELPERS_WHEEL) where `nbhelpers` cannot be imported, a no-op where it can;
  when the install fails it raises, so Run All stops there with what to do.

Exit status 1 when something is wrong; every message names the notebook, the cell and the fix.
"""

import argparse
import copy
import json
import re
import sys
import tomllib
import warnings
from pathlib import Path

import nbformat

from tools.runner import write_atomically

ROOT = Path(__file__).resolve().parent.parent
BRANCH = "main"

# Metadata that a clean run in Jupyter legitimately leaves; anything else is flagged (tools/execute_notebooks.py
# drops nbclient's per-cell `execution` timestamps).
NOTEBOOK_METADATA = {"kernelspec", "language_info"}
CELL_METADATA = {"tags", "collapsed", "scrolled", "jupyter", "editable", "deletable", "slideshow"}
HOME = re.compile(r"(/root/|/home/[^/\s\"']+/|/Users/[^/\s\"']+/|[A-Za-z]:\\\\?Users\\\\?[^\\\s\"']+)")
# A Colab badge, whoever wrote it (tools/student.py replaces it with the student copy's).
BADGE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\((?P<url>[^)\s]+)\)")


def repository(pyproject=ROOT / "pyproject.toml"):
    "The one repository address: pyproject.toml [project.urls] Repository, without a trailing slash or .git."
    with open(pyproject, "rb") as f:
        url = tomllib.load(f)["project"]["urls"]["Repository"]
    return url.rstrip("/").removesuffix(".git")


def badge_url(repo, name, folder="notebooks"):
    "The Colab address of <folder>/<name> in GitHub repository `repo` (https://github.com/owner/name)."
    m = re.fullmatch(r"https://github\.com/([^/]+/[^/]+)", repo)
    if not m:
        raise ValueError(f"[project.urls] Repository must be https://github.com/<owner>/<name>, not {repo!r}")
    return f"https://colab.research.google.com/github/{m.group(1)}/blob/{BRANCH}/{folder}/{name}"


def badge_markdown(repo, name, folder="notebooks"):
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({badge_url(repo, name, folder)})")


def put_badge(source, badge):
    "Markdown `source` with its Colab badge replaced by `badge`, or `badge` added below its # title (or on top)."
    if BADGE.search(source):
        return BADGE.sub(lambda m: badge, source, count=1)
    title, _, rest = source.partition("\n")
    if not title.startswith("#"):
        return f"{badge}\n\n{source}"
    return f"{title}\n\n{badge}\n" + (f"\n{rest.lstrip(chr(10))}" if rest.strip() else "")


def install_source(repo):
    "The install cell: installs the helpers where they are missing, and stops Run All with what to do when that fails."
    return (
        "# Install this series' helpers where they are missing (Colab, a JupyterHub, a laptop); a no-op where they are installed.\n"
        "# Without git or GitHub: set NBHELPERS_WHEEL to the wheel file (README: \"When something goes wrong\").\n"
        "import importlib.util\n"
        "import os\n"
        "import shutil\n"
        'if importlib.util.find_spec("nbhelpers") is None:\n'
        f'    src = os.environ.get("NBHELPERS_WHEEL") or "nbhelpers @ git+{repo}"\n'
        '    if importlib.util.find_spec("torch") is None:\n'
        '        print("PyTorch is missing: pip downloads it now with fastai, about 3 GB with CUDA. Without a GPU, interrupt "\n'
        '              "(■) and first run, for about 200 MB instead:\\n"\n'
        '              "%pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu")\n'
        '    if src.startswith("nbhelpers @ git+") and not shutil.which("git"):\n'
        '        raise RuntimeError("git is not installed, and pip needs it to install from GitHub: install git, or set "\n'
        '                           "NBHELPERS_WHEEL to the wheel file (README: When something goes wrong)")\n'
        '    %pip install "{src}"\n'
        "    importlib.invalidate_caches()\n"
        '    if importlib.util.find_spec("nbhelpers") is None:\n'
        '        raise RuntimeError(f"Could not install {src} (pip\'s error is above: no network, or the address "\n'
        '                           "unreachable?). Connect and run this cell again, or see the README: When something "\n'
        '                           "goes wrong. On a JupyterHub the admin installs it once for everyone.")')


def _src(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _walk_strings(obj, where):
    "Every string inside a JSON value, with a readable location."
    if isinstance(obj, str):
        yield where, obj
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk_strings(v, where)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk_strings(v, f"{where}.{k}")


def check(path, repo):
    "A list of problems with the notebook at `path` (empty when it is clean)."
    path = Path(path)
    name = path.name
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return [f"{name}: cannot be read as JSON ({e})"]
    cells = nb.get("cells", [])
    problems = []

    def say(msg):
        problems.append(f"{name}: {msg}")

    try:
        if nb.get("nbformat_minor", 0) >= 5 and not all(c.get("id") for c in cells):
            raise nbformat.ValidationError("cells without the id that nbformat 4.5 requires")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat warns about what it would repair
            nbformat.validate(nbformat.from_dict(copy.deepcopy(nb)))
    except nbformat.ValidationError as e:
        say(f"is not a valid nbformat 4 notebook ({e.message}); open and save it in Jupyter, or "
            "python -m tools.check_notebooks --fix-badges (which adds missing cell ids)")

    # Execution counts 1..N, in order.
    code = [(i, c) for i, c in enumerate(cells) if c.get("cell_type") == "code"]
    counts = [c.get("execution_count") for _, c in code]
    wrong = [(k + 1, i, n) for k, ((i, _), n) in enumerate(zip(code, counts)) if n != k + 1]
    if wrong:
        want, i, n = wrong[0]
        say(f"execution counts are not 1..{len(code)}: cell {i} has {n!r}, expected {want}; "
            "re-run it top to bottom in a fresh kernel: make notebooks")
    for i, c in code:
        for out in c.get("outputs", []):
            if out.get("output_type") == "execute_result" and out.get("execution_count") != c.get("execution_count"):
                say(f"cell {i}: its output's execution count {out.get('execution_count')} differs from the cell's "
                    f"{c.get('execution_count')} (a hand-edited or stale output); make notebooks")
                break

    # No trailing `;`: nbval runs cells without history, where `;` hides nothing (nbval#194), so the test would
    # see a plot helper's Axes that Jupyter hides. End a plotting cell with plt.show() instead.
    semi = [i for i, c in code if _src(c).rstrip().endswith(";")]
    if semi:
        say(f"cell(s) {semi[:5]} end with ';': end a plotting cell with plt.show() instead")

    # No empty trailing cells.
    k = len(cells)
    while k and not _src(cells[k - 1]).strip():
        k -= 1
    if k < len(cells):
        say(f"{len(cells) - k} empty cell(s) at the end (cells {k}..{len(cells) - 1}); delete them")

    # Metadata: only what a clean run leaves.
    extra = sorted(set(nb.get("metadata", {})) - NOTEBOOK_METADATA)
    if extra:
        say(f"notebook metadata has {extra}, allowed are only {sorted(NOTEBOOK_METADATA)}; "
            "python -m tools.check_notebooks --strip-metadata")
    bad = {}
    for i, c in enumerate(cells):
        for key in set(c.get("metadata", {})) - CELL_METADATA:
            bad.setdefault(key, []).append(i)
    for key, where in sorted(bad.items()):
        say(f"cell metadata {key!r} (tool or personal state) in cell(s) {where[:5]}{'...' if len(where) > 5 else ''}; "
            f"allowed are {sorted(CELL_METADATA)}; python -m tools.check_notebooks --strip-metadata")

    # No home folders anywhere but the source (a lesson may *mention* a path).
    for where, text in _walk_strings(nb.get("metadata", {}), "metadata"):
        if m := HOME.search(text):
            say(f"{where} contains the home folder {m.group(0)!r}; remove it")
    for i, c in enumerate(cells):
        for where, text in _walk_strings({"metadata": c.get("metadata", {}), "outputs": c.get("outputs", [])},
                                         f"cell {i}"):
            if where.endswith(("image/png", "image/jpeg")):
                continue
            if m := HOME.search(text):
                say(f"{where} contains the home folder {m.group(0)!r}: print paths relative to the data "
                    "folder (or `~`), then make notebooks")
                break

    # Nothing on stderr.
    for i, c in code:
        for out in c.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = "".join(out.get("text", ""))[:80].replace("\n", " ")
                say(f"cell {i} wrote to stderr ({text!r}...): silence the warning at its source "
                    "(nbhelpers.setup.setup_notebook) or fix its cause, then make notebooks")
            if out.get("output_type") == "error":
                say(f"cell {i} stored an error ({out.get('ename')}): fix it, then make notebooks")

    # The Colab badge of this very file, from the one repository address.
    want = badge_url(repo, name)
    first = cells[0] if cells else {}
    urls = [m.group("url") for m in BADGE.finditer(_src(first))] if first.get("cell_type") == "markdown" else []
    if not urls:
        say("first cell must be markdown with the Colab badge "
            f"{badge_markdown(repo, name)}; python -m tools.check_notebooks --fix-badges")
    elif any(u != want for u in urls):
        say(f"Colab badge points at {[u for u in urls if u != want][0]}, expected {want} (built from "
            "pyproject.toml [project.urls] Repository); python -m tools.check_notebooks --fix-badges")

    # The install cell, exactly.
    second = cells[1] if len(cells) > 1 else {}
    if second.get("cell_type") != "code" or _src(second).strip() != install_source(repo):
        say(f"second cell must be exactly the install cell:\n{install_source(repo)}\n"
            "(python -m tools.check_notebooks --fix-badges writes it)")
    return problems


def _rewrite(path, change):
    "Read notebook `path` with nbformat, apply `change(nb)`, write it back atomically if it changed; True if so."
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    change(nb)
    if nbformat.writes(nb) == before:
        return False
    write_atomically(path, nbformat.writes(nb) + "\n")
    return True


def fix_badges(path, repo):
    "Rewrite the badge in the first cell and the install cell from `repo`, adding either where missing; True if changed."
    def change(nb):
        cells = nb.cells
        badge = badge_markdown(repo, Path(path).name)
        if cells and cells[0].cell_type == "markdown":
            cells[0].source = put_badge(cells[0].source, badge)
        else:
            cells.insert(0, nbformat.v4.new_markdown_cell(badge))
        install = install_source(repo)
        if len(cells) > 1 and cells[1].cell_type == "code" and "%pip install" in cells[1].source:
            cells[1].source = install
        else:
            cells.insert(1, nbformat.v4.new_code_cell(install))

    return _rewrite(path, change)


def strip_metadata(path):
    "Drop notebook and cell metadata keys that are not allowed; True if changed."
    def change(nb):
        nb.metadata = nbformat.from_dict({k: v for k, v in nb.metadata.items() if k in NOTEBOOK_METADATA})
        for c in nb.cells:
            c.metadata = nbformat.from_dict({k: v for k, v in c.metadata.items() if k in CELL_METADATA})

    return _rewrite(path, change)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", help="default: notebooks/[0-9]*.ipynb")
    ap.add_argument("--fix-badges", action="store_true",
                    help="rewrite the Colab badge and install cell from pyproject's Repository address")
    ap.add_argument("--strip-metadata", action="store_true", help="drop metadata keys that are not allowed")
    args = ap.parse_args(argv)
    paths = [Path(p) for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    repo = repository()
    for p in paths:
        if args.fix_badges and fix_badges(p, repo):
            print(f"{p.name}: badge/install cell rewritten from {repo}")
        if args.strip_metadata and strip_metadata(p):
            print(f"{p.name}: metadata stripped")
    problems = [msg for p in paths for msg in check(p, repo)]
    for msg in problems:
        print(msg)
    if not problems:
        print(f"{len(paths)} notebook(s) clean")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
