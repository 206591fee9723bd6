"""Fixtures: a small MNIST folder made on the spot, with its own cache folder."""

import pytest

from helpers import write_png


@pytest.fixture(autouse=True)
def _fresh_notices(monkeypatch):
    "Each test sees the data-source notice afresh (mnist_path prints it once per process)."
    from nbhelpers import mnist

    monkeypatch.setattr(mnist, "_announced", set())


@pytest.fixture
def tiny_mnist(tmp_path, monkeypatch):
    "A folder in the mnist_png layout with 3 training and 2 testing images per digit; its cache in tmp_path."
    root = tmp_path / "mnist_png"
    for split, n in (("training", 3), ("testing", 2)):
        for d in range(10):
            for i in range(n):
                write_png(root / split / str(d) / f"{i}.png", seed=d * 100 + i + (50 if split == "testing" else 0))
    monkeypatch.setenv("NBHELPERS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MNIST_PNG", raising=False)
    return root
