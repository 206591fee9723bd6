"""The helpers compute where their inputs live, never on an assumed CPU.

fastai's Learner moves its model to the GPU when there is one, so a notebook may hand the
helpers GPU tensors.  What a CPU-only machine can show:
* on the `meta` device (shapes and devices, no data) the tensor helpers return results on the
  device they were given: any CPU tensor they made on the way would fail to mix with it;
* no helper creates a tensor without naming a device (torch.arange(n) where it needed
  torch.arange(n, device=y.device)): a TorchFunctionMode watches every tensor factory;
* the plotting helpers copy what they draw to the CPU (`.cpu()`) before handing it to matplotlib.
On a machine with CUDA the device tests run on `cuda` too (tools/gpu_check.sh runs this file).
"""

import matplotlib
import pytest
import torch
from torch.overrides import TorchFunctionMode

matplotlib.use("agg")

from helpers import notebook_functions  # noqa: E402
from nbhelpers.baseline import pixel_similarity  # noqa: E402
from nbhelpers.model import accuracy, linear, mnist_loss  # noqa: E402
from nbhelpers.plots import show_digit, show_digits, show_weights  # noqa: E402
from nbhelpers.train import BasicOptim, calc_grad, train_epoch, validate_epoch  # noqa: E402

(sigmoid,) = notebook_functions("03_sigmoid_loss", "sigmoid")
softmax, log_softmax, cross_entropy, multiclass_accuracy, confusion_matrix = notebook_functions(
    "08_all_ten_digits", "softmax", "log_softmax", "cross_entropy", "multiclass_accuracy", "confusion_matrix")

DEVICES = ["meta"] + (["cuda"] if torch.cuda.is_available() else [])
FACTORIES = {torch.tensor, torch.as_tensor, torch.zeros, torch.ones, torch.empty, torch.full, torch.arange,
             torch.linspace, torch.eye, torch.rand, torch.randn, torch.randint}


class ImplicitDevice(TorchFunctionMode):
    "Records every tensor factory called without `device=`."

    def __init__(self):
        super().__init__()
        self.calls = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in FACTORIES and kwargs.get("device") is None:
            self.calls.append(func.__name__)
        return func(*args, **kwargs)


def _pair(device, n=12):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, 784, generator=g)
    y = (torch.arange(n) % 2).float().unsqueeze(1)
    return x.to(device), y.to(device)


@pytest.mark.parametrize("device", DEVICES)
def test_model_helpers_stay_on_their_inputs_device(device):
    x, y = _pair(device)
    weights, bias = torch.randn(784, 1, device=device), torch.randn(1, device=device)
    preds = linear(x, weights, bias)
    for name, out in [("linear", preds), ("accuracy", accuracy(preds, y)), ("sigmoid", sigmoid(preds)),
                      ("mnist_loss", mnist_loss(preds, y))]:
        assert out.device.type == device, f"{name} returned a tensor on {out.device}, given {device} tensors"


@pytest.mark.parametrize("device", DEVICES)
def test_multiclass_helpers_stay_on_their_inputs_device(device):
    preds = torch.randn(12, 10, device=device)
    y = torch.arange(12, device=device) % 10
    outs = [("softmax", softmax(preds)), ("log_softmax", log_softmax(preds)),
            ("cross_entropy", cross_entropy(preds, y)), ("multiclass_accuracy", multiclass_accuracy(preds, y))]
    if device != "meta":  # bincount has no meta kernel: its output size depends on the data
        outs.append(("confusion_matrix", confusion_matrix(preds, y)))
    for name, out in outs:
        assert out.device.type == device, f"{name} returned a tensor on {out.device}, given {device} tensors"


def test_no_helper_makes_a_tensor_on_an_assumed_device():
    x, y = _pair("cpu")
    weights = torch.zeros(784, 1).requires_grad_()
    bias = torch.zeros(1).requires_grad_()
    model = lambda xb: linear(xb, weights, bias)  # noqa: E731
    dl = [(x[:6], y[:6]), (x[6:], y[6:])]
    preds10, y10 = torch.randn(12, 10), torch.arange(12) % 10
    with ImplicitDevice() as mode:
        pixel_similarity(x, y, x, y)
        accuracy(model(x), y)
        mnist_loss(model(x), y)
        calc_grad(x, y, model, mnist_loss)
        opt = BasicOptim([weights, bias], lr=0.1)
        train_epoch(model, dl, opt, mnist_loss)
        validate_epoch(model, dl, accuracy)
        cross_entropy(preds10, y10)
        multiclass_accuracy(preds10, y10)
        confusion_matrix(preds10, y10)
    assert not mode.calls, (f"a helper created tensors without naming a device ({', '.join(mode.calls)}): "
                            "pass device=<an input>.device, or it breaks on a GPU")


@pytest.mark.parametrize("device", ["cuda"] if torch.cuda.is_available() else [])
def test_training_pieces_run_on_the_gpu(device):
    x, y = _pair(device)
    model = torch.nn.Linear(784, 1).to(device)
    opt = BasicOptim(model.parameters(), lr=0.5)
    dl = [(x[:6], y[:6]), (x[6:], y[6:])]
    assert isinstance(train_epoch(model, dl, opt, mnist_loss), float)
    assert 0 <= validate_epoch(model, dl, accuracy) <= 1
    assert 0 <= pixel_similarity(x, y, x, y) <= 1


def test_plots_copy_to_the_cpu_before_drawing(monkeypatch):
    "What a Learner's model returns may live on a GPU and track gradients: the plots detach it and copy it to the CPU."
    import matplotlib.pyplot as plt

    copied = []
    real_cpu = torch.Tensor.cpu
    monkeypatch.setattr(torch.Tensor, "cpu", lambda self, *a, **k: copied.append(tuple(self.shape)) or real_cpu(self, *a, **k))
    weights = torch.randn(784, 1, requires_grad=True)  # like a parameter: drawing it must not need .detach() first
    show_digit(torch.rand(784))
    show_digits(torch.rand(3, 784))
    show_weights(weights)
    plt.close("all")
    assert len(copied) >= 1 + 3 + 1, f"the plots copied only {copied} to the CPU"
