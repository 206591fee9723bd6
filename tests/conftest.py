"""Shared test set-up: small MNIST folders made on the spot."""


import numpy as np
import pytest
from PIL import Image


def write_png(path, seed=0, size=(28, 28), mode="L"):
    "A small random image saved as PNG at `path`."
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


@pytest.fixture
def tiny_mnist(tmp_path, monkeypatch):
    "A folder in the mnist_png layout with 3 training and 2 testing images per digit; cache in tmp."
    root = tmp_path / "mnist_png"
    for split, n in (("training", 3), ("testing", 2)):
        for d in range(10):
            for i in range(n):
                write_png(root / split / str(d) / f"{i}.png", seed=d * 100 + i + (50 if split == "testing" else 0))
    monkeypatch.setenv("NBHELPERS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MNIST_PNG", raising=False)
    return root


@pytest.fixture(autouse=True)
def _fresh_notices():
    "Each test sees the data-source notice afresh (mnist_path prints it once per process)."
    from nbhelpers import data

    data._announced.clear()
    yield

