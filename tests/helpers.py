"""What several test files share: small PNGs made on the spot (fixtures live in conftest.py)."""

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
