"""Checkers for the exercises: call one on your own answer to see whether it is right.

    from nbhelpers.checks import check_loss
    check_loss(my_loss)          # prints a short "passed" message, or raises AssertionError saying what is wrong

Each checker compares your function with PyTorch's own version (the oracle) on a few small,
fixed inputs, so it is quick and needs no data. Each is used by the exercise its docstring names;
`answered` is what the student edition's check cells call first (it skips a check while the
answer is still `...`).
"""

import dis

import torch

__all__ = ["answered", "check_sigmoid", "check_accuracy", "check_loss", "check_step"]

PREDS = torch.tensor([[-3.0], [-0.5], [0.0], [0.2], [1.5], [4.0], [-1.2], [0.7]])  # fixed examples, [n, 1]
LABELS = torch.tensor([[0.0], [1.0], [0.0], [1.0], [1.0], [0.0], [0.0], [1.0]])


def _stub():
    ...  # what a function left as given in the student edition compiles to


def answered(*answers):
    "True when every answer is filled in; else print a reminder and return False (the student edition's check cells)."
    def steps(f):
        return [(i.opname, i.argval) for i in dis.get_instructions(f)]

    if any(a is Ellipsis or (hasattr(a, "__code__") and steps(a) == steps(_stub)) for a in answers):
        print("Your turn: answer the exercise above (replace the `...` in its cell and run it), then run this "
              "cell again.")
        return False
    return True


def _scalar(value, name):
    "A Python float from a 0-dim tensor or a number; fails clearly on anything else."
    if isinstance(value, torch.Tensor):
        assert value.numel() == 1, (f"{name} returned a tensor of shape {tuple(value.shape)}; it should return one "
                                    "number (a 0-dim tensor): did you forget .mean(), or did [n] and [n, 1] broadcast?")
        return value.item()
    assert isinstance(value, (int, float)), f"{name} returned {type(value).__name__}; it should return a number"
    return float(value)


def _passed(name, what):
    print(f"✓ {name}: {what}")
    return True


def check_sigmoid(fn):
    "Check `fn(x)` against torch.sigmoid: same shape, same values, no nan for large |x| (exercise `stable_sigmoid` in 03_sigmoid_loss)."
    name = getattr(fn, "__name__", "your function")
    x = torch.tensor([[-30.0, -5.0, -1.0], [0.0, 0.5, 1.0], [2.0, 5.0, 30.0]])
    out = fn(x.clone())
    assert isinstance(out, torch.Tensor), f"{name} returned {type(out).__name__}; it should return a tensor"
    assert out.shape == x.shape, f"{name} changed the shape: {tuple(x.shape)} in, {tuple(out.shape)} out"
    assert torch.allclose(out.float(), torch.sigmoid(x), atol=1e-6), (
        f"{name}(0.0) gave {out[1, 0].item():.4f} (should be 0.5000) and {name}(2.0) gave {out[2, 0].item():.4f} "
        f"(should be {torch.sigmoid(torch.tensor(2.0)).item():.4f}): it should be 1 / (1 + exp(-x))")
    assert not torch.isnan(out).any(), f"{name} gives nan for large inputs"
    return _passed(name, "matches torch.sigmoid, keeps the shape, no nan")


def check_accuracy(fn):
    "Check `fn(preds, y)`: the fraction of preds on the right side of 0, preds and y [n, 1] (exercise `fixed_accuracy` in 02_accuracy_as_loss)."
    name = getattr(fn, "__name__", "your function")
    want = ((PREDS > 0).float() == LABELS).float().mean().item()  # 6 of 8
    got = _scalar(fn(PREDS, LABELS), name)
    assert abs(got - want) < 1e-6, (f"{name} gave {got:.4f} on 8 examples where {want:.4f} is right: a prediction "
                                    "above 0 means label 1, at or below 0 means label 0 (compare preds with 0, not 0.5)")
    assert abs(_scalar(fn(PREDS, (PREDS > 0).float()), name) - 1.0) < 1e-6, f"{name} is not 1.0 when every answer is right"
    return _passed(name, f"{want:.4f} on the examples, 1.0 when all are right")


def check_loss(fn):
    "Check `fn(preds, y)` against mnist_loss: value, gradient and shape handling (exercise `mnist_loss_arith` in 03_sigmoid_loss)."
    name = getattr(fn, "__name__", "your function")
    mine, oracle = PREDS.clone().requires_grad_(), PREDS.clone().requires_grad_()
    out, want = fn(mine, LABELS), torch.where(LABELS == 1, 1 - torch.sigmoid(oracle), torch.sigmoid(oracle)).mean()
    got = _scalar(out, name)
    assert abs(got - want.item()) < 1e-5, (
        f"{name} gave {got:.4f} on 8 examples where {want.item():.4f} is right: take p = sigmoid(preds), "
        "then 1 - p for the images labelled 1 and p for those labelled 0, and average")
    assert isinstance(out, torch.Tensor) and out.requires_grad, (
        f"{name} must return a tensor that PyTorch can differentiate (no .item(), no numpy inside)")
    out.backward()
    want.backward()
    assert torch.allclose(mine.grad, oracle.grad, atol=1e-6), f"{name} has the right value but the wrong gradient"
    # [n] predictions with [n, 1] labels broadcast to an n x n table: a silent wrong answer.
    try:
        v = fn(PREDS[:, 0], LABELS)
    except (ValueError, RuntimeError, AssertionError):
        note = ", refuses [n] preds with [n, 1] labels (good)"
    else:
        same = isinstance(v, torch.Tensor) and v.numel() == 1 and abs(v.item() - want.item()) < 1e-5
        note = "" if same else (" (note: with [n] preds and [n, 1] labels it quietly returns a different number, "
                                "because the two broadcast to an n x n table; nbhelpers.model.mnist_loss refuses that)")
    return _passed(name, f"{want.item():.4f} on the examples, right gradient{note}")


def check_step(fn, lr=0.1):
    "Check `fn(params, lr)`: one SGD step in place (p -= lr * p.grad) that zeroes the gradients (exercise `sgd_step` in 04_gradient_steps)."
    name = getattr(fn, "__name__", "your function")
    gen = torch.Generator().manual_seed(0)
    x, w, b = torch.randn(8, 4, generator=gen), torch.randn(4, 1, generator=gen), torch.randn(1, generator=gen)
    params = [w.requires_grad_(), b.requires_grad_()]
    torch.where(LABELS == 1, 1 - torch.sigmoid(x @ w + b), torch.sigmoid(x @ w + b)).mean().backward()
    want, ids = [(p - lr * p.grad).detach() for p in params], [id(p) for p in params]
    fn(params, lr)
    assert [id(p) for p in params] == ids, f"{name} replaced the parameters; update them in place (p -= ...)"
    for which, p, o in zip(("weights", "bias"), params, want):
        assert torch.allclose(p.detach(), o, atol=1e-6), (
            f"after {name}, the {which} are off: each parameter should move by -lr * its gradient "
            f"(largest difference {(p.detach() - o).abs().max().item():.4g})")
        assert p.grad is None or not p.grad.abs().any(), f"{name} did not zero the gradient of the {which}"
        assert p.requires_grad, f"after {name} the {which} no longer track gradients (update inside torch.no_grad())"
    return _passed(name, "one SGD step like torch.optim.SGD, gradients zeroed")
