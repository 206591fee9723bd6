"""`make run` (tools/run_series.py) and `make pairs` (tools/pairs.py): build into build/, never rewrite notebooks/,
recover from an interrupted run, report a failing notebook so a reader can act, run another pair of digits."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import pairs, run_series, runner

ROOT = Path(__file__).resolve().parent.parent


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.ipynb"))}


def _notebook(path, *cells, tags=None):
    "A notebook with a heading and these code cells; tags={index: [tag, ...]}."
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A tiny notebook")])
    for i, src in enumerate(cells):
        nb.cells.append(nbformat.v4.new_code_cell(src, metadata={"tags": (tags or {}).get(i, [])}))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_a_pair_must_be_two_different_digits(capsys):
    assert run_series.parse_pair(" 3 , 8 ") == (3, 8)
    for text in ["2", "2,2", "2;6", "10,3", "a,b", ""]:
        with pytest.raises(SystemExit):
            run_series.main(["--pair", text])
        assert f"{text!r} is not two different digits 0-9" in capsys.readouterr().err


def test_run_writes_build_and_book_and_leaves_sources_alone(tiny_mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_PNG", str(tiny_mnist))
    src = tmp_path / "src"
    src.mkdir()
    nb = _notebook(src / "01_tiny.ipynb", "a, b = 2, 6", "print(f'a={a} b={b}')",
                   "from nbhelpers.setup import record\nrecord(f'accuracy 0.5 for {a} vs {b}', linear=0.5, images=12)",
                   tags={0: ["parameters"], 2: ["headline"]})
    before = _digest(src)
    build = tmp_path / "build"
    (build / "notebooks").mkdir(parents=True)
    (build / "notebooks" / ".01_tiny.ipynb.123.tmp").write_text("half-written by an interrupted run")
    (build / "notebooks" / "01_tiny.failed.ipynb").write_text("{}")  # an earlier run's failure, since fixed
    assert run_series.main(["--pair", "3,8", "--notebooks", str(nb), "--build", str(build)]) == 0
    assert _digest(src) == before, "make run must never rewrite the source notebooks"
    assert not list(build.rglob(".*.tmp")), "leftovers of an interrupted run must be cleared"
    assert not (build / "notebooks" / "01_tiny.failed.ipynb").exists(), "a fixed notebook keeps no failed copy"
    out = nbformat.read(build / "notebooks" / "01_tiny.ipynb", as_version=4)
    assert "a=3 b=8" in out.cells[3].outputs[0]["text"]
    summary = json.loads((build / "summary.json").read_text())
    assert summary["pair"] == [3, 8] and summary["notebooks"][0]["headline"] == "accuracy 0.5 for 3 vs 8"
    assert summary["notebooks"][0]["results"] == {"linear": 0.5, "images": 12}, "the headline's numbers, as data"
    book = build / "html"
    index = (book / "index.html").read_text()
    assert 'href="01_tiny.html"' in index and "accuracy 0.5 for 3 vs 8" in index and (book / "01_tiny.html").exists()
    # The book carries the teacher's guide and the cheat sheet, linked to each other and to the project on GitHub.
    assert 'href="teaching.html"' in index and 'href="cheatsheet.html"' in index
    guide = (book / "teaching.html").read_text(encoding="utf-8")
    assert "<h3>01 answers</h3>" in guide and 'href="cheatsheet.html"' in guide
    assert 'href="../' not in guide and 'href="https://github.com/' in guide, "links into the project go to GitHub"
    assert "<table>" in (book / "cheatsheet.html").read_text(encoding="utf-8")


def test_a_failing_notebook_is_reported_so_a_reader_can_act(tiny_mnist, tmp_path, monkeypatch, capsys):
    "Which notebook, the failing cell's first line, the error in plain text, the partial run kept; the rest runs."
    monkeypatch.setenv("MNIST_PNG", str(tiny_mnist))
    src = tmp_path / "src"
    src.mkdir()
    broken = _notebook(src / "05_broken.ipynb", "a, b = 2, 6", "acc, target = 0.9201, 0.94",
                       "# the linear model must reach its target\n"
                       "assert acc >= target, f'linear model {acc:.4f} < {target:.4f} for {a} vs {b}'",
                       "print('not reached')", tags={0: ["parameters"]})
    bare = _notebook(src / "06_bare.ipynb", "a, b = 2, 6", "x = 1 / 0", tags={0: ["parameters"]})
    fine = _notebook(src / "07_fine.ipynb", "a, b = 2, 6", "print(f'{a} vs {b}')",
                     tags={0: ["parameters"], 1: ["headline"]})
    build = tmp_path / "b"
    (build / "notebooks").mkdir(parents=True)
    (build / "notebooks" / "05_broken.ipynb").write_text("{}")  # a complete copy from an older run
    args = ["--pair", "3,5", "--notebooks", str(broken), str(bare), str(fine), "--build", str(build), "--no-html"]
    assert run_series.main(args) == 1
    out = capsys.readouterr().out
    assert "\x1b[" not in out, "no terminal colour codes in the report"
    for expected in ["05_broken", "FAILED", "# the linear model must reach its target",
                     "AssertionError: linear model 0.9201 < 0.9400 for 3 vs 5",
                     "line 2: assert acc >= target", "cell 3 In [4]", "06_bare", "ZeroDivisionError: division by zero",
                     "05_broken.failed.ipynb", "FAILED: 2 of 3 notebooks"]:
        assert expected in out, f"{expected!r} missing from the report:\n{out}"
    assert "3 vs 5" in out.split("07_fine")[1], "the notebook after the failures still runs"
    partial = nbformat.read(build / "notebooks" / "05_broken.failed.ipynb", as_version=4)
    errors = [i for i, c in enumerate(partial.cells) if any(o.output_type == "error" for o in c.get("outputs", []))]
    assert errors and "assert acc >= target" in partial.cells[errors[0]].source, "the partial run shows the failing cell"
    assert not (build / "notebooks" / "05_broken.ipynb").exists(), "a stale complete copy must not survive a failure"
    summary = json.loads((build / "summary.json").read_text())
    assert [f["notebook"] for f in summary["failed"]] == ["05_broken", "06_bare"]
    assert [r["notebook"] for r in summary["notebooks"]] == ["07_fine"]


def test_failure_report_without_an_error_output():
    "A timeout or a dead kernel leaves no traceback: the report names the last cell that started."
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1", execution_count=1),
                nbformat.v4.new_code_cell("while True:\n    pass", execution_count=2), nbformat.v4.new_code_cell("y")]
    report = runner.failure_report(nb, TimeoutError("\x1b[31mCell execution timed out\x1b[0m"))
    assert report["first_line"] == "while True:" and report["error"] == "TimeoutError: Cell execution timed out"


@pytest.mark.slow
@pytest.mark.parametrize("pair", ["4,9", "3,5", "7,9"])  # low baselines and linear accuracies in docs/pairs.md
def test_hard_pairs_on_the_offline_sample(pair, tmp_path):
    "Notebooks 04-07 (the ones that train and assert an accuracy) for a hard pair, offline, with HOME empty (CI)."
    env = {**os.environ, "HOME": str(tmp_path / "home"), "FASTAI_HOME": str(tmp_path / "home" / ".fastai"),
           "NBHELPERS_CACHE": str(tmp_path / "cache"), "NBHELPERS_OFFLINE": "1"}
    env.pop("MNIST_PNG", None)
    (tmp_path / "home").mkdir()
    notebooks = [str(p) for p in sorted((ROOT / "notebooks").glob("0[4-7]_*.ipynb"))]
    proc = subprocess.run([sys.executable, "-m", "tools.run_series", "--pair", pair, "--no-html",
                           "--build", str(tmp_path / "build"), "--notebooks", *notebooks],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert proc.stdout.startswith("MNIST: offline sample"), proc.stdout[:300]


# ------------------------------------------------------------------ make pairs (tools/pairs.py)

def test_a_pair_is_run_and_recorded(tiny_mnist, tmp_path, monkeypatch):
    "run_pair goes past a failing notebook, records the error, and takes the baseline from 02's recorded numbers."
    monkeypatch.setenv("MNIST_PNG", str(tiny_mnist))
    tree = tmp_path / "tree"
    (tree / "notebooks").mkdir(parents=True)
    for folder in ("tools", "nbhelpers"):
        (tree / folder).mkdir()
        for py in (ROOT / folder).glob("*.py"):
            (tree / folder / py.name).write_text(py.read_text())
    _notebook(tree / "notebooks" / "02_fine.ipynb", "a, b = 2, 6",
              "from nbhelpers.setup import record\nrecord(f'{a} vs {b}: baseline 91.00%', baseline=0.91)",
              tags={0: ["parameters"], 1: ["headline"]})
    _notebook(tree / "notebooks" / "05_broken.ipynb", "a, b = 2, 6", "acc = 0.9",
              "assert acc > 0.95, f'linear model {acc:.4f} < 0.95 for {a} vs {b}'", tags={0: ["parameters"]})
    out = tmp_path / "pairs"
    r = pairs.run_pair((3, 5), tree, "abc1234", "digest1", out=out)
    assert not r["ok"] and r["pair"] == [3, 5] and r["baseline"] == 0.91, r
    assert r["notebooks"]["02"]["headline"] == "3 vs 5: baseline 91.00%"
    assert r["notebooks"]["05"]["error"] == "AssertionError: linear model 0.9000 < 0.95 for 3 vs 5"
    assert (out / "pair-3-5" / "notebooks" / "05_broken.failed.ipynb").exists()
    assert pairs.load_results(out, "digest1") == [r] and pairs.load_results(out, "other code") == [], "resumable"


def _result(a, b, acc, relu, base=0.9, ok=True):
    "A kept result as run_pair writes it: 05-07 record `acc` for the linear model, 07 `relu` for the ReLU net."
    recorded = {"02": {"baseline": base}, "04": {"linear": acc - 0.01}, "05": {"linear": acc},
                "06": {"linear": acc}, "07": {"relu": relu, "linear": acc}}
    nbs = {nb: {"ok": True, "results": recorded.get(nb, {})} for nb in pairs.NOTEBOOKS}
    if not ok:
        nbs["06"] = {"ok": False, "error": "AssertionError: linear model 0.9201 < 0.9400",
                     "line": "line 2: assert acc >= target", "cell": 7, "first_line": "# the target"}
    return {"pair": [a, b], "kind": "full", "baseline": base, "commit": "abc1234", "date": "2026-11-28 06:30 UTC",
            "seconds": 300.0, "notebooks": nbs, "ok": ok, "last_line": ""}


def test_report(tmp_path):
    results = [_result(2, 6, 0.986, 0.995, 0.95), _result(3, 5, 0.95, 0.98, 0.85), _result(4, 9, 0.96, 0.99, ok=False)]
    text = pairs.report(results, doc=tmp_path / "pairs.md").read_text()
    assert "**2 of 3 pairs pass every notebook (partial: 3 of 45 pairs so far).**" in text, text
    hardest = text.split("## Hardest pairs")[1]
    assert hardest.index("| 3 vs 5 |") < hardest.index("| 4 vs 9 * |") < hardest.index("| 2 vs 6 |"), "lowest 05 first"
    assert "| 3 vs 5 | 85.00% | 95.00% | 95.00% | 98.00% | +3.00 points |" in text, text
    assert "| linear, full batch (04) | +2.60 points | 2 vs 6 |" in text and "| ReLU net (07) | +4.50 points | 2 vs 6 |" in text
    assert "| 4 vs 9 | 90.00% | 95.00% | 96.00% | **FAILED** | 96.00% | 99.00% | 5.0 min | FAILED |" in text, text
    assert "* 4 vs 9, 06: `AssertionError: linear model 0.9201 < 0.9400` at `line 2: assert acc >= target` (cell 7" in text
