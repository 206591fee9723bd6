"""Minibatch training pieces: one batch's gradient, one epoch of steps, validation, and plain SGD.

Each is written first in notebooks/05_minibatch_sgd.ipynb, in a cell tagged `export`;
tests/test_sync.py keeps that cell and this file identical.
"""

import math

import torch

__all__ = ["calc_grad", "train_epoch", "validate_epoch", "BasicOptim"]


def calc_grad(xb, yb, model, loss_func):
    "Loss of `model` on the batch `xb, yb`; `backward()` adds its gradient to each parameter's `.grad` (introduced in 05_minibatch_sgd)."
    loss = loss_func(model(xb), yb)
    loss.backward()
    return loss


def train_epoch(model, dl, opt, loss_func):
    "One pass over `dl`, stepping `opt` after every batch; returns the mean training loss (introduced in 05_minibatch_sgd)."
    total, n = 0.0, 0
    for xb, yb in dl:
        loss = calc_grad(xb, yb, model, loss_func).item()
        if not math.isfinite(loss):
            raise FloatingPointError(f"the training loss became {loss} after {n} images: the steps are too big "
                                     "for this model; try a smaller learning rate (lr)")
        opt.step()
        opt.zero_grad()
        total, n = total + loss * len(xb), n + len(xb)
    return round(total / n, 4)


def validate_epoch(model, dl, metric):
    "`metric` over all of `dl` (each batch weighted by its size), rounded to 4 places (introduced in 05_minibatch_sgd)."
    total, n = 0.0, 0
    with torch.no_grad():
        for xb, yb in dl:
            total, n = total + metric(model(xb), yb).item() * len(xb), n + len(xb)
    return round(total / n, 4)


class BasicOptim:
    "Plain SGD: `step` moves each parameter `lr` times its gradient downhill, `zero_grad` clears the gradients (introduced in 05_minibatch_sgd)."

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self):
        with torch.no_grad():
            for p in self.params:
                p -= self.lr * p.grad

    def zero_grad(self):
        for p in self.params:
            p.grad = None
