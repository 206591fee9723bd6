"""Digits as tensors: `load_pair(2, 6)` (introduced in 01_data_vectorizing) and `load_digits()` (08).

The PNGs are decoded by Pillow, checked (28x28, 8-bit grayscale), and the pixels are cached on
disk, keyed by the file names, so a second load in any process reads one file. Where MNIST comes
from is `nbhelpers.mnist`'s concern; `mnist_path` and `MNISTError` are importable from here too.
"""

import hashlib
import io
import os
import sys
import zipfile

from nbhelpers.mnist import SPLITS, MNISTError, cache_dir, mnist_path, write_atomically

__all__ = ["load_pair", "load_digits", "load_arrays", "scaled", "read_pngs", "mnist_path", "MNISTError"]

MODES = {"RGB": "colour (RGB)", "RGBA": "colour with alpha", "P": "palette colour", "LA": "grayscale with alpha",
         "1": "1-bit", "I": "16-bit grayscale", "I;16": "16-bit grayscale"}


def _check_digits(a, b):
    whole = all(isinstance(v, int) and not isinstance(v, bool) for v in (a, b))
    if not whole or not (0 <= a <= 9 and 0 <= b <= 9) or a == b:
        raise (ValueError if whole else TypeError)(
            f"load_pair needs two different digits, integers from 0 to 9 (e.g. load_pair(2, 6)); got a={a!r}, b={b!r}")


def _list_pngs(folder, root):
    if not os.path.isdir(folder):
        raise MNISTError(f"The digit folder {folder} is missing. {root} must hold training/<digit> and "
                         "testing/<digit> folders for every digit you ask for; re-download or re-unpack MNIST.")
    names, skipped = [], []
    for entry in os.scandir(folder):
        (names if entry.name.endswith(".png") and entry.is_file() else skipped).append(entry.name)
    if not names:
        raise MNISTError(f"The digit folder {folder} holds no PNG files"
                         f"{' (only: ' + ', '.join(sorted(skipped)[:5]) + ')' if skipped else ''}; "
                         "re-download or re-unpack MNIST, or point MNIST_PNG at a complete copy.")
    if skipped:
        print(f"Note: skipped {len(skipped)} file(s) that are not PNGs in {folder}.", flush=True)
    return sorted(names)


def _progress(items):
    "A fastprogress bar over `items` for a person in a notebook; nothing in a script, under test or with NBHELPERS_QUIET."
    if "ipykernel" not in sys.modules or os.environ.get("NBHELPERS_QUIET", "0") not in ("", "0"):
        return items
    from fastprogress.fastprogress import progress_bar

    return progress_bar(items, leave=False)


def read_pngs(paths):
    "Decode 28x28 8-bit grayscale PNGs with Pillow into uint8 [n, 784]; MNISTError names any other file."
    import numpy as np
    from PIL.PngImagePlugin import PngImageFile  # what Image.open(p) returns for a PNG, without trying other formats

    rows = []
    for p in _progress(paths):
        try:
            with PngImageFile(p) as im:
                if im.size == (28, 28) and im.mode == "L":
                    rows.append(im.tobytes())
                    continue
                why = f"is {im.width}x{im.height} pixels, mode {im.mode} ({MODES.get(im.mode, 'not 8-bit grayscale')})"
        except (OSError, SyntaxError, ValueError) as e:  # not a PNG, unreadable, truncated or corrupt
            why = ("is not a PNG file" if str(e) == "not a PNG file" else f"cannot be read ({e.strerror})"
                   if getattr(e, "errno", None) else f"is corrupt or truncated ({e})")
        raise MNISTError(f"{p} {why}. Every image must be a 28x28 8-bit grayscale PNG: "
                         "delete or replace this file (or re-download MNIST).")
    return np.frombuffer(b"".join(rows), np.uint8).reshape(len(rows), 784)


def load_arrays(labels, path=None, cache=True, name="digits"):
    "Pixels (uint8 [n, 784]) and labels of the digits in `labels` ({digit: label}), training then testing, cached."
    import numpy as np

    found = mnist_path(path)
    listing = {(s, d): _list_pngs(os.path.join(found.path, s, str(d)), found.path) for s in SPLITS for d in labels}
    key = hashlib.sha256(f"v2|{found.kind}|{os.path.realpath(found.path)}|{sorted(labels.items())}|{listing}".encode())
    file = cache_dir() / f"{name}-{key.hexdigest()[:20]}.npz"
    if cache and file.exists():
        try:  # zipfile checks every member's CRC-32: a damaged file raises here
            with np.load(file, allow_pickle=False) as z:
                return {k: z[k] for k in ("x", "y", "n_train")}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            print(f"Note: the cache file {file} is damaged; rebuilding it.", flush=True)
    paths = [os.path.join(found.path, s, str(d), n) for (s, d), names in listing.items() for n in names]
    arrays = {"x": read_pngs(paths), "n_train": np.array(sum(len(listing["training", d]) for d in labels)),
              "y": np.concatenate([np.full(len(listing[s, d]), labels[d], np.uint8) for s in SPLITS for d in labels])}
    if cache:
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        try:
            write_atomically(file, buf.getvalue())
        except OSError as e:
            print(f"Note: cannot write the cache to {file.parent} ({e.strerror or e}); the data is loaded but "
                  "not cached. Set NBHELPERS_CACHE to a writable folder.", flush=True)
    return arrays


def scaled(arrays):
    "The pixels of `load_arrays` as a float32 tensor in [0, 1]: the same numbers as tensor.float() / 255."
    import numpy as np
    import torch

    return torch.from_numpy(np.divide(arrays["x"], 255, dtype=np.float32))


def load_pair(a=2, b=6, path=None, cache=True):
    "Training and validation tensors for digit `a` (label 0) vs digit `b` (label 1) (introduced in 01_data_vectorizing)."
    import torch

    _check_digits(a, b)
    arrays = load_arrays({a: 0, b: 1}, path, cache, name=f"pair-{a}-{b}")
    n = int(arrays["n_train"])
    x, y = scaled(arrays), torch.from_numpy(arrays["y"].astype("float32")[:, None])
    return x[:n], y[:n], x[n:], y[n:]


def load_digits(path=None, cache=True):
    "Training and validation tensors for all ten digits, labels 0-9 as int64 [n] (used from 08_all_ten_digits)."
    import torch

    arrays = load_arrays({d: d for d in range(10)}, path, cache, name="digits")
    n = int(arrays["n_train"])
    x, y = scaled(arrays), torch.from_numpy(arrays["y"].astype("int64"))
    return x[:n], y[:n], x[n:], y[n:]
