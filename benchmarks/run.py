"""`make bench`: vectorizing, training and the whole series, measured side by side in one run.

    python -m benchmarks.run                    # everything, 3 repetitions: build/bench.json, build/bench.md
    python -m benchmarks.run --quick            # a smoke run, not a measurement: 1 repetition, 2 epochs, notebook 01
    python -m benchmarks.run --parts training --reps 5

Every timing runs in a fresh process: a new interpreter for each job of benchmarks/jobs.py, a new
kernel for each notebook (through tools/runner.py, as `make run`). The repetitions are interleaved
(A, B, C, then C, B, A, ...) and each row is the median of its repetitions. The targets are ratios
of rows measured in the same run, because absolute times drift on a shared machine.
"""

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from benchmarks import jobs

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("vectorize", "training", "series")
TARGETS = {"cold_vs_original": 0.75, "warm_seconds": 0.1, "scratch_vs_plain": 1.2, "series_vs_floor": 3.0}


def in_fresh_process(job, *args):
    "`job(*args)` in a new interpreter (spawned, not forked: nothing this process imported carries over)."
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(job, *args).result()


def interleaved(names, reps, measure):
    "{name: [measure(name), one per repetition]}; the order is reversed every other repetition."
    runs = {name: [] for name in names}
    for rep in range(reps):
        for name in names if rep % 2 == 0 else names[::-1]:
            runs[name].append(measure(name))
            print(f"  rep {rep + 1}/{reps} {name}: {runs[name][-1][0]:.3f} s", flush=True)
    return runs


def medians(runs):
    "Each name's median time, and every repetition's time (each run's first item is its seconds)."
    return {"seconds": {name: statistics.median(r[0] for r in rs) for name, rs in runs.items()},
            "runs": {name: [round(r[0], 3) for r in rs] for name, rs in runs.items()}}


def bench_vectorize(args):
    in_fresh_process(jobs.vectorize_load_pair, True)  # fill the cache, untimed: the warm row reads it
    ways = {"original": jobs.vectorize_original, "cold": partial(jobs.vectorize_load_pair, False),
            "warm": partial(jobs.vectorize_load_pair, True)}
    runs = interleaved(list(ways), args.reps, lambda way: in_fresh_process(ways[way]))
    fingerprints = {r[1] for rs in runs.values() for r in rs}
    return {"images": runs["cold"][0][2], "same_tensors": len(fingerprints) == 1, **medians(runs)}


def bench_training(args):
    ways = ["plain", "scratch", "fastai", "sklearn"]
    runs = interleaved(ways, args.reps, lambda way: in_fresh_process(jobs.train, way, args.epochs))
    accs = {way: statistics.median(r[1] for r in rs) for way, rs in runs.items()}
    return {"epochs": args.epochs, "valid_acc": accs, **medians(runs)}


def bench_series(args):
    import nbformat

    from tools.runner import NotebookFailed, run

    folder = ROOT / "notebooks"
    notebooks = sorted(folder.glob("[0-9]*.ipynb"))[: 1 if args.quick else None]
    floor = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import torch")])
    sources = {}
    for path in notebooks:  # each notebook beside its floor twin
        sources[path.name], sources[f"{path.name} floor"] = path, floor

    def measure(name):
        try:
            return run(sources[name], cwd=folder)[1], None
        except NotebookFailed as failure:
            return failure.seconds, failure.report["error"]

    runs = interleaved(list(sources), args.reps, measure)
    totals = [sum(runs[p.name][rep][0] for p in notebooks) for rep in range(args.reps)]
    floors = [sum(runs[f"{p.name} floor"][rep][0] for p in notebooks) for rep in range(args.reps)]
    errors = sorted({f"{name}: {r[1]}" for name, rs in runs.items() for r in rs if r[1]})
    return {"total_seconds": statistics.median(totals), "floor_total_seconds": statistics.median(floors),
            "notebooks": [p.name for p in notebooks], "errors": errors, **medians(runs)}


def ratios(res):
    out = {}
    if "vectorize" in res:
        s = res["vectorize"]["seconds"]
        out.update(cold_vs_original=s["cold"] / s["original"], warm_vs_original=s["warm"] / s["original"],
                   warm_seconds=s["warm"])
    if "training" in res:
        s = res["training"]["seconds"]
        out.update({f"{way}_vs_plain": s[way] / s["plain"] for way in ("scratch", "fastai", "sklearn")})
    if "series" in res:
        out["series_vs_floor"] = res["series"]["total_seconds"] / res["series"]["floor_total_seconds"]
    return {name: round(value, 4) for name, value in out.items()}


def verdicts(res):
    "Met or not, for each target measured; none for a smoke run, and a series with a failing notebook misses."
    if res["quick"]:
        return {}
    failed = bool(res.get("series", {}).get("errors"))
    return {name: res["ratios"][name] <= limit and not (name == "series_vs_floor" and failed)
            for name, limit in TARGETS.items() if name in res["ratios"]}


def seconds_text(s):
    return f"{s:.3f} s" if s < 1 else f"{s:.2f} s" if s < 10 else f"{s:.1f} s"


def markdown(res):
    "The table README.md's Benchmarks section shows, then each notebook against its floor."
    m = res["machine"]
    r, lines = res["ratios"], [f"Machine: {m['summary']}. Median of {res['reps']} repetition(s), each in a fresh "
                               f"process; load average {m['load_average_at_start'][0]:.2f} at the start, "
                               f"{m['load_average_at_end'][0]:.2f} at the end.", ""]
    if res["quick"]:
        lines += ["A smoke run (`--quick`), not a measurement: targets are not judged.", ""]
    lines += ["| what | time | validation accuracy | ratio | target |", "|---|---:|---:|---:|---|"]

    def row(what, seconds, ratio=None, target=None, acc=None):
        limit = "" if target is None else f"≤ {TARGETS[target]}" + (" s" if target == "warm_seconds" else "×")
        if target in res["verdicts"]:
            limit += ": met" if res["verdicts"][target] else ": **missed**"
        lines.append(f"| {what} | {seconds_text(seconds)} | {'' if acc is None else f'{acc:.2%}'} | "
                     f"{'' if ratio is None else f'{ratio:.2f}×'} | {limit} |")

    if "vectorize" in res:
        v = res["vectorize"]
        row(f"vectorize the {v['images']:,} PNGs of 2s and 6s the original way (PIL, fastai `tensor`, stack)",
            v["seconds"]["original"], 1.0)
        row("`load_pair()` with no cache (cold)", v["seconds"]["cold"], r["cold_vs_original"], "cold_vs_original")
        row("`load_pair()` from its cache, fresh process (warm)", v["seconds"]["warm"], r["warm_vs_original"],
            "warm_seconds")
    if "training" in res:
        t = res["training"]
        names = {"plain": f"{t['epochs']} epochs, bs {jobs.BS}: plain PyTorch loop",
                 "scratch": "the notebooks' from-scratch loop (`nbhelpers.train`)",
                 "fastai": "fastai `Learner`", "sklearn": "scikit-learn `LogisticRegression`"}
        for way, what in names.items():
            row(what, t["seconds"][way], r.get(f"{way}_vs_plain", 1.0),
                "scratch_vs_plain" if way == "scratch" else None, t["valid_acc"][way])
    if "series" in res:
        s = res["series"]
        k = len(s["notebooks"])
        row(f"floor: {k} notebooks whose only cell is `import torch`", s["floor_total_seconds"], 1.0)
        row(f"the whole series, {k} notebooks one after another", s["total_seconds"], r["series_vs_floor"],
            "series_vs_floor")
        lines += ["", "| notebook | time | floor | ratio |", "|---|---:|---:|---:|"]
        for name in s["notebooks"]:
            own, bare = s["seconds"][name], s["seconds"][f"{name} floor"]
            lines.append(f"| {name} | {seconds_text(own)} | {seconds_text(bare)} | {own / bare:.2f}× |")
        lines += [f"\n**FAILED** {error}" for error in s["errors"]]
    return "\n".join(lines) + "\n"


def machine():
    from importlib.metadata import version

    from nbhelpers.mnist import mnist_path

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    versions = {name: version(name) for name in ("torch", "fastai", "scikit-learn", "pillow", "papermill")}
    kind = mnist_path(verbose=False).kind
    summary = (f"{cpu}, {os.cpu_count()} cores, one torch thread, Python {platform.python_version()}, "
               f"torch {versions['torch']}, fastai {versions['fastai']}; MNIST: {kind}")
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "versions": versions,
            "mnist": kind, "load_average_at_start": os.getloadavg(), "summary": summary}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run: 1 repetition, 2 epochs, notebook 01 only")
    ap.add_argument("--reps", type=int, help="repetitions of every row (default 3; 1 with --quick)")
    ap.add_argument("--parts", nargs="+", choices=PARTS, default=PARTS, help="what to measure (default: all)")
    ap.add_argument("--out", type=Path, default=ROOT / "build", help="folder for bench.json and bench.md")
    args = ap.parse_args(argv)
    args.reps = args.reps or (1 if args.quick else 3)
    args.epochs = 2 if args.quick else 20
    args.out.mkdir(parents=True, exist_ok=True)
    # One cache for the whole run (the jobs and the kernels inherit it): the reader's own cache is left alone.
    os.environ["NBHELPERS_CACHE"] = str(args.out / "bench-cache")
    started = time.perf_counter()
    res = {"machine": machine(), "reps": args.reps, "quick": args.quick}
    for part in args.parts:
        print(f"{part}:", flush=True)
        res[part] = {"vectorize": bench_vectorize, "training": bench_training, "series": bench_series}[part](args)
    res["ratios"] = ratios(res)
    res["verdicts"] = verdicts(res)
    res["machine"]["load_average_at_end"] = os.getloadavg()
    res["bench_wall_s"] = round(time.perf_counter() - started, 1)
    table = markdown(res)
    (args.out / "bench.json").write_text(json.dumps(res, indent=1) + "\n")
    (args.out / "bench.md").write_text(table)
    print(f"\n{table}\nwrote {args.out / 'bench.json'} and {args.out / 'bench.md'} ({res['bench_wall_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
