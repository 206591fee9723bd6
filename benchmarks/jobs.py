"""What `make bench` times. run.py calls each job in a fresh interpreter, so every timing pays what a
reader's fresh kernel pays; `import torch` (and whatever a job imports before its clock starts) is not timed.

All jobs use the 2s and 6s. The training jobs share one start (init_params, seed 42), one loss
(mnist_loss), one learning rate, batch size and batch order, and validate after every epoch, as
the notebooks do.
"""

import contextlib
import hashlib
import io
import time
import warnings

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

A, B = 2, 6
BS, LR, SEED = 256, 1.0, 42


def _one_thread():
    "One torch thread in every job, as the notebooks run (benchmarks/README.md says why)."
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")  # importing fastai warns about things that do not matter here


def fingerprint(tensors):
    "sha256 of the tensors' shapes and bytes: equal only when two ways gave the same tensors bit for bit."
    digest = hashlib.sha256()
    for t in tensors:
        digest.update(str(tuple(t.shape)).encode() + t.contiguous().numpy().tobytes())
    return digest.hexdigest()


# ------------------------------------------------------------------ vectorizing


def vectorize_original():
    "The original write-up's way: list each folder, `tensor(Image.open(o))` for every file, stack, / 255."
    _one_thread()
    import fastcore.xtras  # noqa: F401  (Path.ls, as the write-up uses it)
    from fastai.torch_core import tensor
    from PIL import Image

    from nbhelpers.mnist import mnist_path

    root = mnist_path(verbose=False).path
    start = time.perf_counter()

    def stacked(split, digit):
        files = (root / split / str(digit)).ls().sorted()
        return torch.stack([tensor(Image.open(o)) for o in files]).float() / 255

    tensors = []
    for split in ("training", "testing"):
        x_a, x_b = stacked(split, A), stacked(split, B)
        tensors += [torch.cat([x_a, x_b]).view(-1, 28 * 28), tensor([0] * len(x_a) + [1] * len(x_b)).unsqueeze(1).float()]
    seconds = time.perf_counter() - start
    return seconds, fingerprint(tensors), len(tensors[0]) + len(tensors[2])


def vectorize_load_pair(cache):
    "`load_pair(2, 6)`, its own import included: cold (cache=False: every PNG decoded) or warm (from the cache)."
    _one_thread()
    start = time.perf_counter()
    from nbhelpers.data import load_pair

    tensors = load_pair(A, B, cache=cache)
    seconds = time.perf_counter() - start
    return seconds, fingerprint(tensors), len(tensors[0]) + len(tensors[2])


# ------------------------------------------------------------------ training


def train(way, epochs):
    "Train the linear model `way` for `epochs`, after one untimed run (imports, first backward pass); (seconds, accuracy)."
    _one_thread()
    from nbhelpers.data import load_pair

    data = load_pair(A, B)
    fit = {"plain": fit_plain, "scratch": fit_scratch, "fastai": fit_fastai, "sklearn": fit_sklearn}[way]
    fit(*data, epochs=1)
    start = time.perf_counter()
    acc = fit(*data, epochs=epochs)
    return time.perf_counter() - start, round(float(acc), 4)


def start_params():
    "The same starting weights and bias for every way: notebook 02's init_params, seeded."
    from nbhelpers.model import init_params

    torch.manual_seed(SEED)
    return init_params((28 * 28, 1)), init_params(1)


def linear_module():
    "nn.Linear(784, 1) holding the values of start_params()."
    weights, bias = start_params()
    model = nn.Linear(28 * 28, 1)
    with torch.no_grad():
        model.weight.copy_(weights.T)
        model.bias.copy_(bias)
    return model


def loaders(train_x, train_y, valid_x, valid_y):
    "The notebooks' loaders (05's `loader`): training batches shuffled by a generator seeded with SEED."
    shuffled = torch.Generator().manual_seed(SEED)
    return (DataLoader(TensorDataset(train_x, train_y), batch_size=BS, shuffle=True, generator=shuffled),
            DataLoader(TensorDataset(valid_x, valid_y), batch_size=BS))


def fit_plain(train_x, train_y, valid_x, valid_y, epochs):
    "A plain PyTorch loop: nn.Linear and torch.optim.SGD."
    from nbhelpers.model import accuracy, mnist_loss

    dl, valid_dl = loaders(train_x, train_y, valid_x, valid_y)
    model = linear_module()
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    for _ in range(epochs):
        for xb, yb in dl:
            mnist_loss(model(xb), yb).backward()
            opt.step()
            opt.zero_grad()
        with torch.no_grad():  # each batch weighted by its size, as validate_epoch does
            acc = sum(accuracy(model(xb), yb).item() * len(xb) for xb, yb in valid_dl) / len(valid_x)
    return acc


def fit_scratch(train_x, train_y, valid_x, valid_y, epochs):
    "The notebooks' from-scratch loop (05): nbhelpers.train's pieces on the model `linear`."
    from nbhelpers.model import accuracy, linear, mnist_loss
    from nbhelpers.train import BasicOptim, train_epoch, validate_epoch

    dl, valid_dl = loaders(train_x, train_y, valid_x, valid_y)
    weights, bias = start_params()
    opt = BasicOptim([weights, bias], LR)
    for _ in range(epochs):
        train_epoch(lambda xb: linear(xb, weights, bias), dl, opt, mnist_loss)
        acc = validate_epoch(lambda xb: linear(xb, weights, bias), valid_dl, accuracy)
    return acc


def fit_fastai(train_x, train_y, valid_x, valid_y, epochs):
    "fastai's Learner with its default callbacks (progress bar included), on the same loaders, as 06 builds it."
    import fastai.callback.progress  # noqa: F401  (adds the progress bar to the default callbacks, as in 06)
    from fastai.data.core import DataLoaders
    from fastai.learner import Learner
    from fastai.optimizer import SGD

    from nbhelpers.model import accuracy, mnist_loss

    dls = DataLoaders(*loaders(train_x, train_y, valid_x, valid_y))
    learn = Learner(dls, linear_module(), opt_func=SGD, loss_func=mnist_loss, metrics=accuracy)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        learn.fit(epochs, lr=LR)
    return learn.recorder.values[-1][-1]


def fit_sklearn(train_x, train_y, valid_x, valid_y, epochs):
    "scikit-learn's LogisticRegression (lbfgs, default L2 penalty, to convergence: `epochs` does not apply)."
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(max_iter=1000).fit(train_x.numpy(), train_y.numpy().ravel())
    return clf.score(valid_x.numpy(), valid_y.numpy().ravel())
