"""Unit tests of nbhelpers.model and of 03's sigmoid, with torch as the oracle (tiny tensors made here, no data)."""

import pytest
import torch

from helpers import notebook_functions
from nbhelpers.model import accuracy, init_params, linear, mnist_loss

(sigmoid,) = notebook_functions("03_sigmoid_loss", "sigmoid")


def test_init_params_shape_spread_and_grad():
    torch.manual_seed(0)
    w = init_params((784, 1))
    assert w.shape == (784, 1) and w.requires_grad and w.is_leaf, "init_params must return a leaf that tracks gradients"
    assert 0.9 < w.std().item() < 1.1, "init_params(size) should draw from a standard normal"
    small = init_params((784, 1), std=0.01)
    assert 0.009 < small.std().item() < 0.011, "init_params(size, std) should scale the draw by std"
    assert init_params(1).shape == (1,)


def test_linear_matches_torch():
    torch.manual_seed(0)
    xb, w, b = torch.rand(5, 784), torch.randn(784, 1), torch.randn(1)
    expected = torch.nn.functional.linear(xb, w.T, b)
    torch.testing.assert_close(linear(xb, w, b), expected, msg="linear(xb, w, b) should equal xb @ w + b")


def test_sigmoid_matches_torch_values_and_gradient():
    x = torch.linspace(-20, 20, 101, dtype=torch.float64, requires_grad=True)
    ours = sigmoid(x)
    ours.sum().backward()
    ours_grad = x.grad.clone()
    x.grad = None
    theirs = torch.sigmoid(x)
    theirs.sum().backward()
    torch.testing.assert_close(ours, theirs, msg="sigmoid must agree with torch.sigmoid")
    torch.testing.assert_close(ours_grad, x.grad, msg="sigmoid's gradient must agree with torch.sigmoid's")


def test_accuracy_counts_the_side_of_zero():
    preds = torch.tensor([[2.0], [-1.0], [0.5], [-3.0]])
    y = torch.tensor([[1.0], [0.0], [0.0], [0.0]])
    assert accuracy(preds, y).item() == pytest.approx(0.75)


def test_accuracy_reads_its_arguments_not_a_global():
    # A version that compared with a global train_y would give the same answer for any y.
    preds = torch.tensor([[1.0], [-1.0]])
    assert accuracy(preds, torch.tensor([[1.0], [0.0]])).item() == 1.0
    assert accuracy(preds, torch.tensor([[0.0], [1.0]])).item() == 0.0


@pytest.mark.parametrize("fn", [accuracy, mnist_loss])
def test_shape_mismatch_fails_loudly_naming_both_shapes(fn):
    preds, y = torch.zeros(3), torch.zeros(3, 1)
    with pytest.raises(ValueError) as err:
        fn(preds, y)
    msg = str(err.value)
    assert "(3,)" in msg and "(3, 1)" in msg, f"the error should name both shapes, got: {msg}"


def test_mnist_loss_value_matches_its_definition():
    preds = torch.tensor([[0.0], [2.0], [-1.0]])
    y = torch.tensor([[1.0], [1.0], [0.0]])
    p = torch.sigmoid(preds)
    expected = ((1 - p[0]) + (1 - p[1]) + p[2]) / 3
    assert mnist_loss(preds, y).item() == pytest.approx(expected.item(), abs=1e-7)


def test_mnist_loss_gradient_matches_hand_formula_and_autograd():
    torch.manual_seed(0)
    xb = torch.rand(50, 784, dtype=torch.float64)
    y = (torch.rand(50, 1) > 0.5).double()
    w = (torch.randn(784, 1, dtype=torch.float64) * 0.05).requires_grad_()
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    mnist_loss(linear(xb, w, b), y).backward()
    # By hand: dL/dpreds = s(1 - s)(1 - 2y) / n, then the chain rule through xb @ w + b.
    with torch.no_grad():
        s = torch.sigmoid(xb @ w + b)
        dpreds = s * (1 - s) * (1 - 2 * y) / len(y)
    torch.testing.assert_close(w.grad, xb.T @ dpreds, msg="d loss / d weights differs from the hand formula")
    torch.testing.assert_close(b.grad, dpreds.sum(0), msg="d loss / d bias differs from the hand formula")
    # And torch's own finite-difference checker.
    preds = torch.randn(6, 1, dtype=torch.float64, requires_grad=True)
    y6 = torch.tensor([[1.0], [0.0], [1.0], [0.0], [1.0], [1.0]], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda p: mnist_loss(p, y6), (preds,))


def test_mnist_loss_stays_finite_for_huge_predictions():
    preds = torch.tensor([[-500.0], [500.0]], requires_grad=True)
    y = torch.tensor([[1.0], [0.0]])
    loss = mnist_loss(preds, y)
    loss.backward()
    assert loss.item() == pytest.approx(1.0)
    assert torch.isfinite(preds.grad).all(), "mnist_loss must use a sigmoid whose gradient stays finite (torch.sigmoid)"
