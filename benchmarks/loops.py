"""The ways of training the linear model that the benchmark compares, all on the same data.

Every way starts from the same parameters (`nbhelpers.model.init_params`, seeded), uses the
same loss (`nbhelpers.model.mnist_loss`), learning rate, batch size and number of epochs,
and validates after every epoch, as the notebooks do.  Each returns the final validation
accuracy.
"""

import time
from collections import defaultdict

import torch
from torch import nn

from nbhelpers.model import accuracy, linear, mnist_loss

# What every torch loop iterates over.  The notebooks build `dset = list(zip(train_x, train_y))`
# (the write-up's way) and a torch DataLoader over it; the plain loop uses the same loader so
# that the comparison is about the loop, not about how batches are collated.
DATASET = "list(zip(x, y)) + torch.utils.data.DataLoader"


def make_dl(x, y, bs, shuffle, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(list(zip(x, y)), batch_size=bs, shuffle=shuffle, generator=g)


def _linear_module(params):
    "nn.Linear(784, 1) holding the same starting values as the from-scratch `weights, bias`."
    weights, bias = params
    model = nn.Linear(28 * 28, 1)
    with torch.no_grad():
        model.weight.copy_(weights.detach().T)
        model.bias.copy_(bias.detach())
    return model


def fit_scratch(train_x, train_y, valid_x, valid_y, params, epochs, bs, lr, seed):
    "The notebooks' loop: nbhelpers.train's pieces (notebook 05), the model `linear`."
    from nbhelpers import train

    dl = make_dl(train_x, train_y, bs, True, seed)
    valid_dl = make_dl(valid_x, valid_y, bs, False, seed)
    weights, bias = params

    def model(xb):
        return linear(xb, weights, bias)

    opt = train.BasicOptim([weights, bias], lr)
    acc = None
    for _ in range(epochs):
        train.train_epoch(model, dl, opt, mnist_loss)
        acc = train.validate_epoch(model, valid_dl, accuracy)
    return acc


def fit_plain(train_x, train_y, valid_x, valid_y, params, epochs, bs, lr, seed):
    "A plain PyTorch loop: nn.Linear, torch.optim.SGD, DataLoader."
    dl = make_dl(train_x, train_y, bs, True, seed)
    valid_dl = make_dl(valid_x, valid_y, bs, False, seed)
    model = _linear_module(params)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    acc = None
    for _ in range(epochs):
        for xb, yb in dl:
            loss = mnist_loss(model(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
        with torch.no_grad():  # weighted by batch size, as validate_epoch does
            acc = sum(accuracy(model(xb), yb).item() * len(xb) for xb, yb in valid_dl) / len(valid_x)
    return acc


# ------------------------------------------------------------------ fastai


def _fastai():
    import fastai.callback.progress  # noqa: F401  (registers ProgressCallback, as fastai.basics does)
    from fastai.callback.core import TrainEvalCallback
    from fastai.callback.progress import ProgressCallback
    from fastai.data.core import DataLoaders
    from fastai.data.load import DataLoader
    from fastai.learner import Learner
    from fastai.optimizer import SGD

    return DataLoaders, DataLoader, Learner, SGD, ProgressCallback, TrainEvalCallback


def fastai_default_cbs():
    from fastai.callback.core import defaults

    _fastai()
    return [c.__name__ for c in defaults.callbacks]


def _learner(train_x, train_y, valid_x, valid_y, params, bs, seed, variant):
    DataLoaders, DataLoader, Learner, SGD, ProgressCallback, TrainEvalCallback = _fastai()
    torch.manual_seed(seed)
    if variant == "bare":  # torch's DataLoader, and only the callback that switches train/eval
        dls = DataLoaders(make_dl(train_x, train_y, bs, True, seed), make_dl(valid_x, valid_y, bs, False, seed),
                          device="cpu")
        learn = Learner(dls, _linear_module(params), opt_func=SGD, loss_func=mnist_loss,
                        default_cbs=False, cbs=[TrainEvalCallback()])
        return learn
    dls = DataLoaders(DataLoader(list(zip(train_x, train_y)), bs=bs, shuffle=True),
                      DataLoader(list(zip(valid_x, valid_y)), bs=bs))
    learn = Learner(dls, _linear_module(params), opt_func=SGD, loss_func=mnist_loss, metrics=accuracy)
    if variant == "no_bar":
        learn.remove_cb(ProgressCallback)
    return learn


def _accuracy_of(module, valid_x, valid_y):
    with torch.no_grad():
        return accuracy(module(valid_x), valid_y).item()


def fit_fastai(train_x, train_y, valid_x, valid_y, params, epochs, bs, lr, seed, variant="default"):
    "fastai's Learner; `variant`: 'default' (its default callbacks), 'no_bar', 'bare'."
    import contextlib
    import io

    learn = _learner(train_x, train_y, valid_x, valid_y, params, bs, seed, variant)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        learn.fit(epochs, lr=lr)
    if variant == "bare":  # no Recorder, no metrics: measure once, afterwards (outside fastai's loop)
        return _accuracy_of(learn.model, valid_x, valid_y)
    return learn.recorder.values[-1][-1]


def profile_fastai(train_x, train_y, valid_x, valid_y, params, epochs, bs, lr, seed):
    "Where a default Learner's time goes: each callback, fetching batches, device transfer, the rest."
    import contextlib
    import io

    learn = _learner(train_x, train_y, valid_x, valid_y, params, bs, seed, "default")
    spent = defaultdict(float)
    batches = 0
    pc = time.perf_counter

    def call_one(event_name):
        start = pc()
        for cb in learn.cbs.sorted("order"):
            t = pc()
            cb(event_name)
            spent[f"callback {type(cb).__name__}"] += pc() - t
        spent["callbacks (all, with dispatch)"] += pc() - start

    original_set_device = learn._set_device

    def set_device(b):
        t = pc()
        out = original_set_device(b)
        spent["Learner._set_device (to_device)"] += pc() - t
        return out

    def all_batches():
        nonlocal batches
        learn.n_iter = len(learn.dl)
        t = pc()
        it = iter(learn.dl)
        i = 0
        while True:
            try:
                b = next(it)
            except StopIteration:
                break
            finally:
                spent["DataLoader (collate + to_device)"] += pc() - t
            learn.one_batch(i, b)
            i += 1
            batches += 1
            t = pc()

    learn._call_one, learn._set_device, learn.all_batches = call_one, set_device, all_batches
    start = pc()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        learn.fit(epochs, lr=lr)
    total = pc() - start
    parts = {k: round(v, 4) for k, v in sorted(spent.items(), key=lambda kv: -kv[1])}
    accounted = spent["callbacks (all, with dispatch)"] + spent["DataLoader (collate + to_device)"] \
        + spent["Learner._set_device (to_device)"]
    parts["model, loss, backward, step and the loop itself"] = round(total - accounted, 4)
    return {"seconds": round(total, 4), "batches": batches, "parts": parts}
