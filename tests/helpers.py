"""What several test files share: small PNGs made on the spot, a loader for a child process, the functions a
notebook defines (fixtures live in conftest.py). Light imports only: a spawned child imports this module, and
torch would cost it seconds."""

import ast
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image


def write_png(path, seed=0, size=(28, 28), mode="L"):
    "A small random image saved as PNG at `path`; returns its pixels."
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == "L":
        arr = rng.integers(0, 256, size=size[::-1], dtype=np.uint8)
    elif mode == "I;16":
        arr = rng.integers(0, 65536, size=size[::-1], dtype=np.uint16)
    else:
        arr = rng.integers(0, 256, size=(*size[::-1], 3), dtype=np.uint8)
    Image.fromarray(arr).save(path)
    return arr


def load_in_child(root, cache, queue):
    "In a spawned process: load 2 vs 6 from `root` with the cache folder `cache`, and put the pixels' sum on `queue`."
    os.environ["NBHELPERS_CACHE"] = cache
    from nbhelpers.data import load_arrays

    queue.put(int(load_arrays({2: 0, 6: 1}, path=root, name="pair-2-6")["x"].sum()))


def notebook_functions(stem, *names):
    "The functions `names` as notebook `stem` defines them (with the notebook functions they call, torch and F), e.g. 08's softmax."
    import torch
    import torch.nn.functional as F

    nb = json.loads((Path(__file__).resolve().parent.parent / "notebooks" / f"{stem}.ipynb").read_text())
    defs = {}  # name: (source, syntax tree) of its last top-level definition
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
        try:
            body = ast.parse(src).body
        except SyntaxError:  # a cell with IPython magics defines nothing here
            continue
        defs.update({n.name: (ast.get_source_segment(src, n), n) for n in body if isinstance(n, ast.FunctionDef)})
    missing = [n for n in names if n not in defs]
    assert not missing, f"{stem}.ipynb defines no {', '.join(missing)}"
    scope, todo = {"torch": torch, "F": F}, list(names)
    while todo:
        name = todo.pop()
        if name not in scope:
            source, tree = defs[name]
            exec(source, scope)
            todo += [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in defs]
    return [scope[n] for n in names]
