"""`make run` (tools/run_series.py): builds into build/, never rewrites notebooks/, recovers
from an interrupted run, and runs the series for another pair of digits."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import run_series  # noqa: E402


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.ipynb"))}


def _notebook(path, *cells, tags=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A tiny notebook")]
    for i, src in enumerate(cells):
        cell = nbformat.v4.new_code_cell(src)
        if tags and tags.get(i):
            cell.metadata["tags"] = tags[i]
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("text,pair", [("2,6", (2, 6)), (" 3 , 8 ", (3, 8))])
def test_parse_pair(text, pair):
    assert run_series.parse_pair(text) == pair


@pytest.mark.parametrize("text", ["2", "2,2", "2;6", "10,3", "a,b", ""])
def test_parse_pair_rejects(text):
    with pytest.raises(SystemExit, match="PAIR="):
        run_series.parse_pair(text)


def test_run_writes_build_and_leaves_sources_alone(tiny_mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_PNG", str(tiny_mnist))
    src = tmp_path / "src"
    src.mkdir()
    nb = _notebook(src / "01_tiny.ipynb", "a, b = 2, 6", "print(f'a={a} b={b}')", "print('accuracy 0.5')",
                   tags={0: ["parameters"], 2: ["headline"]})
    before = _digest(src)
    build = tmp_path / "build"
    (build / "notebooks").mkdir(parents=True)
    (build / "notebooks" / ".01_tiny.ipynb.123.tmp").write_text("half-written by an interrupted run")
    assert run_series.main(["--pair", "3,8", "--notebooks", str(nb), "--build", str(build)]) == 0
    assert _digest(src) == before, "make run must never rewrite the source notebooks"
    assert not list(build.rglob(".*.tmp")), "leftovers of an interrupted run must be cleared"
    out = nbformat.read(build / "notebooks" / "01_tiny.ipynb", as_version=4)
    assert "a=3 b=8" in out.cells[3].outputs[0]["text"]
    summary = json.loads((build / "summary.json").read_text())
    assert summary["pair"] == [3, 8] and summary["notebooks"][0]["headline"] == "accuracy 0.5"
    assert (build / "html" / "index.html").read_text().count("01_tiny") >= 1


def test_a_failing_notebook_is_reported(tiny_mnist, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MNIST_PNG", str(tiny_mnist))
    nb = _notebook(tmp_path / "02_broken.ipynb", "1 / 0")
    assert run_series.main(["--notebooks", str(nb), "--build", str(tmp_path / "b"), "--no-html"]) == 1
    assert "02_broken.ipynb: FAILED" in capsys.readouterr().out
    assert json.loads((tmp_path / "b" / "summary.json").read_text())["failed"].startswith("02_broken")


@pytest.mark.slow
def test_series_for_another_pair_on_the_offline_sample(tmp_path):
    "The whole series for 3 vs 8, on the offline sample, with no network: every assertion cell passes."
    env = {**os.environ, "HOME": str(tmp_path / "home"), "FASTAI_HOME": str(tmp_path / "home" / ".fastai"),
           "NBHELPERS_CACHE": str(tmp_path / "cache"), "NBHELPERS_OFFLINE": "1"}
    env.pop("MNIST_PNG", None)
    (tmp_path / "home").mkdir()
    before = _digest(ROOT / "notebooks")
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "run_series.py"), "--pair", "3,8",
                           "--build", str(tmp_path / "build"), "--no-html"],
                          env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    first = proc.stdout.splitlines()[0]
    assert first.startswith("MNIST: offline sample"), first
    summary = json.loads((tmp_path / "build" / "summary.json").read_text())
    assert summary["pair"] == [3, 8] and summary["kind"] == "sample" and len(summary["notebooks"]) >= 7
    assert _digest(ROOT / "notebooks") == before
