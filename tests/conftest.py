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


@pytest.fixture(scope="module")
def sample_cache(tmp_path_factory):
    "One cache folder per test module for the offline tests: the sample is written once (seconds), then reused."
    return tmp_path_factory.mktemp("sample-cache")


@pytest.fixture
def no_mnist(tmp_path, monkeypatch, sample_cache):
    "No MNIST anywhere (an empty fastai folder, no MNIST_PNG), the module's own cache, no remembered offline decision."
    monkeypatch.setenv("FASTAI_HOME", str(tmp_path / "fastai_home"))
    monkeypatch.setenv("NBHELPERS_CACHE", str(sample_cache))
    monkeypatch.delenv("MNIST_PNG", raising=False)
    monkeypatch.delenv("NBHELPERS_OFFLINE", raising=False)
    (sample_cache / "mnist-offline.txt").unlink(missing_ok=True)
    return tmp_path
