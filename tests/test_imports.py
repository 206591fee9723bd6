"""What gets imported: the helper package stays light, and no notebook imports fastai idly.

Importing fastai costs seconds (fastbook even more), so a notebook that imports it without
using it makes every reader and every CI run wait for nothing; see benchmarks/README.md.
These are checks on source and on `sys.modules`, not timings.  Each check is also run on a
deliberately bad example, so a check that silently stopped working fails here too.
"""

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
HEAVY = ("torch", "fastai", "fastbook", "matplotlib")
LIGHT_MODULES = ("nbhelpers", "nbhelpers.data", "nbhelpers.mnist", "nbhelpers.setup")  # must import none of HEAVY
PACKAGE_MODULES = sorted(f"nbhelpers.{p.stem}" for p in (ROOT / "nbhelpers").glob("*.py") if p.stem != "__init__")


# ------------------------------------------------------------------ the package's imports


def heavy_imports(module, forbidden=HEAVY, path=None, preload=()):
    """Top-level packages among `forbidden` that `import module` loads, in a fresh interpreter; `module` may be a
    list, each then imported in its own fork of one interpreter that has imported `preload` (torch is seconds)."""
    modules = [module] if isinstance(module, str) else list(module)
    code = textwrap.dedent(f"""
        import importlib, json, os, sys
        sys.path[:0] = {[str(path)] if path else []!r}
        for name in {list(preload)!r}:
            importlib.import_module(name)
        out = {{}}
        for m in {modules!r}:
            r, w = os.pipe()
            if os.fork() == 0:
                importlib.import_module(m)
                os.write(w, json.dumps(sorted({{n.split('.')[0] for n in sys.modules}} & set({list(forbidden)!r}))).encode())
                os._exit(0)
            os.close(w)
            with os.fdopen(r) as f:
                out[m] = json.loads(f.read() or '"failed"')
            os.wait()
        print(json.dumps(out))
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"importing {modules} failed in a fresh interpreter:\n{proc.stderr[-2000:]}"
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "failed" not in out.values(), f"importing failed in a fresh interpreter: {out}\n{proc.stderr[-2000:]}"
    return out[module] if isinstance(module, str) else out


def test_heavy_imports_notices_a_heavy_import(tmp_path):
    (tmp_path / "bad_helper.py").write_text("import xml.dom.minidom\n")
    (tmp_path / "good_helper.py").write_text("import os\n")
    assert heavy_imports("bad_helper", forbidden=("xml",), path=tmp_path) == ["xml"]
    assert heavy_imports("good_helper", forbidden=("xml",), path=tmp_path) == []
    # each module in its own fork: the bad one's import is not charged to the good one, whatever the order
    assert heavy_imports(["bad_helper", "good_helper"], forbidden=("xml",), path=tmp_path, preload=["json"]) == \
        {"bad_helper": ["xml"], "good_helper": []}


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_light_modules_import_nothing_heavy(module):
    loaded = heavy_imports(module)
    assert not loaded, (f"`import {module}` loads {', '.join(loaded)} (seconds of start-up for every notebook "
                        "). Move that import inside the function that needs it.")


@pytest.fixture(scope="module")
def package_imports():
    "What each package module's import loads of fastai, fastbook and matplotlib (torch preloaded: it is allowed)."
    return heavy_imports(PACKAGE_MODULES, forbidden=("fastai", "fastbook", "matplotlib"), preload=["torch"])


@pytest.mark.parametrize("module", PACKAGE_MODULES)
def test_no_module_imports_fastai_or_stray_matplotlib(package_imports, module):
    # torch is what nbhelpers.model and nbhelpers.train are about; fastai and fastbook never are,
    # and only the plotting helpers need matplotlib.
    loaded = [m for m in package_imports[module] if not (module == "nbhelpers.plots" and m == "matplotlib")]
    assert not loaded, (f"`import {module}` loads {', '.join(loaded)}; nothing in it should need that at import "
                        "time. Import it inside the function that uses it (or drop it).")


# ------------------------------------------------------------------ the notebooks' imports

HEAVY_PACKAGES = ("fastai", "fastbook")
# Magics whose argument is Python code that still counts as a use of the names in it.
CODE_MAGICS = ("time", "timeit", "prun", "capture")


def code_of(nb):
    "The Python source of a notebook's code cells, IPython magics and shell lines turned into Python or dropped."
    chunks = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if "fastbook" in cell.get("metadata", {}).get("tags", []):
            continue  # 03 imports fastbook for its side effects (it seeds everything): that is the lesson
        src = cell.get("source", "")
        lines = (src if isinstance(src, str) else "".join(src)).splitlines()
        if lines and lines[0].startswith("%%"):
            if lines[0][2:].split()[0] not in CODE_MAGICS:
                continue  # %%bash, %%html...: not Python
            lines = lines[1:]
        out = []
        for line in lines:
            stripped = line.lstrip()
            indent = line[: len(line) - len(stripped)]
            if stripped.startswith("%"):
                name, _, rest = stripped[1:].partition(" ")
                out.append(indent + (rest if name in CODE_MAGICS else "pass"))
            elif stripped.startswith("!"):
                out.append(indent + "pass")
            else:
                out.append(line)
        chunks.append("\n".join(out))
    return "\n\n".join(chunks)


def fastai_import_problems(nb):
    "What is wrong with a notebook's fastai/fastbook imports: star imports, imports whose names are never used."
    tree = ast.parse(code_of(nb))
    imports, problems = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in HEAVY_PACKAGES:
                    bound = alias.asname or alias.name.split(".")[0]
                    imports.append((node, f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else ""),
                                    {bound}))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in HEAVY_PACKAGES:
            names = [a.asname or a.name for a in node.names]
            if "*" in names:
                problems.append(f"line {node.lineno}: `from {node.module} import *` hides where every name comes "
                                "from and imports all of it; import the names the notebook uses")
                continue
            imports.append((node, f"from {node.module} import {', '.join(names)}", set(names)))
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Load, ast.Del))}
    lines = code_of(nb).splitlines()
    for node, text, bound in imports:
        if "noqa: F401" in lines[node.lineno - 1]:
            continue  # imported on purpose for its side effects, and marked so
        if not bound & used:
            problems.append(f"line {node.lineno}: `{text}` is never used; importing it costs seconds — remove it")
    return problems


def _nb(*sources):
    return {"cells": [{"cell_type": "code", "source": s, "metadata": {}} for s in sources]
            + [{"cell_type": "markdown", "source": "from fastai.learner import Learner", "metadata": {}}]}


@pytest.mark.parametrize("sources, expected", [
    (["import torch", "torch.zeros(1)"], []),
    (["from fastai.learner import Learner", "learn = Learner(dls, model)"], []),
    (["from fastai.data.external import URLs, untar_data", "untar_data(URLs.MNIST)"], []),
    (["import fastai", "fastai.__version__"], []),
    (["import fastai.vision.all as fv", "fv.Learner"], []),
    (["from fastai.learner import Learner\n%time learn = Learner(dls, model)"], []),
    (["%%time\nfrom fastai.learner import Learner\nLearner(dls, model)"], []),
    (["%pip install -q fastai\n!ls\nimport torch"], []),
    (["from fastai.learner import Learner", "learn = 1"], ["never used"]),
    (["import fastbook  # noqa: F401  (for its side effects)"], []),
    (["from fastai.learner import Learner", "Learner = 3"], ["never used"]),  # assigned, not used
    (["import fastai.data.external", "x = 1"], ["never used"]),
    (["import fastbook"], ["never used"]),
    (["from fastai.vision.all import *", "Learner(dls, model)"], ["import *"]),
    (["from fastbook import *"], ["import *"]),
    (["from fastai.data.external import URLs, untar_data", "from fastai.optimizer import SGD", "URLs"],
     ["`from fastai.optimizer import SGD` is never used"]),
])
def test_fastai_import_problems_on_synthetic_notebooks(sources, expected):
    problems = fastai_import_problems(_nb(*sources))
    assert len(problems) == len(expected), problems
    for problem, fragment in zip(problems, expected):
        assert fragment in problem, problems


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks yet")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_imports_fastai_only_where_it_uses_it(path):
    problems = fastai_import_problems(json.loads(path.read_text()))
    assert not problems, f"{path.name}: " + "; ".join(problems)
