"""Hygiene of the committed notebooks: what a clean top-to-bottom run leaves, and nothing personal.

    python -m tools.check_notebooks                   # notebooks/[0-9]*.ipynb, or the files named (pre-commit)
    python -m tools.check_notebooks --fix-badges      # rewrite every Colab badge and install cell
    python -m tools.check_notebooks --strip-metadata  # drop metadata keys that are not allowed

`check` refuses execution counts other than 1..N, stale outputs, stderr, stored errors, a trailing `;`,
empty cells at the end, tool or personal metadata, home folders, cells without ids, and a first cell
without this file's Colab badge or a second cell that is not exactly the install cell (`install_source`);
both are built from pyproject.toml's [project.urls] Repository.  Each message names the notebook, the
cell and the fix; the exit status is 1 when there is one.
"""

import argparse
import json
import re
import sys
import tomllib
import warnings
from pathlib import Path

import nbformat
from nbformat.warnings import MissingIDFieldWarning

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


def check(path, repo):
    "A list of problems with the notebook at `path` (empty when it is clean)."
    name = Path(path).name
    problems = []

    def say(msg):
        problems.append(f"{name}: {msg}")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            nb = nbformat.read(path, as_version=4)  # adds missing cell ids, with a warning
            nbformat.validate(nb)
        except nbformat.ValidationError as e:
            say(f"is not a valid nbformat 4 notebook ({e.message}); open and save it in Jupyter")
        except (OSError, ValueError) as e:
            return [f"{name}: cannot be read as a notebook ({e})"]
    if any(issubclass(w.category, MissingIDFieldWarning) for w in caught):
        say("is not a valid nbformat 4 notebook (cells without the id that nbformat 4.5 requires); "
            "python -m tools.check_notebooks --fix-badges adds them")
    cells = nb.cells
    code = [(i, c) for i, c in enumerate(cells) if c.cell_type == "code"]
    for k, (i, c) in enumerate(code, 1):
        if c.get("execution_count") != k:
            say(f"execution counts are not 1..{len(code)}: cell {i} has {c.get('execution_count')!r}, expected {k}; "
                "re-run it top to bottom in a fresh kernel: make notebooks")
            break
    for i, c in code:
        for out in c.get("outputs", []):
            if out.output_type == "execute_result" and out.get("execution_count") != c.get("execution_count"):
                say(f"cell {i}: its output's execution count {out.get('execution_count')} differs from the cell's "
                    f"{c.get('execution_count')} (a hand-edited or stale output); make notebooks")
            elif out.output_type == "stream" and out.get("name") == "stderr":
                say(f"cell {i} wrote to stderr ({out.get('text', '')[:80]!r}...): silence the warning at its source "
                    "(nbhelpers.setup.setup_notebook) or fix its cause, then make notebooks")
            elif out.output_type == "error":
                say(f"cell {i} stored an error ({out.get('ename')}): fix it, then make notebooks")

    # nbval runs cells without history, where a trailing `;` hides nothing (nbval#194): the test would see
    # a plot helper's Axes that Jupyter hides.
    if semi := [i for i, c in code if c.source.rstrip().endswith(";")]:
        say(f"cell(s) {semi[:5]} end with ';': end a plotting cell with plt.show() instead")

    k = len(cells)
    while k and not cells[k - 1].source.strip():
        k -= 1
    if k < len(cells):
        say(f"{len(cells) - k} empty cell(s) at the end (cells {k}..{len(cells) - 1}); delete them")

    if extra := sorted(set(nb.metadata) - NOTEBOOK_METADATA):
        say(f"notebook metadata has {extra}, allowed are only {sorted(NOTEBOOK_METADATA)}; "
            "python -m tools.check_notebooks --strip-metadata")
    for key in sorted({k for c in cells for k in c.metadata} - CELL_METADATA):
        where = [i for i, c in enumerate(cells) if key in c.metadata]
        say(f"cell metadata {key!r} (tool or personal state) in cell(s) {where[:5]}; allowed are "
            f"{sorted(CELL_METADATA)}; python -m tools.check_notebooks --strip-metadata")

    # No home folders in metadata or outputs (a lesson's source may *mention* a path); PNG and JPEG are not text.
    places = {"the notebook metadata": nb.metadata}
    for i, c in enumerate(cells):
        outputs = [{**o, "data": {k: v for k, v in o.get("data", {}).items() if k not in ("image/png", "image/jpeg")}}
                   for o in c.get("outputs", [])]
        places[f"cell {i}"] = {"metadata": c.metadata, "outputs": outputs}
    for where, value in places.items():
        if m := HOME.search(json.dumps(value)):
            say(f"{where} contains the home folder {m.group(0)!r}: print paths relative to the data folder "
                "(or `~`), then make notebooks")

    want = badge_url(repo, name)
    urls = [m.group("url") for m in BADGE.finditer(cells[0].source)] if cells and cells[0].cell_type == "markdown" else []
    if not urls:
        say(f"first cell must be markdown with the Colab badge {badge_markdown(repo, name)}; "
            "python -m tools.check_notebooks --fix-badges")
    elif wrong := [u for u in urls if u != want]:
        say(f"Colab badge points at {wrong[0]}, expected {want} (built from pyproject.toml [project.urls] "
            "Repository); python -m tools.check_notebooks --fix-badges")

    if len(cells) < 2 or cells[1].cell_type != "code" or cells[1].source.strip() != install_source(repo):
        say(f"second cell must be exactly the install cell:\n{install_source(repo)}\n"
            "(python -m tools.check_notebooks --fix-badges writes it)")
    return problems


def fix(path, repo, badges=True, metadata=True):
    """Rewrite the Colab badge and the install cell from `repo`, adding either where missing (`badges`), and drop
    the metadata keys that are not allowed (`metadata`); True if the file changed."""
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    if badges:
        badge = badge_markdown(repo, Path(path).name)
        if cells and cells[0].cell_type == "markdown":
            cells[0].source = put_badge(cells[0].source, badge)
        else:
            cells.insert(0, nbformat.v4.new_markdown_cell(badge))
        if len(cells) > 1 and cells[1].cell_type == "code" and "%pip install" in cells[1].source:
            cells[1].source = install_source(repo)
        else:
            cells.insert(1, nbformat.v4.new_code_cell(install_source(repo)))
    if metadata:
        nb.metadata = {k: v for k, v in nb.metadata.items() if k in NOTEBOOK_METADATA}
        for c in cells:
            c.metadata = {k: v for k, v in c.metadata.items() if k in CELL_METADATA}
    text = nbformat.writes(nbformat.from_dict(nb)) + "\n"
    if text == Path(path).read_text(encoding="utf-8"):
        return False
    write_atomically(path, text)
    return True


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
        if (args.fix_badges or args.strip_metadata) and fix(p, repo, args.fix_badges, args.strip_metadata):
            print(f"{p.name}: rewritten")
    problems = [msg for p in paths for msg in check(p, repo)]
    for msg in problems:
        print(msg)
    if not problems:
        print(f"{len(paths)} notebook(s) clean")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
