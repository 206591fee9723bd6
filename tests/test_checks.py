"""The exercises' checkers cannot be fooled: each is run on plausible wrong answers, which must fail with a
message that tells a student what to change, and on right answers, which must pass.

A wrong answer here is one a student could write (the naive formula the exercise replaces, a hard-coded learning
rate, another threshold, a count instead of a fraction, a variable read from outside the function).  Each entry
names a phrase the failure message must contain.  `CHECKS_MODULE=/path/to/checks.py pytest tests/test_checks.py`
runs the same tests against another copy of the checkers (e.g. `git show HEAD~1:nbhelpers/checks.py`).
"""

import importlib.util
import os

import pytest
import torch

from helpers import notebook_functions
from nbhelpers import model

if os.environ.get("CHECKS_MODULE"):
    _spec = importlib.util.spec_from_file_location("checks_under_test", os.environ["CHECKS_MODULE"])
    checks = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(checks)
else:
    from nbhelpers import checks

(stable_sigmoid,) = notebook_functions("03_sigmoid_loss", "stable_sigmoid")
(naive_sigmoid,) = notebook_functions("03_sigmoid_loss", "sigmoid")  # the one the exercise fixes


# ------------------------------------------------------------------ sigmoid (03)

def where_both_naive(x):  # the value is right everywhere, but autograd goes through the branch not picked
    return torch.where(x >= 0, 1 / (1 + torch.exp(-x)), torch.exp(x) / (1 + torch.exp(x)))


def exp_of_abs(x):  # exp(-|x|) with the wrong formula for negative x
    return 1 / (1 + torch.exp(-x.abs()))


def clamped(x):  # avoids the overflow by changing the question
    return 1 / (1 + torch.exp(-x.clamp(-20, 20)))


def sign_flipped(x):
    return 1 / (1 + torch.exp(x))


def in_place(x):
    return x.neg_().exp_().add_(1).reciprocal_()


def as_numbers(x):
    return torch.tensor([[1 / (1 + torch.exp(-v).item()) for v in row] for row in x.detach()])


def numpy_exp(x):
    import numpy as np

    return torch.as_tensor(1 / (1 + np.exp(-x.detach().numpy())))


def stable_exp_abs(x):  # the exp(-|x|) trick: right values, but abs() has gradient 0 at x = 0
    e = torch.exp(-x.abs())
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))


WRONG_SIGMOIDS = [
    (naive_sigmoid, "is nan"), (where_both_naive, "torch.where"), (exp_of_abs, "1 / (1 + exp(-x))"),
    (clamped, "must not clamp"), (sign_flipped, "1 / (1 + exp(-x))"), (in_place, "in place"),
    (as_numbers, "cannot differentiate"), (numpy_exp, "warned"), (stable_exp_abs, "at x = 0"),
]


# ------------------------------------------------------------------ accuracy (02)

def threshold(t, op=">"):
    def acc(preds, y):
        return (((preds > t) if op == ">" else (preds >= t)).float() == y).float().mean()
    acc.__name__ = f"accuracy_{op}{t}"
    return acc


GLOBAL_PREDS, GLOBAL_Y = torch.tensor([[0.5], [-1.0], [2.0]]), torch.tensor([[1.0], [1.0], [1.0]])


def reads_globals(pred, targets):
    return ((GLOBAL_PREDS > 0).float() == GLOBAL_Y).float().mean()


def counts(preds, y):
    return ((preds > 0).float() == y).float().sum()


def inverted(preds, y):
    return ((preds < 0).float() == y).float().mean()


def sigmoid_half(preds, y):  # right: sigmoid(x) > 0.5 exactly where x > 0
    return ((torch.sigmoid(preds) > 0.5).float() == y).float().mean()


WRONG_ACCURACIES = [
    (threshold(0.5), "compare preds with 0"), (threshold(0.1), "compare preds with 0"),
    (threshold(0.01), "compare preds with 0"), (threshold(-0.05), "compare preds with 0"),
    (threshold(0.0, ">="), "at or below 0 means label 0"), (inverted, "compare preds with 0"),
    (counts, ".mean(), not .sum()"), (reads_globals, "read a variable from outside"),
]


# ------------------------------------------------------------------ SGD step (04)

def step(update=lambda p, lr: lr * p.grad, zero=True, no_grad=True, name="sgd_step"):
    def fn(params, lr):
        with torch.no_grad() if no_grad else torch.enable_grad():
            for p in params:
                p -= update(p, lr)
                if zero:
                    p.grad.zero_()
    fn.__name__ = name
    return fn


def rebinds(params, lr):
    with torch.no_grad():
        params = [p - lr * p.grad for p in params]  # a new list of new tensors; the caller's are unchanged


def replaces(params, lr):
    for k, p in enumerate(params):
        params[k] = (p - lr * p.grad).detach().requires_grad_()


def zero_first(params, lr):
    with torch.no_grad():
        for p in params:
            p.grad.zero_()
            p -= lr * p.grad


def only_weights(params, lr):
    with torch.no_grad():
        params[0] -= lr * params[0].grad
        for p in params:
            p.grad.zero_()


def right_step(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None


def with_torch_sgd(params, lr):
    opt = torch.optim.SGD(params, lr=lr)
    opt.step()
    opt.zero_grad()


WRONG_STEPS = [
    (step(lambda p, lr: 0.1 * p.grad, name="lr_hard_coded"), "use the lr it is given"),
    (step(lambda p, lr: lr ** 2 * p.grad, name="lr_squared"), "use the lr"),
    (step(lambda p, lr: -lr * p.grad, name="wrong_sign"), "-lr * its gradient"),
    (step(zero=False, name="keeps_grad"), "zero the gradient"), (step(no_grad=False, name="no_no_grad"), "torch.no_grad()"), (rebinds, "have not moved"), (replaces, "in place"),
    (zero_first, "have not moved"), (only_weights, "bias have not moved"),
]


# ------------------------------------------------------------------ loss (03)

def loss_swapped(preds, y):
    p = torch.sigmoid(preds)
    return torch.where(y == 1, p, 1 - p).mean()


def loss_summed(preds, y):
    p = torch.sigmoid(preds)
    return torch.where(y == 1, 1 - p, p).sum()


def loss_no_sigmoid(preds, y):
    return torch.where(y == 1, 1 - preds, preds).mean()


def loss_as_number(preds, y):
    return model.mnist_loss(preds, y).item()


def loss_not_averaged(preds, y):
    p = torch.sigmoid(preds)
    return y * (1 - p) + (1 - y) * p


WRONG_LOSSES = [
    (loss_swapped, "1 - p for the images labelled 1"), (loss_summed, "average"), (loss_no_sigmoid, "sigmoid"),
    (loss_as_number, "differentiate"), (loss_not_averaged, "one number"),
]

WRONG = ([(checks.check_sigmoid, f, s) for f, s in WRONG_SIGMOIDS] + [(checks.check_accuracy, f, s) for f, s in WRONG_ACCURACIES]
         + [(checks.check_step, f, s) for f, s in WRONG_STEPS] + [(checks.check_loss, f, s) for f, s in WRONG_LOSSES])


@pytest.mark.parametrize("checker,fn,says", WRONG, ids=[f"{c.__name__}-{f.__name__}" for c, f, _ in WRONG])
def test_checkers_reject_plausible_wrong_answers(checker, fn, says, capsys):
    with pytest.raises(AssertionError) as e:
        checker(fn)
    assert says in str(e.value), f"{checker.__name__}({fn.__name__}) failed, but its message should say {says!r}: {e.value}"
    assert "✓" not in capsys.readouterr().out, "a failing check must not print a pass"


RIGHT = [(checks.check_sigmoid, torch.sigmoid), (checks.check_sigmoid, stable_sigmoid),
         (checks.check_sigmoid, torch.nn.functional.sigmoid), (checks.check_accuracy, model.accuracy),
         (checks.check_accuracy, sigmoid_half), (checks.check_step, step()), (checks.check_step, right_step),
         (checks.check_step, with_torch_sgd), (checks.check_loss, model.mnist_loss)]


@pytest.mark.parametrize("checker,fn", RIGHT, ids=[f"{c.__name__}-{getattr(f, '__name__', 'fn')}" for c, f in RIGHT])
def test_checkers_accept_right_answers(checker, fn, capsys):
    checker(fn)  # a right answer passes: no AssertionError
    assert capsys.readouterr().out.startswith("✓ ")


def test_success_messages_are_unchanged(capsys):
    "The notebooks' stored outputs print these lines (02, 03, 04)."
    checks.check_sigmoid(stable_sigmoid)
    checks.check_accuracy(model.accuracy)
    checks.check_step(right_step)
    assert capsys.readouterr().out.splitlines() == [
        "✓ stable_sigmoid: matches torch.sigmoid, keeps the shape, no nan",
        "✓ accuracy: 0.7500 on the examples, 1.0 when all are right",
        "✓ right_step: one SGD step like torch.optim.SGD, gradients zeroed"]
