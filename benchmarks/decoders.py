"""Which decoder for load_pair: Pillow, torchvision.io.decode_png, the hand-written one it replaced, and the
original way, on the same PNGs, in one process, interleaved, medians (issue 12).

    python benchmarks/decoders.py              # the 2s and 6s of the MNIST that load_pair finds, 5 repetitions
    python benchmarks/decoders.py --reps 9 --a 3 --b 8

The hand-written decoder is read from git (nbhelpers/data.py at commit HANDWRITTEN). Every way must
return the same pixels. What decode_png also costs on a cold load, importing torchvision.io, is
measured in a fresh interpreter and printed apart.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import types
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from nbhelpers.data import read_pngs
from nbhelpers.mnist import SPLITS, mnist_path

HANDWRITTEN = "40e951d"  # the last commit with the hand-written PNG decoder


def pillow_threads(paths, n=2):
    k = -(-len(paths) // n)
    with ThreadPoolExecutor(n) as ex:
        return np.concatenate(list(ex.map(read_pngs, [paths[i:i + k] for i in range(0, len(paths), k)])))


def decode_png(paths):
    from torchvision.io import ImageReadMode
    from torchvision.io import decode_png as decode

    out = torch.empty(len(paths), 784, dtype=torch.uint8)
    for i, p in enumerate(paths):
        with open(p, "rb") as f:
            img = decode(torch.frombuffer(bytearray(f.read()), dtype=torch.uint8), ImageReadMode.UNCHANGED)
        if img.shape != (1, 28, 28) or img.dtype != torch.uint8:
            raise ValueError(f"{p} is not a 28x28 8-bit grayscale PNG")
        out[i] = img.view(784)
    return out.numpy()


def decode_png_threads(paths, n=2):
    k = -(-len(paths) // n)
    with ThreadPoolExecutor(n) as ex:
        return np.concatenate(list(ex.map(decode_png, [paths[i:i + k] for i in range(0, len(paths), k)])))


def original(paths):
    "The original write-up's decoding: tensor(Image.open(o)) per file, stacked."
    from fastai.torch_core import tensor
    from PIL import Image

    return torch.stack([tensor(Image.open(o)) for o in paths]).view(-1, 784).numpy()


def handwritten():
    "read_pngs of the hand-written decoder, from git, or None where git cannot show it."
    proc = subprocess.run(["git", "show", f"{HANDWRITTEN}:nbhelpers/data.py"], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if proc.returncode:
        return None
    module = types.ModuleType("handwritten_data")
    exec(proc.stdout.replace("    from .progress import progress\n", "    progress = lambda x, **k: x\n"), vars(module))
    return module.read_pngs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--a", type=int, default=2)
    ap.add_argument("--b", type=int, default=6)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    root = mnist_path().path
    paths = [os.path.join(root, s, str(d), n) for s in SPLITS for d in (args.a, args.b)
             for n in sorted(os.listdir(os.path.join(root, s, str(d))))]
    ways = {"Pillow (nbhelpers.data.read_pngs)": read_pngs, "Pillow, 2 threads": pillow_threads,
            "decode_png, bytes read in Python": decode_png, "decode_png, 2 threads": decode_png_threads,
            "hand-written decoder (until issue 12)": handwritten(), "original way (tensor(Image.open(o)), stack)": original}
    ways = {k: v for k, v in ways.items() if v is not None}
    expected = read_pngs(paths)
    runs = {k: [] for k in ways}
    for rep in range(args.reps):
        for name, fn in (list(ways.items()) if rep % 2 == 0 else list(ways.items())[::-1]):
            start = time.perf_counter()
            pixels = fn(paths)
            runs[name].append(time.perf_counter() - start)
            assert np.array_equal(pixels, expected), f"{name} decodes different pixels"
    print(f"{len(paths):,} PNGs ({args.a}s and {args.b}s), median of {args.reps}, one process, torch threads = 1:")
    for name, ts in runs.items():
        print(f"  {statistics.median(ts):6.3f} s  {name}   (runs: {', '.join(f'{t:.3f}' for t in ts)})")
    code = "import time, torch; t = time.perf_counter(); import torchvision.io; print(time.perf_counter() - t)"
    imports = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
               for _ in range(3)]
    print(f"  {statistics.median(imports):6.3f} s  importing torchvision.io once torch is imported (a cold "
          "load_pair with decode_png would pay it; median of 3 fresh interpreters)")


if __name__ == "__main__":
    sys.exit(main())
