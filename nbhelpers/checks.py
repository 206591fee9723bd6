"""Checkers for the exercises: call one on your own answer to see whether it is right.

    from nbhelpers.checks import check_loss
    check_loss(my_loss)          # prints a short "passed" message, or raises AssertionError saying what is wrong

Each checker compares your function with PyTorch's own version (the oracle) on a few small,
fixed inputs, so it is quick and needs no data. Each is used by the exercise its docstring names;
`answered` is what the student edition's check cells call first (it skips a check while the
answer is still `...`).
"""

import dis
import math
import warnings

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


def check_sigmoid(fn):
    "Check `fn(x)` against torch.sigmoid: same shape and values, and a gradient with no nan, out to |x| = 1000 (exercise `stable_sigmoid` in 03_sigmoid_loss)."
    name = getattr(fn, "__name__", "your function")
    x = torch.tensor([[-1000.0, -100.0, -88.0, -30.0, -5.0, -1.0], [0.0, 0.5, 1.0, 2.0, 5.0, 30.0],
                      [-60.0, -20.0, 60.0, 88.0, 100.0, 1000.0]])  # float32: exp(x) overflows above 88.7
    leaf, oracle = x.clone().requires_grad_(), x.clone().requires_grad_()
    mine = leaf * 1  # not a leaf, so an in-place answer runs (and is caught below) instead of failing inside torch
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(mine)
    assert isinstance(out, torch.Tensor), f"{name} returned {type(out).__name__}; it should return a tensor"
    assert out.shape == x.shape, f"{name} changed the shape: {tuple(x.shape)} in, {tuple(out.shape)} out"
    assert torch.equal(mine.detach(), x), f"{name} changed its input x in place; compute a new tensor instead"
    overflow = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not overflow, f"{name} warned {overflow[0]!r}: it computes exp of a large number (use torch.exp, never math or numpy)"
    want = torch.sigmoid(oracle)
    bad = ~torch.isclose(out.detach().float(), want.detach(), rtol=1e-4, atol=1e-6)
    bad |= (x.abs() <= 80) & ~torch.isclose(out.detach().float(), want.detach(), rtol=1e-3, atol=0)  # tiny values too
    if bad.any():
        at = x[bad][0].item()
        got, ok = out[bad][0].item(), want[bad][0].item()
        raise AssertionError(f"{name}({at:g}) gave {got:.4g}, torch.sigmoid gives {ok:.4g}"
                       + (": it gives nan where exp overflows; compute exp only of numbers <= 0" if math.isnan(got) else
                          f"; {name}(0.0) should be 0.5000 and {name}(2.0) {torch.sigmoid(torch.tensor(2.0)).item():.4f}: "
                          "it should be 1 / (1 + exp(-x)) (and must not clamp x)"))
    assert out.requires_grad, (f"{name} returned a tensor PyTorch cannot differentiate (no .item(), numpy or "
                               "torch.tensor(...) inside): the loss needs its gradient")
    out.sum().backward()
    want.sum().backward()
    grad = leaf.grad if leaf.grad is not None else torch.zeros_like(x)
    off = ~torch.isclose(grad, oracle.grad, rtol=1e-3, atol=1e-6)  # nan is never close
    if off.any():
        at, got = x[off][0].item(), grad[off][0].item()
        raise AssertionError(f"the gradient of {name} at x = {at:g} is {got:.4g}, torch.sigmoid's is {oracle.grad[off][0].item():.4g}"
                       + (": exp of a large positive number overflowed to inf, and the chain rule made inf * 0 = nan "
                          "(also inside a torch.where branch that is not picked: autograd goes through both); "
                          "compute exp only of numbers <= 0" if math.isnan(got) or math.isinf(got) else
                          ": x.abs() has no slope at 0 and PyTorch uses 0 there; use torch.where(x >= 0, -x, x) "
                          "instead of -x.abs()" if at == 0 else ""))
    return _passed(name, "matches torch.sigmoid, keeps the shape, no nan")


# Predictions near 0 tell the threshold 0 from 0.1, 0.5, -0.1 or `>= 0`: each labelled as `preds > 0` says.
NEAR = torch.tensor([[-0.7], [-0.3], [-0.08], [-0.02], [0.0], [0.004], [0.03], [0.09], [0.2], [0.45], [0.6], [2.0]])


def check_accuracy(fn):
    "Check `fn(preds, y)`: the fraction of preds on the right side of 0, preds and y [n, 1] (exercise `fixed_accuracy` in 02_accuracy_as_loss)."
    name = getattr(fn, "__name__", "your function")
    want = ((PREDS > 0).float() == LABELS).float().mean().item()  # 6 of 8
    got = _scalar(fn(PREDS, LABELS), name)
    assert got <= 1 + 1e-6, (f"{name} gave {got:.4f} on 8 examples: an accuracy is a fraction between 0 and 1 "
                             "(a count of right answers divided by how many there are: .mean(), not .sum())")
    right = (NEAR > 0).float()
    results = [_scalar(fn(p, y), name) for p, y in ((PREDS, LABELS), (NEAR, right), (NEAR, 1 - right), (PREDS, 1 - LABELS))]
    assert len({round(r, 6) for r in results}) > 1, (
        f"{name} gave {got:.4f} whatever preds and labels it is given: does it read a variable from outside (such as "
        "preds, train_y or valid_y) instead of its own two arguments?")
    wrong = [(i, r, w) for i, (r, w) in enumerate(zip(results, (want, 1.0, 0.0, 1 - want))) if abs(r - w) > 1e-6]
    if wrong:
        i, r, w = wrong[0]
        what = ("on 8 examples" if i in (0, 3) else "on 12 predictions near 0, " + ("all right" if i == 1 else "all wrong"))
        raise AssertionError(f"{name} gave {r:.4f} {what}, where {w:.4f} is right: a prediction above 0 means label 1, at "
                       "or below 0 means label 0 (compare preds with 0, not 0.5 or any other number: preds > 0)")
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


def _step_example(lr, seed):
    "Parameters with gradients from a small loss, and what one SGD step with `lr` makes of them."
    gen = torch.Generator().manual_seed(seed)
    x, w, b = torch.randn(8, 4, generator=gen), torch.randn(4, 1, generator=gen), torch.randn(1, generator=gen)
    params = [w.requires_grad_(), b.requires_grad_()]
    torch.where(LABELS == 1, 1 - torch.sigmoid(x @ w + b), torch.sigmoid(x @ w + b)).mean().backward()
    return params, [(p - lr * p.grad).detach() for p in params]


def check_step(fn, lr=0.1):
    "Check `fn(params, lr)`: one SGD step in place (p -= lr * p.grad) that zeroes the gradients, for several lr (exercise `sgd_step` in 04_gradient_steps)."
    name = getattr(fn, "__name__", "your function")
    for seed, step in enumerate(dict.fromkeys([lr, 0.37, 3.0])):  # a step that ignores lr fails one of these
        params, want = _step_example(step, seed)
        ids, before = [id(p) for p in params], [p.detach().clone() for p in params]
        try:
            fn(params, step)
        except RuntimeError as e:
            if "in-place" not in str(e):
                raise
            raise AssertionError(f"{name} raised {e}: do the update inside `with torch.no_grad():`") from None
        assert [id(p) for p in params] == ids, f"{name} replaced the parameters; update them in place (p -= ...)"
        for which, p, o, b in zip(("weights", "bias"), params, want, before):
            if torch.equal(p.detach(), b):
                raise AssertionError(f"after {name}(params, lr={step}), the {which} have not moved: `p = p - ...` makes a new "
                               "tensor and leaves the parameter as it was; update it in place, p -= lr * p.grad")
            if not torch.allclose(p.detach(), o, atol=1e-6):
                moved = ((b - p.detach()) / (b - o)).flatten()
                ratio = moved[torch.isfinite(moved)].median().item() * step if moved.numel() else float("nan")
                hint = (f" (it moved as if lr were {ratio:.3g}: use the lr it is given, not a number of your own)"
                        if abs(ratio - step) > 1e-3 and ratio > 0 else "")
                raise AssertionError(f"after {name}(params, lr={step}), the {which} are off: each parameter should move by "
                               f"-lr * its gradient (largest difference {(p.detach() - o).abs().max().item():.4g}){hint}")
            assert p.grad is None or not p.grad.abs().any(), f"{name} did not zero the gradient of the {which}"
            assert p.requires_grad, f"after {name} the {which} no longer track gradients (update inside torch.no_grad())"
    return _passed(name, "one SGD step like torch.optim.SGD, gradients zeroed")
