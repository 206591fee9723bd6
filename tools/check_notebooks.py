"""Hygiene of the committed notebooks: what a clean run leaves, and nothing personal.

    python tools/check_notebooks.py                       # check notebooks/[0-9]*.ipynb
    python tools/check_notebooks.py a.ipynb b.ipynb       # check these (pre-commit passes them)
    python tools/check_notebooks.py --fix-badges          # rewrite every Colab badge and install cell
    python tools/check_notebooks.py --strip-metadata      # drop metadata keys that are not allowed

Each notebook must have:

* execution counts 1..N on its code cells, in order (a clean top-to-bottom run: `make notebooks`);
* no empty cells at the end;
* no personal or tool-specific metadata (widget state, toc/varInspector, timings, Colab's
  provenance) and no home folders (/root/, /home/<user>/, /Users/<user>/) in outputs or metadata;
* nothing written to stderr;
* first cell: markdown with the Colab badge for this very file, its address built from the one
  repository address in pyproject.toml ([project.urls] Repository);
* second cell: the Colab-only install cell (`if "google.colab" in sys.modules:` then
  `%pip install` of that same repository).

Exit status 1 when something is wrong; every message names the notebook, the cell and the fix.
"""

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path

from atomic import write_atomically

ROOT = Path(__file__).resolve().parent.parent
BRANCH = "main"

# Metadata that a clean run in Jupyter legitimately leaves; anything else is flagged.
NOTEBOOK_METADATA = {"kernelspec", "language_info"}
CELL_METADATA = {"tags", "collapsed", "scrolled", "jupyter", "editable", "deletable", "slideshow"}
# nbclient's per-cell timestamps (`execution`: iopub.status.busy ...) are not personal, and
# tools/execute_notebooks.py records them today; they are tolerated, but only with those keys.
# (Better: NotebookClient(record_timing=False), then drop this.)
TIMING_KEYS = re.compile(r"(iopub|shell)\.[a-z_.]+")
HOME = re.compile(r"(/root/|/home/[^/\s\"']+/|/Users/[^/\s\"']+/|[A-Za-z]:\\\\?Users\\\\?[^\\\s\"']+)")
BADGE = re.compile(r"\[!\[Open In Colab\]\(https://colab\.research\.google\.com/assets/colab-badge\.svg\)\]"
                   r"\((?P<url>[^)\s]+)\)")
COLAB_GUARD = '"google.colab" in sys.modules'


def repository(pyproject=ROOT / "pyproject.toml"):
    "The one repository address: pyproject.toml [project.urls] Repository, without a trailing slash or .git."
    with open(pyproject, "rb") as f:
        url = tomllib.load(f)["project"]["urls"]["Repository"]
    return url.rstrip("/").removesuffix(".git")


def badge_url(repo, name):
    "The Colab address of notebooks/<name> in GitHub repository `repo` (https://github.com/owner/name)."
    m = re.fullmatch(r"https://github\.com/([^/]+/[^/]+)", repo)
    if not m:
        raise ValueError(f"[project.urls] Repository must be https://github.com/<owner>/<name>, not {repo!r}")
    return f"https://colab.research.google.com/github/{m.group(1)}/blob/{BRANCH}/notebooks/{name}"


def badge_markdown(repo, name):
    return (f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({badge_url(repo, name)})")


def install_source(repo):
    "The Colab-only install cell: safe to run twice, installs nothing outside Colab, never downgrades."
    return ("# In Colab only: install this project's helpers (safe to run twice; never downgrades).\n"
            "import sys\n"
            f"if {COLAB_GUARD}:\n"
            f'    %pip install -q "nbhelpers @ git+{repo}"')


def _src(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _is_timing(value):
    return isinstance(value, dict) and all(TIMING_KEYS.fullmatch(k) for k in value)


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
            "python tools/check_notebooks.py --strip-metadata")
    bad = {}
    for i, c in enumerate(cells):
        meta = c.get("metadata", {})
        timing = meta.get("execution", {})
        for key in set(meta) - CELL_METADATA - ({"execution"} if _is_timing(timing) else set()):
            bad.setdefault(key, []).append(i)
    for key, where in sorted(bad.items()):
        say(f"cell metadata {key!r} (tool or personal state) in cell(s) {where[:5]}{'...' if len(where) > 5 else ''}; "
            f"allowed are {sorted(CELL_METADATA)}; python tools/check_notebooks.py --strip-metadata")

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
            f"{badge_markdown(repo, name)}; python tools/check_notebooks.py --fix-badges")
    elif any(u != want for u in urls):
        say(f"Colab badge points at {[u for u in urls if u != want][0]}, expected {want} (built from "
            "pyproject.toml [project.urls] Repository); python tools/check_notebooks.py --fix-badges")

    # The Colab-only install cell.
    second = cells[1] if len(cells) > 1 else {}
    src = _src(second)
    if second.get("cell_type") != "code" or COLAB_GUARD not in src or "%pip install" not in src:
        say(f"second cell must be the Colab-only install cell:\n{install_source(repo)}\n"
            "(python tools/check_notebooks.py --fix-badges inserts it)")
    else:
        lines = src.splitlines()
        guard = next(k for k, line in enumerate(lines) if COLAB_GUARD in line)
        for k, line in enumerate(lines):
            if "%pip install" in line and (not line.startswith((" ", "\t")) or k < guard):
                say("the install cell runs %pip outside its `if \"google.colab\" in sys.modules:` guard; indent it")
        installs = re.findall(r"git\+(https://[^\s\"'@]+)", src)
        if not installs or any(u.rstrip("/").removesuffix(".git") != repo for u in installs):
            say(f"the install cell must install git+{repo} (pyproject.toml [project.urls] Repository), "
                f"found {installs}; python tools/check_notebooks.py --fix-badges")
        if re.search(r"drive\.mount|--force-reinstall|--upgrade|\s-U\s|==", src):
            say("the install cell must not mount Drive, force, upgrade or pin packages (never downgrade Colab's)")
    return problems


def _write_atomic(path, nb):
    write_atomically(path, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def _set_source(cell, text):
    cell["source"] = text.splitlines(keepends=True)


def fix_badges(path, repo):
    "Rewrite the badge in the first cell and the install cell's address from `repo`; True if changed."
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    before = json.dumps(nb)
    cells = nb["cells"]
    badge = badge_markdown(repo, path.name)
    if cells and cells[0]["cell_type"] == "markdown" and BADGE.search(_src(cells[0])):
        _set_source(cells[0], BADGE.sub(lambda m: badge, _src(cells[0])))
    elif cells and cells[0]["cell_type"] == "markdown" and _src(cells[0]).lstrip().startswith("#"):
        title, _, rest = _src(cells[0]).partition("\n")
        _set_source(cells[0], f"{title}\n\n{badge}\n" + (f"\n{rest.lstrip(chr(10))}" if rest.strip() else ""))
    else:
        cells.insert(0, {"cell_type": "markdown", "metadata": {}, "source": [badge]})
    if len(cells) > 1 and cells[1]["cell_type"] == "code" and COLAB_GUARD in _src(cells[1]):
        _set_source(cells[1], re.sub(r"git\+https://github\.com/[^\s\"'@]+", f"git+{repo}", _src(cells[1])))
    else:
        cells.insert(1, {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                         "source": install_source(repo).splitlines(keepends=True)})
    if json.dumps(nb) != before:
        _write_atomic(path, nb)
        return True
    return False


def strip_metadata(path):
    "Drop notebook and cell metadata keys that are not allowed; True if changed."
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    before = json.dumps(nb)
    nb["metadata"] = {k: v for k, v in nb.get("metadata", {}).items() if k in NOTEBOOK_METADATA}
    for c in nb["cells"]:
        c["metadata"] = {k: v for k, v in c.get("metadata", {}).items()
                         if k in CELL_METADATA or (k == "execution" and _is_timing(v))}
    if json.dumps(nb) != before:
        _write_atomic(path, nb)
        return True
    return False


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
