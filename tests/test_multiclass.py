"""Unit tests of notebook 08's functions (torch is the oracle) and of nbhelpers.data.load_digits (a tiny MNIST
folder made here)."""

import shutil

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from helpers import notebook_functions, write_png
from nbhelpers.data import MNISTError, load_digits

softmax, log_softmax, cross_entropy, multiclass_accuracy, confusion_matrix = notebook_functions(
    "08_all_ten_digits", "softmax", "log_softmax", "cross_entropy", "multiclass_accuracy", "confusion_matrix")


def scores(n=64, k=10, scale=3.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, k, generator=g, dtype=torch.float64) * scale


# ------------------------------------------------------------------ softmax and cross-entropy


@pytest.mark.parametrize("scale", [0.1, 3.0, 1000.0])
def test_softmax_and_log_softmax_match_torch(scale):
    x = scores(scale=scale)
    torch.testing.assert_close(softmax(x), torch.softmax(x, dim=1),
                               msg="softmax must equal torch.softmax(x, dim=1), row by row")
    torch.testing.assert_close(log_softmax(x), torch.log_softmax(x, dim=1),
                               msg="log_softmax must equal torch.log_softmax(x, dim=1) (subtract the row max first)")
    assert softmax(x).shape == x.shape and torch.isfinite(log_softmax(x)).all()


def test_softmax_does_not_overflow_in_float32():
    big = torch.tensor([[10.0, 100.0, 1000.0], [-1000.0, 0.0, 1000.0]])
    assert torch.isfinite(softmax(big)).all(), "softmax gave inf/nan: subtract each row's max before exp"
    torch.testing.assert_close(softmax(big), torch.softmax(big, dim=1))
    torch.testing.assert_close(log_softmax(big), torch.log_softmax(big, dim=1))


def test_softmax_with_two_columns_is_the_sigmoid():
    s = torch.linspace(-10, 10, 21, dtype=torch.float64)
    torch.testing.assert_close(softmax(torch.stack([torch.zeros_like(s), s], dim=1))[:, 1], torch.sigmoid(s))


@pytest.mark.parametrize("scale", [0.1, 3.0, 1000.0])
def test_cross_entropy_value_and_gradient_match_torch(scale):
    x = scores(scale=scale).requires_grad_()
    y = torch.randint(0, 10, (len(x),), generator=torch.Generator().manual_seed(1))
    ours = cross_entropy(x, y)
    ours.backward()
    ours_grad, x.grad = x.grad.clone(), None
    theirs = F.cross_entropy(x, y)
    theirs.backward()
    torch.testing.assert_close(ours, theirs, msg="cross_entropy must equal F.cross_entropy(preds, y)")
    torch.testing.assert_close(ours_grad, x.grad, msg="cross_entropy's gradient must equal F.cross_entropy's")
    assert ours.shape == ()


@pytest.mark.parametrize("fn", [cross_entropy, multiclass_accuracy, confusion_matrix])
@pytest.mark.parametrize("preds, y", [
    (torch.zeros(4, 10), torch.zeros(4, 1, dtype=torch.int64)),  # a [n, 1] label column (the 2-vs-6 habit)
    (torch.zeros(4), torch.zeros(4, dtype=torch.int64)),  # one output per image
    (torch.zeros(4, 10), torch.zeros(3, dtype=torch.int64)),  # different numbers of rows
    (torch.zeros(4, 10), torch.zeros(4)),  # float labels
])
def test_wrong_shapes_or_dtypes_fail_loudly(fn, preds, y):
    with pytest.raises(ValueError) as err:
        fn(preds, y)
    msg = str(err.value)
    assert fn.__name__ in msg and ("[n]" in msg or "int64" in msg), f"the message should say what is expected, got: {msg}"


# ------------------------------------------------------------------ accuracy and the confusion matrix


def test_multiclass_accuracy_counts_the_argmax():
    preds = torch.tensor([[0.1, 2.0, 0.3], [5.0, 1.0, 0.0], [0.0, 0.0, 9.0], [1.0, 0.0, 0.0]])
    assert multiclass_accuracy(preds, torch.tensor([1, 2, 2, 0])).item() == pytest.approx(0.75)
    assert multiclass_accuracy(preds, torch.tensor([0, 1, 1, 1])).item() == 0.0


def test_confusion_matrix_matches_counting_by_hand():
    x = scores(n=200, k=10)
    y = torch.randint(0, 10, (200,), generator=torch.Generator().manual_seed(2))
    cm = confusion_matrix(x, y)
    by_hand = torch.zeros(10, 10, dtype=torch.int64)
    for t, a in zip(y.tolist(), x.argmax(dim=1).tolist()):
        by_hand[t, a] += 1
    assert torch.equal(cm, by_hand), "row = true class, column = predicted class"
    assert cm.sum() == 200 and torch.equal(cm.sum(dim=1), torch.bincount(y, minlength=10))
    assert cm.diag().sum().item() / 200 == pytest.approx(multiclass_accuracy(x, y).item())


# ------------------------------------------------------------------ the data


def test_load_digits_on_a_tiny_folder(tiny_mnist, capsys):
    train_x, train_y, valid_x, valid_y = load_digits(tiny_mnist)
    assert train_x.shape == (30, 784) and valid_x.shape == (20, 784), "3 training and 2 testing images per digit"
    assert train_x.dtype == torch.float32 and 0 <= train_x.min() and train_x.max() <= 1
    assert train_y.shape == (30,) and train_y.dtype == torch.int64, "labels are class numbers [n], int64"
    assert train_y.tolist() == [d for d in range(10) for _ in range(3)]
    assert valid_y.tolist() == [d for d in range(10) for _ in range(2)]
    # Row 7 is the second image of digit 2 (files sorted by name), exactly as PIL reads it.
    expected = torch.as_tensor(np.array(Image.open(tiny_mnist / "training" / "2" / "1.png"))).float() / 255
    assert torch.equal(train_x[7], expected.view(-1)), "load_digits must read the files in name order, digit by digit"
    # A second call comes from the cache and is identical.
    again = load_digits(tiny_mnist)
    assert all(torch.equal(a, b) for a, b in zip((train_x, train_y, valid_x, valid_y), again))
    assert "your own copy" in capsys.readouterr().out


def test_load_digits_cache_follows_the_files(tiny_mnist):
    before = load_digits(tiny_mnist)
    write_png(tiny_mnist / "training" / "5" / "9.png", seed=999)
    after = load_digits(tiny_mnist)
    assert len(after[0]) == len(before[0]) + 1 and after[1].tolist().count(5) == 4, \
        "a new image must invalidate the cache"


def test_load_digits_names_a_missing_digit_folder(tiny_mnist):
    shutil.rmtree(tiny_mnist / "testing" / "7")
    with pytest.raises(MNISTError, match="testing/7"):
        load_digits(tiny_mnist)
