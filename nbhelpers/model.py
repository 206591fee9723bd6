"""The from-scratch linear model: parameters, predictions, accuracy and the loss.

Each function is written first in the notebook named in its docstring, in a cell tagged
`export`; tests/test_sync.py keeps that cell and this file identical.
"""

import torch

__all__ = ["init_params", "linear", "accuracy", "mnist_loss"]


def init_params(size, std=1.0):
    "Random parameters of shape `size`, normal with spread `std`, tracking gradients (introduced in 02_accuracy_as_loss)."
    return (torch.randn(size) * std).requires_grad_()


def linear(xb, weights, bias):
    "Predictions of the linear model (introduced in 02_accuracy_as_loss)."
    return xb @ weights + bias


def accuracy(preds, y):
    "Fraction of predictions on the right side of 0 (above 0 means label 1), preds and y both [n, 1] (introduced in 02_accuracy_as_loss)."
    if preds.shape != y.shape or preds.ndim != 2:
        raise ValueError(f"accuracy needs preds and y of the same shape [n, 1], got preds {tuple(preds.shape)} and y {tuple(y.shape)}")
    return ((preds > 0.0).float() == y).float().mean()


def mnist_loss(preds, y):
    "Mean of 1 - p over the 1s and p over the 0s, p = sigmoid(preds), both [n, 1] (introduced in 03_sigmoid_loss)."
    if preds.shape != y.shape or preds.ndim != 2:
        raise ValueError(f"mnist_loss needs preds and y of the same shape [n, 1], got preds {tuple(preds.shape)} and y {tuple(y.shape)}")
    p = torch.sigmoid(preds)
    return torch.where(y == 1, 1 - p, p).mean()
