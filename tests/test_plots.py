"""Unit tests of nbhelpers.plots on the Agg backend (no display, no data)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from nbhelpers.plots import plot_curves, show_digit, show_digits, show_weights  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("shape", [(784,), (28, 28), (1, 784)])
def test_show_digit_draws_28x28_without_changing_values(shape):
    x = torch.rand(784)
    ax = show_digit(x.reshape(shape), title=6)
    img = ax.get_images()[0].get_array()
    assert img.shape == (28, 28)
    np.testing.assert_allclose(np.asarray(img), x.reshape(28, 28).numpy(), err_msg="show_digit must not scramble pixels")
    assert ax.get_title() == "6"


def test_show_digit_accepts_a_tensor_that_tracks_gradients():
    show_digit(torch.rand(784, requires_grad=True))


def test_show_digits_grid_shape_and_titles():
    xs = torch.rand(10, 784)
    axs = show_digits(xs, titles=[str(i) for i in range(10)], ncols=4)
    assert axs.shape == (3, 4), "10 digits in 4 columns need 3 rows"
    assert [ax.get_title() for ax in axs.flat[:10]] == [str(i) for i in range(10)]
    assert all(not ax.get_images() for ax in axs.flat[10:]), "spare cells of the grid stay empty"


def test_show_weights_centres_the_colour_scale_on_zero():
    w = torch.linspace(-3, 1, 784).reshape(784, 1)
    ax = show_weights(w)
    lo, hi = ax.get_images()[0].get_clim()
    assert lo == pytest.approx(-3) and hi == pytest.approx(3), "zero weight must be the middle colour"


def test_plot_curves_one_line_per_curve():
    ax = plot_curves({"lr 1": [3, 2, 1], "lr 10": torch.tensor([3.0, 1.0, 0.5])}, ylabel="loss")
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["lr 1", "lr 10"]
    np.testing.assert_allclose(lines[1].get_ydata(), [3.0, 1.0, 0.5])
    ax2 = plot_curves({"acc": [0.5, 0.6]}, x=[-1.0, 1.0])
    np.testing.assert_allclose(ax2.get_lines()[0].get_xdata(), [-1.0, 1.0])
