"""One timed job per process: `python -m benchmarks.jobs JOB RESULT.json [options]`.

`run.py` starts every job in a fresh interpreter, so each timing pays what a reader's fresh
kernel pays.  What a job imports before its clock starts (torch, numpy, PIL, fastai) is
listed in `excluded`; everything after is timed.  The result is written as JSON to RESULT.
"""

import argparse
import json
import sys
import time
from pathlib import Path

from nbhelpers.mnist import SPLITS


def _threads(n):
    import torch

    torch.set_num_threads(n)
    return torch.get_num_threads()


def _checksum(train_x, train_y, valid_x, valid_y):
    "Enough to tell that two ways of vectorizing gave the same tensors."
    return {"train_x": list(train_x.shape), "valid_x": list(valid_x.shape),
            "sum_x": round(float(train_x.double().sum() + valid_x.double().sum()), 3),
            "sum_y": float(train_y.float().sum() + valid_y.float().sum())}


# ------------------------------------------------------------------ 1. vectorizing


def vectorize_original(args):
    "The original write-up's way: list each folder, `tensor(Image.open(o))` per file, stack, /255."
    import warnings

    warnings.simplefilter("ignore")
    import fastcore.xtras  # noqa: F401  (Path.ls, as the write-up uses it)
    import torch
    from fastai.torch_core import tensor
    from PIL import Image

    from nbhelpers.mnist import mnist_path

    root = Path(mnist_path(verbose=False).path)
    threads = _threads(args.threads)

    start = time.perf_counter()

    def stacked(split, digit):
        files = (root / split / str(digit)).ls().sorted()
        return torch.stack([tensor(Image.open(o)) for o in files]).float() / 255

    xs = {}
    for split in SPLITS:
        xa, xb = stacked(split, args.a), stacked(split, args.b)
        xs[split] = (torch.cat([xa, xb]).view(-1, 28 * 28),
                     tensor([0] * len(xa) + [1] * len(xb)).unsqueeze(1).float())
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "threads": threads, "excluded": "import torch, PIL, fastai.torch_core",
            "check": _checksum(*xs["training"], *xs["testing"])}


def vectorize_nbhelpers(args):
    "nbhelpers.data.load_pair, cold (cache=False, empty cache folder) or warm (its cache filled)."
    import torch  # noqa: F401  (excluded: every way needs torch)

    threads = _threads(args.threads)
    start = time.perf_counter()
    from nbhelpers.data import load_pair

    tensors = load_pair(args.a, args.b, cache=args.job == "vectorize-warm")
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "threads": threads, "excluded": "import torch",
            "check": _checksum(*tensors)}


def prime_cache(args):
    "Fill nbhelpers' cache (untimed), so that the warm job finds it."
    from nbhelpers.data import load_pair

    return {"check": _checksum(*load_pair(args.a, args.b, cache=True))}


# ------------------------------------------------------------------ 2. training


def _data(args):
    from nbhelpers.data import load_pair

    return load_pair(args.a, args.b)


def _start_params(seed):
    "The same starting weights and bias for every way of training: nbhelpers.model.init_params."
    import torch

    from nbhelpers.model import init_params

    torch.manual_seed(seed)
    return init_params((28 * 28, 1)), init_params(1)


def _time_each(names, rep, fit, epochs):
    "Time `fit(name, epochs)` for every name, in an order that rotates with `rep`, after one untimed epoch of each."
    k = rep % len(names)
    order = list(names)[k:] + list(names)[:k]
    # One untimed epoch first: torch's first backward pass and allocator warm-up are not the loop.
    for name in order:
        fit(name, 1)
    out = {}
    for name in order:
        start = time.perf_counter()
        acc = fit(name, epochs)
        out[name] = {"seconds": time.perf_counter() - start, "valid_acc": round(float(acc), 4)}
    return out


def train_torch(args):
    "The notebooks' from-scratch loop and a plain PyTorch loop, alternating in one process."
    threads = _threads(args.threads)
    train_x, train_y, valid_x, valid_y = _data(args)
    from benchmarks import loops

    ways = {"scratch": loops.fit_scratch, "plain": loops.fit_plain}

    def fit(name, epochs):
        return ways[name](train_x, train_y, valid_x, valid_y, _start_params(args.seed), epochs,
                          args.bs, args.lr, args.seed)

    out = {"threads": threads, **_time_each(ways, args.rep, fit, args.epochs)}
    out["dataset"] = loops.DATASET
    return out


def train_fastai(args):
    "fastai's Learner: with its default callbacks, without the progress bar, and taken apart."
    import warnings

    warnings.simplefilter("ignore")
    threads = _threads(args.threads)
    train_x, train_y, valid_x, valid_y = _data(args)
    from benchmarks import loops

    def fit(name, epochs):
        return loops.fit_fastai(train_x, train_y, valid_x, valid_y, _start_params(args.seed), epochs,
                                args.bs, args.lr, args.seed, variant=name)

    out = {"threads": threads, **_time_each(["default", "no_bar", "bare"], args.rep, fit, args.epochs)}
    out["profile"] = loops.profile_fastai(train_x, train_y, valid_x, valid_y, _start_params(args.seed),
                                          args.epochs, args.bs, args.lr, args.seed)
    out["default_cbs"] = loops.fastai_default_cbs()
    return out


def train_sklearn(args):
    "scikit-learn's LogisticRegression on the same split."
    import warnings

    warnings.simplefilter("ignore")
    from sklearn.linear_model import LogisticRegression

    threads = _threads(args.threads)
    train_x, train_y, valid_x, valid_y = _data(args)
    X, y = train_x.numpy(), train_y.numpy().ravel()
    start = time.perf_counter()
    clf = LogisticRegression(max_iter=1000).fit(X, y)
    acc = clf.score(valid_x.numpy(), valid_y.numpy().ravel())
    return {"threads": threads, "seconds": time.perf_counter() - start, "valid_acc": round(float(acc), 4),
            "n_iter": int(clf.n_iter_[0])}


JOBS = {"vectorize-original": vectorize_original, "vectorize-cold": vectorize_nbhelpers,
        "vectorize-warm": vectorize_nbhelpers, "prime": prime_cache, "train-torch": train_torch,
        "train-fastai": train_fastai, "train-sklearn": train_sklearn}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("job", choices=sorted(JOBS))
    ap.add_argument("result")
    ap.add_argument("--a", type=int, default=2)
    ap.add_argument("--b", type=int, default=6)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--bs", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--rep", type=int, default=0, help="repetition number (rotates the order of variants)")
    args = ap.parse_args(argv)
    result = JOBS[args.job](args)
    Path(args.result).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
