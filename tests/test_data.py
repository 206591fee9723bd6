"""The data layer, on small MNIST-shaped folders made here (never the network)."""

import multiprocessing
import os
import socket
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from helpers import load_in_child, write_png
from nbhelpers import data, mnist
from nbhelpers.data import MNISTError, load_pair, mnist_path

# ---------------------------------------------------------------- shapes, labels, order


def test_load_pair_shapes_labels_and_scale(tiny_mnist):
    train_x, train_y, valid_x, valid_y = load_pair(2, 6, path=tiny_mnist)
    assert train_x.shape == (6, 784) and train_y.shape == (6, 1)
    assert valid_x.shape == (4, 784) and valid_y.shape == (4, 1)
    assert train_x.dtype == torch.float32 and 0 <= train_x.min() and train_x.max() <= 1
    # a's images come first and are labelled 0; b's are labelled 1
    assert train_y.flatten().tolist() == [0, 0, 0, 1, 1, 1]
    assert valid_y.flatten().tolist() == [0, 0, 1, 1]


def test_pixels_match_pil_in_a_stable_order(tiny_mnist):
    train_x, *_ = load_pair(2, 6, path=tiny_mnist)
    files = sorted((tiny_mnist / "training" / "2").iterdir())
    expected = torch.stack([torch.tensor(np.array(Image.open(f))) for f in files]).view(-1, 784).float() / 255
    assert torch.equal(train_x[:3], expected), "load_pair must read the files in name order"


def test_swapping_the_digits_swaps_the_labels(tiny_mnist):
    x26, y26, *_ = load_pair(2, 6, path=tiny_mnist)
    x62, y62, *_ = load_pair(6, 2, path=tiny_mnist)
    assert torch.equal(x26[:3], x62[3:]) and y62.flatten().tolist() == [0, 0, 0, 1, 1, 1]


# ---------------------------------------------------------------- where the data comes from


def test_explicit_path_and_environment_variable(tiny_mnist, monkeypatch, capsys):
    found = mnist_path(tiny_mnist)
    assert found.path == tiny_mnist and found.kind == "custom"
    monkeypatch.setenv("MNIST_PNG", str(tiny_mnist))
    found = mnist_path()
    assert found.path == tiny_mnist and "MNIST_PNG" in found.notice
    assert "MNIST:" in capsys.readouterr().out


def test_fastai_data_folder_is_used_when_present(tiny_mnist, tmp_path, monkeypatch):
    home = tmp_path / "fastai_home"
    (home / "data").mkdir(parents=True)
    os.symlink(tiny_mnist, home / "data" / "mnist_png")
    monkeypatch.setenv("FASTAI_HOME", str(home))
    found = mnist_path(verbose=False)
    assert found.path == home / "data" / "mnist_png" and "fastai data folder" in found.notice


def test_fastai_config_data_key_is_honoured(tiny_mnist, tmp_path, monkeypatch):
    home = tmp_path / "fh"
    home.mkdir()
    (home / "config.ini").write_text(f"[DEFAULT]\ndata = {tiny_mnist.parent}\narchive = archive\n")
    monkeypatch.setenv("FASTAI_HOME", str(home))
    assert mnist_path(verbose=False).path == tiny_mnist


@pytest.fixture
def offline(no_mnist, monkeypatch):
    "No MNIST anywhere and no network: every connection attempt fails at once."
    def no_network(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "create_connection", no_network)
    return no_mnist


def test_offline_falls_back_to_the_sample(offline, capsys):
    found = mnist_path()
    out = capsys.readouterr().out
    assert found.kind == "sample"
    assert out.count("\n") == 1 and "offline sample" in out and "no network" in out
    train_x, train_y, valid_x, valid_y = load_pair(2, 6)
    assert train_x.shape == (800, 784) and valid_x.shape == (200, 784)
    assert train_y.mean() == 0.5 and valid_y.mean() == 0.5
    # nothing half-downloaded in fastai's folders
    leftovers = list((offline / "fastai_home").rglob("*.tgz*")) if (offline / "fastai_home").exists() else []
    assert leftovers == []


def test_sample_split_is_deterministic(offline):
    a = load_pair(3, 8)
    b = load_pair(3, 8, cache=False)
    assert all(torch.equal(x, y) for x, y in zip(a, b))


def test_failed_download_leaves_no_partial_archive(tmp_path, monkeypatch):
    home = tmp_path / "fh"
    monkeypatch.setenv("FASTAI_HOME", str(home))
    archive = home / "archive" / "mnist_png.tgz"

    class FakeSocket:
        def close(self):
            pass

    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: FakeSocket())
    import fastai.data.external as external

    def half_download(url, *a, **k):
        archive.parent.mkdir(parents=True, exist_ok=True)
        archive.with_name("mnist_png.tgz.part").write_bytes(b"\x1f\x8b half an archive")
        archive.write_bytes(b"\x1f\x8b half an archive")
        raise TimeoutError("timed out")

    monkeypatch.setattr(external, "untar_data", half_download)
    with pytest.raises(TimeoutError):
        mnist._download_with_fastai(timeout=1)
    assert not archive.exists() and not archive.with_name("mnist_png.tgz.part").exists()


# ---------------------------------------------------------------- the cache


def test_warm_load_reads_the_cache_not_the_pngs(tiny_mnist, monkeypatch):
    first = load_pair(2, 6, path=tiny_mnist)
    monkeypatch.setattr(data, "read_pngs", lambda paths: pytest.fail("the cache was not used"))
    second = load_pair(2, 6, path=tiny_mnist)
    assert all(torch.equal(x, y) for x, y in zip(first, second))


def test_cache_key_follows_the_file_list(tiny_mnist):
    before = load_pair(2, 6, path=tiny_mnist)[0]
    write_png(tiny_mnist / "training" / "2" / "9.png", seed=999)
    after = load_pair(2, 6, path=tiny_mnist)[0]
    assert after.shape[0] == before.shape[0] + 1


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip"])
def test_damaged_cache_is_rebuilt(tiny_mnist, capsys, damage):
    good = load_pair(2, 6, path=tiny_mnist)
    (file,) = Path(os.environ["NBHELPERS_CACHE"]).glob("pair-2-6-*.npz")
    raw = bytearray(file.read_bytes())
    if damage == "truncate":
        file.write_bytes(raw[: len(raw) // 2])
    elif damage == "garbage":
        file.write_bytes(b"not a cache at all")
    else:
        raw[len(raw) // 2] ^= 0xFF
        file.write_bytes(bytes(raw))
    again = load_pair(2, 6, path=tiny_mnist)
    assert all(torch.equal(x, y) for x, y in zip(good, again))
    assert "damaged" in capsys.readouterr().out
    load_pair(2, 6, path=tiny_mnist)
    assert "damaged" not in capsys.readouterr().out, "the rebuilt cache must be whole"


def test_unwritable_cache_still_loads(tiny_mnist, tmp_path, monkeypatch, capsys):
    ro = tmp_path / "readonly"
    ro.mkdir()
    ro.chmod(0o500)
    monkeypatch.setenv("NBHELPERS_CACHE", str(ro / "cache"))
    if os.access(ro, os.W_OK):
        pytest.skip("running as a user that can write anywhere (root): read-only folders cannot be simulated")
    train_x, *_ = load_pair(2, 6, path=tiny_mnist)
    assert train_x.shape == (6, 784)
    assert "not cached" in capsys.readouterr().out


def test_unwritable_cache_still_loads_even_as_root(tiny_mnist, monkeypatch, capsys):
    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(data, "write_atomically", refuse)
    train_x, *_ = load_pair(2, 6, path=tiny_mnist)
    assert train_x.shape == (6, 784)
    out = capsys.readouterr().out
    assert "not cached" in out and "NBHELPERS_CACHE" in out


def test_two_processes_building_the_cache_at_once(tiny_mnist):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=load_in_child, args=(tiny_mnist, os.environ["NBHELPERS_CACHE"], queue))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    sums = {queue.get(timeout=5) for _ in procs}
    assert len(sums) == 1
    files = list(Path(os.environ["NBHELPERS_CACHE"]).iterdir())
    assert not [f for f in files if f.name.endswith(".tmp")], "a temporary file was left behind"
    (file,) = [f for f in files if f.name.startswith("pair-")]
    with np.load(file) as z:
        assert z["x"].shape == (10, 784), "the cache file must be whole"


# ---------------------------------------------------------------- bad input: clear errors


@pytest.mark.parametrize("a,b,err,words", [
    (2, 2, ValueError, "two different digits"),
    (2, 10, ValueError, "b=10"),
    (-1, 6, ValueError, "a=-1"),
    ("2", 6, TypeError, "a='2'"),
    (2.0, 6, TypeError, "a=2.0"),
    (True, 6, TypeError, "a=True"),
])
def test_bad_digits(tiny_mnist, a, b, err, words):
    with pytest.raises(err, match=words):
        load_pair(a, b, path=tiny_mnist)


def test_missing_folder(tmp_path):
    with pytest.raises(MNISTError, match="does not exist.*training/0"):
        mnist_path(tmp_path / "nowhere")


def test_env_var_named_in_error(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_PNG", str(tmp_path / "nowhere"))
    with pytest.raises(MNISTError, match="MNIST_PNG"):
        mnist_path()


def test_one_level_too_high(tiny_mnist):
    with pytest.raises(MNISTError, match="one level down") as e:
        mnist_path(tiny_mnist.parent)
    assert str(tiny_mnist) in str(e.value)


def test_one_level_too_low(tiny_mnist):
    with pytest.raises(MNISTError, match="one level up") as e:
        mnist_path(tiny_mnist / "training")
    assert str(tiny_mnist) in str(e.value)


def test_archive_not_unpacked(tmp_path):
    archive = tmp_path / "mnist_png.tgz"
    archive.write_bytes(b"")
    with pytest.raises(MNISTError, match="is an archive"):
        mnist_path(archive)
    with pytest.raises(MNISTError, match="holds one: unpack it"):
        mnist_path(tmp_path)


def test_missing_digit_folder(tiny_mnist):
    import shutil

    shutil.rmtree(tiny_mnist / "testing" / "6")
    with pytest.raises(MNISTError, match=r"testing/6 is missing"):
        load_pair(2, 6, path=tiny_mnist)


def test_empty_digit_folder(tiny_mnist):
    for f in (tiny_mnist / "training" / "6").iterdir():
        f.unlink()
    (tiny_mnist / "training" / "6" / "notes.txt").write_text("hello")
    with pytest.raises(MNISTError, match=r"training/6 holds no PNG files \(only: notes.txt\)"):
        load_pair(2, 6, path=tiny_mnist)


def test_stray_non_image_file_is_skipped_with_a_count(tiny_mnist, capsys):
    (tiny_mnist / "training" / "2" / ".DS_Store").write_bytes(b"\0\0")
    (tiny_mnist / "training" / "2" / "README.txt").write_text("x")
    train_x, *_ = load_pair(2, 6, path=tiny_mnist)
    assert train_x.shape[0] == 6
    assert "skipped 2 file(s)" in capsys.readouterr().out


@pytest.mark.parametrize("make,words", [
    (lambda p: p.write_bytes(p.read_bytes()[:60]), "truncated"),
    (lambda p: p.write_bytes(b"GIF89a not a png at all"), "not a PNG"),
    (lambda p: write_png(p, size=(32, 28)), "32x28 pixels"),
    (lambda p: write_png(p, mode="RGB"), "colour"),
    (lambda p: write_png(p, mode="I;16"), "16-bit"),
])
def test_bad_png_names_the_file(tiny_mnist, make, words):
    bad = tiny_mnist / "training" / "6" / "1.png"
    make(bad)
    with pytest.raises(MNISTError, match=words) as e:
        load_pair(2, 6, path=tiny_mnist)
    assert str(bad) in str(e.value) and "28x28 8-bit grayscale" in str(e.value)


def test_corrupt_compressed_data_names_the_file(tiny_mnist):
    bad = tiny_mnist / "testing" / "2" / "0.png"
    raw = bytearray(bad.read_bytes())
    start = raw.index(b"IDAT") + 4
    raw[start + 2:start + 30] = bytes(28)
    bad.write_bytes(bytes(raw))
    with pytest.raises(MNISTError, match="corrupt") as e:
        load_pair(2, 6, path=tiny_mnist)
    assert str(bad) in str(e.value)


# ---------------------------------------------------------------- the full set, where present


@pytest.fixture
def full_set(tmp_path, monkeypatch):
    "fastai's copy of the full set, with a cache in tmp_path; skip where it is missing (CI unpacks it)."
    monkeypatch.setenv("NBHELPERS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MNIST_PNG", raising=False)
    root = Path(os.environ.get("FASTAI_HOME", "~/.fastai")).expanduser() / "data" / "mnist_png"
    if not root.is_dir() or mnist_path(root, verbose=False).kind != "full":
        pytest.skip("the full MNIST is not in fastai's data folder (CI unpacks it)")
    return root


def test_full_set_counts_and_shapes(full_set):
    shapes = [tuple(t.shape) for t in load_pair(2, 6, path=full_set)]
    assert shapes == [(11876, 784), (11876, 1), (1990, 784), (1990, 1)]


def test_only_the_full_sets_counts_make_it_full(tiny_mnist, monkeypatch):
    "kind is 'full' only when every folder holds the full set's count (here, the tiny set's counts stand in)."
    counts = {d: (3, 2) for d in range(10)}
    monkeypatch.setattr(mnist, "FULL_COUNTS", counts)
    assert mnist_path(tiny_mnist, verbose=False).kind == "full"
    (tiny_mnist / "testing" / "6" / "1.png").unlink()
    assert mnist_path(tiny_mnist, verbose=False).kind == "custom", "one image missing: not the full set"


# ---------------------------------------------------------------- the progress bar of a cold load


def test_a_bar_only_for_a_person_in_a_notebook(monkeypatch):
    import sys
    import types

    from fastprogress.fastprogress import progress_bar

    items = ["a.png", "b.png"]
    monkeypatch.delenv("NBHELPERS_QUIET", raising=False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert data._progress(items) is items, "no bar in a script or under pytest"
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    bar = data._progress(items)
    assert isinstance(bar, progress_bar) and list(bar) == items, "a fastprogress bar in a notebook kernel"
    monkeypatch.setenv("NBHELPERS_QUIET", "1")
    assert data._progress(items) is items, "NBHELPERS_QUIET=1 (make notebooks, nbval, CI) turns it off"
