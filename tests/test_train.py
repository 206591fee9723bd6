"""nbhelpers.train: the minibatch training pieces of notebook 05, with torch as the oracle.

Small synthetic data made here; no MNIST, no network."""

from functools import partial

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from nbhelpers.model import accuracy, linear, mnist_loss
from nbhelpers.train import BasicOptim, calc_grad, train_epoch, validate_epoch


def toy(n=64, d=10, seed=0):
    "A small linearly separable problem: x [n, d] in [0, 1], y [n, 1] of 0s and 1s."
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, d, generator=g)
    y = (x[:, :1] > 0.5).float()
    return x, y


def params(d=10, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(d, 1, generator=g).mul(0.1).requires_grad_(), torch.zeros(1, requires_grad=True)


def test_calc_grad_matches_autograd():
    x, y = toy()
    weights, bias = params()
    loss = calc_grad(x, y, partial(linear, weights=weights, bias=bias), mnist_loss)
    w2, b2 = (p.detach().clone().requires_grad_() for p in (weights, bias))
    expected = torch.autograd.grad(mnist_loss(x @ w2 + b2, y), (w2, b2))
    assert torch.allclose(weights.grad, expected[0], atol=1e-7), "calc_grad must leave the loss's gradient in .grad"
    assert torch.allclose(bias.grad, expected[1], atol=1e-7)
    assert loss.item() == pytest.approx(mnist_loss(x @ w2 + b2, y).item()), "calc_grad must return the batch's loss"


def test_calc_grad_accumulates_like_backward():
    x, y = toy()
    weights, bias = params()
    model = partial(linear, weights=weights, bias=bias)
    calc_grad(x, y, model, mnist_loss)
    once = weights.grad.clone()
    calc_grad(x, y, model, mnist_loss)
    assert torch.allclose(weights.grad, 2 * once), "calc_grad adds to .grad (as backward does); the optimizer zeroes it"


@pytest.mark.parametrize("lr", [0.1, 3.0])
def test_basic_optim_matches_torch_sgd(lr):
    x, y = toy()
    ours, theirs = params(), params()
    opt_ours, opt_theirs = BasicOptim(ours, lr), torch.optim.SGD(theirs, lr=lr)
    for _ in range(3):
        for ps, opt in ((ours, opt_ours), (theirs, opt_theirs)):
            calc_grad(x, y, partial(linear, weights=ps[0], bias=ps[1]), mnist_loss)
            opt.step()
            opt.zero_grad()
    for p, q in zip(ours, theirs):
        assert torch.allclose(p, q, atol=1e-6), "BasicOptim.step must equal torch.optim.SGD (no momentum): p -= lr * grad"
    assert all(p.grad is None for p in ours), "BasicOptim.zero_grad must clear every .grad (set it to None)"


def test_basic_optim_takes_a_generator_of_parameters():
    model = torch.nn.Linear(3, 1)
    opt = BasicOptim(model.parameters(), lr=0.1)
    assert len(opt.params) == 2, "BasicOptim must keep the parameters in a list (model.parameters() is a one-shot generator)"


def test_train_epoch_learns_and_returns_mean_loss():
    x, y = toy(n=200)
    weights, bias = params()
    model = partial(linear, weights=weights, bias=bias)
    dl = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    valid = DataLoader(TensorDataset(x, y), batch_size=64)
    before = validate_epoch(model, valid, accuracy)
    opt = BasicOptim([weights, bias], lr=10.0)
    losses = [train_epoch(model, dl, opt, mnist_loss) for _ in range(10)]
    assert isinstance(losses[0], float) and losses[-1] < losses[0], "train_epoch returns the epoch's mean loss, which should fall"
    assert validate_epoch(model, valid, accuracy) > max(before, 0.9)
    assert weights.grad is None, "train_epoch must leave the gradients zeroed after its last step"


def test_train_epoch_raises_on_non_finite_loss():
    x, y = toy()
    weights, bias = params()
    model = partial(linear, weights=weights, bias=bias)
    dl = DataLoader(TensorDataset(x, y), batch_size=16)
    before = weights.detach().clone()

    def exploding(preds, yb):
        return (preds - yb).pow(2).mean() * float("inf")

    with pytest.raises(FloatingPointError, match="smaller learning rate"):
        train_epoch(model, dl, BasicOptim([weights, bias], lr=0.1), exploding)
    assert torch.equal(weights.detach(), before), "train_epoch must stop before stepping with a non-finite loss"

    def nan_loss(preds, yb):
        return (preds * float("nan")).mean()

    with pytest.raises(FloatingPointError, match="nan"):
        train_epoch(model, dl, BasicOptim([weights, bias], lr=0.1), nan_loss)


def test_validate_epoch_weights_batches_by_size_and_rounds():
    # 5 examples in batches of 4 and 1: the first batch all right, the last one wrong.
    x = torch.ones(5, 1)
    y = torch.tensor([[1.0], [1.0], [1.0], [1.0], [0.0]])
    dl = DataLoader(TensorDataset(x, y), batch_size=4)
    acc = validate_epoch(lambda xb: xb, dl, accuracy)
    assert acc == 0.8, "validate_epoch must weight each batch by its size (4/5 right), not average the batch means (1/2)"
    dl3 = DataLoader(TensorDataset(torch.ones(3, 1), torch.tensor([[1.0], [0.0], [0.0]])), batch_size=3)
    assert validate_epoch(lambda xb: xb, dl3, accuracy) == 0.3333, "validate_epoch rounds to 4 places"


def test_validate_epoch_does_not_track_gradients():
    x, y = toy()
    weights, bias = params()
    model = partial(linear, weights=weights, bias=bias)
    validate_epoch(model, DataLoader(TensorDataset(x, y), batch_size=16), accuracy)
    assert weights.grad is None
