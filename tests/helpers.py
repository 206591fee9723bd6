"""What several test files share: small PNGs made on the spot, a loader for a child process (fixtures live
in conftest.py). Light imports only: a spawned child imports this module, and torch would cost it seconds."""

import os

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
