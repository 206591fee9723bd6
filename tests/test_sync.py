"""What the reader studies is what runs later: each function or class defined in a notebook
cell tagged `export` must be identical, docstring included, to the one in nbhelpers."""

import ast
import importlib
import inspect
import json
import pkgutil
import textwrap
from pathlib import Path

import pytest

import nbhelpers

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def exported_definitions(nb):
    "{name: source} of the top-level functions and classes in cells tagged 'export'."
    found = {}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or "export" not in cell.get("metadata", {}).get("tags", []):
            continue
        src = "".join(cell["source"])
        for node in ast.parse(src).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                found[node.name] = ast.get_source_segment(src, node, padded=False)
    return found


def package_definitions():
    "{name: (module, source)} for every top-level function and class in nbhelpers."
    defs = {}
    for info in pkgutil.iter_modules(nbhelpers.__path__):
        path = Path(nbhelpers.__path__[0]) / f"{info.name}.py"
        if not path.exists():
            continue
        src = path.read_text()
        for node in ast.parse(src).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defs.setdefault(node.name, (info.name, ast.get_source_segment(src, node)))
    return defs


def differences(nb, package):
    problems = []
    for name, src in exported_definitions(nb).items():
        if name not in package:
            problems.append(f"{name} is exported by the notebook but nbhelpers has no {name}")
        elif textwrap.dedent(src).strip() != package[name][1].strip():
            problems.append(f"{name} differs from nbhelpers/{package[name][0]}.py")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_code_matches_package(path):
    nb = json.loads(path.read_text())
    problems = differences(nb, package_definitions())
    assert not problems, (f"{path.name}: " + "; ".join(problems) +
                          ". Copy the notebook's cell into the package (or the other way round) so they match.")


def test_every_taught_helper_is_shown_somewhere():
    "Functions whose docstring says 'introduced in NN_...' must appear in that notebook's export cells."
    shown = {}
    for path in NOTEBOOKS:
        for name in exported_definitions(json.loads(path.read_text())):
            shown.setdefault(name, path.stem)
    missing = []
    for info in pkgutil.iter_modules(nbhelpers.__path__):
        module = importlib.import_module(f"nbhelpers.{info.name}")
        for name, obj in vars(module).items():
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__:
                doc = (obj.__doc__ or "")
                if "introduced in" in doc and "data_vectorizing" not in doc and name not in shown:
                    missing.append(f"nbhelpers.{info.name}.{name}")
    assert not missing, f"taught in a notebook per their docstring, but no export cell defines them: {missing}"


def test_a_difference_is_caught():
    nb = {"cells": [{"cell_type": "code", "metadata": {"tags": ["export"]},
                     "source": "def f(x):\n    \"A doc.\"\n    return x + 1\n"}]}
    assert differences(nb, {"f": ("m", 'def f(x):\n    "A doc."\n    return x + 1')}) == []
    assert differences(nb, {"f": ("m", 'def f(x):\n    "A doc."\n    return x + 2')}) == ["f differs from nbhelpers/m.py"]
    assert "has no f" in differences(nb, {})[0]
