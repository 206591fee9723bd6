"""`make bench` runs end to end: `python -m benchmarks.run --quick` on a tiny MNIST (a smoke run, not timed)."""

import json

from benchmarks import run


def test_quick_bench_writes_every_part(tiny_mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_PNG", str(tiny_mnist))
    assert run.main(["--quick", "--out", str(tmp_path / "bench")]) == 0
    res = json.loads((tmp_path / "bench" / "bench.json").read_text())
    assert set(res["ratios"]) >= {"cold_vs_original", "scratch_vs_plain", "series_vs_floor"}, res["ratios"]
    assert res["vectorize"]["same_tensors"], "every way of vectorizing must give the same tensors"
    assert list(res["series"]["notebooks"]) == ["01_data_vectorizing.ipynb"] and res["series"]["floor_total_seconds"] > 0
    table = (tmp_path / "bench" / "bench.md").read_text()
    assert "Floor: 1 notebooks whose only cell is `import torch`" in table and "series_vs_floor" not in table
