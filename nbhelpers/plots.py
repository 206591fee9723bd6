"""Small plotting helpers used across the series: digits, a model's weights, training curves, a confusion matrix.

Each helper draws with matplotlib and returns its Axes (an array of them for a grid), so a
notebook can add a title or end the cell with `;` to show only the picture.  Nothing here
changes matplotlib's backend or style.
"""

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["show_digit", "show_digits", "show_weights", "plot_curves", "plot_confusion"]


def _numpy(x):
    "A tensor (on any device: copied to the CPU) or an array, as a numpy array."
    return np.asarray(x.detach().cpu() if hasattr(x, "detach") else x)


def show_digit(x, title=None, ax=None, figsize=(2, 2)):
    "Draw one digit (784 values or 28x28, 0 = black) in grey (used from 01_data_vectorizing)."
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    ax.imshow(_numpy(x).reshape(28, 28), cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    if title is not None:
        ax.set_title(str(title), fontsize=9)
    return ax


def show_digits(xs, titles=None, ncols=8, size=0.9):
    "Draw the digits in `xs` (n x 784 or n x 28 x 28) as a grid, with optional titles (used from 01_data_vectorizing)."
    n = len(xs)
    nrows = max(1, -(-n // ncols))
    fig, axs = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * (1.25 if titles is not None else 1)),
                            squeeze=False)
    for i, ax in enumerate(axs.flat):
        if i < n:
            show_digit(xs[i], None if titles is None else titles[i], ax=ax)
        else:
            ax.set_axis_off()
    fig.tight_layout()
    return axs


def show_weights(weights, ax=None, figsize=(3, 3), title=None):
    "Draw 784 weights as a 28x28 image: red pushes towards 1, blue towards 0 (used from 04_gradient_steps)."
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    img = _numpy(weights).reshape(28, 28)
    lim = float(abs(img).max()) or 1.0
    im = ax.imshow(img, cmap="bwr", vmin=-lim, vmax=lim)
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title, fontsize=9)
    return ax


def plot_curves(curves, x=None, xlabel="step", ylabel=None, ax=None, figsize=(6, 3), title=None):
    "Plot each sequence in the dict `curves` against `x` (default: its index), one labelled line each (used from 02_accuracy_as_loss)."
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    for label, ys in curves.items():
        xs = range(len(ys)) if x is None else [float(v) for v in x]
        ax.plot(xs, [float(y) for y in ys], label=str(label))
    ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    if len(curves) > 1:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_confusion(cm, ax=None, figsize=(5.5, 5.5)):
    "Draw a confusion matrix (rows true, columns answered) with each count written in; the diagonal is left out of the colours (used from 08_all_ten_digits)."
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    cm = _numpy(cm)
    off = np.where(np.eye(len(cm), dtype=bool), 0, cm)  # the mistakes only: the diagonal set to 0
    ax.imshow(off, cmap="Reds")
    k, top = len(cm), float(off.max())
    for t in range(k):
        for a in range(k):
            ax.text(a, t, int(cm[t, a]), ha="center", va="center", fontsize=7,
                    color="grey" if t == a else "white" if off[t, a] > top / 2 else "black")
    ax.set(xlabel="answered digit", ylabel="true digit", xticks=range(k), yticks=range(k))
    return ax
