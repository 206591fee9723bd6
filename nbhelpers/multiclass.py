"""All ten digits: the data, softmax, cross-entropy, accuracy and the confusion matrix.

Each function is written first in notebook 08_all_ten_digits, in a cell tagged `export`;
tests/test_sync.py keeps that cell and this file identical.  `load_digits` reuses the
reader, the file listing and the cache of `nbhelpers.data`.
"""

import torch

from nbhelpers.data import load_arrays, scaled

__all__ = ["load_digits", "softmax", "log_softmax", "cross_entropy", "multiclass_accuracy",
           "confusion_matrix"]

DIGITS = tuple(range(10))


def load_digits(path=None, cache=True):
    "Training and validation tensors for all ten digits, labels 0-9 as int64 [n] (used from 08_all_ten_digits)."
    arrays = load_arrays({d: d for d in DIGITS}, path, cache, name="digits")
    n_train = int(arrays["n_train"])
    x, y = scaled(arrays), torch.from_numpy(arrays["y"].astype("int64"))
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def _check_preds(name, preds, y):
    "Fail loudly unless preds is [n, classes] and y is [n] int64 class numbers (introduced in 08_all_ten_digits)."
    if preds.ndim != 2 or y.ndim != 1 or len(preds) != len(y):
        raise ValueError(f"{name} needs preds [n, classes] and y [n] (one class number per row), "
                         f"got preds {tuple(preds.shape)} and y {tuple(y.shape)}")
    if y.dtype != torch.int64:
        raise ValueError(f"{name} needs y as class numbers (int64, e.g. y.long()), got {y.dtype}")


def softmax(preds):
    "Each row turned into probabilities: exp(x - max) / sum(exp(x - max)) (introduced in 08_all_ten_digits)."
    e = (preds - preds.max(dim=1, keepdim=True).values).exp()
    return e / e.sum(dim=1, keepdim=True)


def log_softmax(preds):
    "The log of softmax, computed stably: x - logsumexp(x), row by row (introduced in 08_all_ten_digits)."
    m = preds.max(dim=1, keepdim=True).values
    return preds - m - (preds - m).exp().sum(dim=1, keepdim=True).log()


def cross_entropy(preds, y):
    "Mean of -log(probability of the right class); preds [n, classes] raw outputs, y [n] int64 (introduced in 08_all_ten_digits)."
    _check_preds("cross_entropy", preds, y)
    return -log_softmax(preds)[torch.arange(len(y), device=y.device), y].mean()


def multiclass_accuracy(preds, y):
    "Fraction of rows whose largest output is the right class; preds [n, classes], y [n] (introduced in 08_all_ten_digits)."
    _check_preds("multiclass_accuracy", preds, y)
    return (preds.argmax(dim=1) == y).float().mean()


def confusion_matrix(preds, y):
    "Counts [classes, classes]: row = true class, column = predicted class (introduced in 08_all_ten_digits)."
    _check_preds("confusion_matrix", preds, y)
    k = preds.shape[1]
    return torch.bincount(y * k + preds.argmax(dim=1), minlength=k * k).view(k, k)

