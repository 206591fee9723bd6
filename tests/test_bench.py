"""`make bench` runs end to end: `python -m benchmarks.run --quick` on a tiny MNIST (a smoke run, not timed)."""

import json

from benchmarks import run
from helpers import write_png


def test_quick_bench_measures_every_part(tiny_mnist, tmp_path, monkeypatch):
    for digit in (2, 6):  # notebook 01 shows the 8th training image of each digit: 3 are not enough
        for i in range(3, 8):
            write_png(tiny_mnist / "training" / str(digit) / f"{i}.png", seed=1000 + 10 * digit + i)
    monkeypatch.setenv("MNIST_PNG", str(tiny_mnist))
    assert run.main(["--quick", "--out", str(tmp_path / "bench")]) == 0
    res = json.loads((tmp_path / "bench" / "bench.json").read_text())
    assert set(res["ratios"]) >= set(run.TARGETS), f"every target needs its ratio, got {res['ratios']}"
    assert res["vectorize"]["same_tensors"], "the original way and load_pair (cold, warm) must give the same tensors"
    assert res["vectorize"]["images"] == 20, "8 training and 2 validation images of each digit"
    accs = res["training"]["valid_acc"]
    assert accs["plain"] == accs["scratch"] == accs["fastai"], f"the torch loops share start and batches, got {accs}"
    series = res["series"]
    assert series["notebooks"] == ["01_data_vectorizing.ipynb"] and not series["errors"], series
    assert series["total_seconds"] > series["floor_total_seconds"] > 0, series
    assert res["verdicts"] == {}, "a smoke run judges no target"
    table = (tmp_path / "bench" / "bench.md").read_text()
    assert "| floor: 1 notebooks whose only cell is `import torch` |" in table and ": met" not in table and "missed" not in table, table


def test_a_failing_notebook_misses_the_series_target():
    res = {"quick": False, "ratios": {"series_vs_floor": 1.0, "scratch_vs_plain": 1.0}, "series": {"errors": ["01: boom"]}}
    assert run.verdicts(res) == {"series_vs_floor": False, "scratch_vs_plain": True}
