"""`make bench`: vectorizing, training and the whole series, measured side by side in one run.

    python -m benchmarks.run                 # everything, 3 repetitions (build/bench.json, build/bench.md)
    python -m benchmarks.run --quick         # a smoke run: 1 repetition, 2 epochs, the series only 01
    python -m benchmarks.run --parts vectorize,training --reps 5

Every timing runs in a fresh process (a fresh kernel for the notebooks, through tools/runner.py like
`make run`); the repetitions are
interleaved (A, B, C, A, B, C, ...) and each row reports the median.  Targets are ratios,
measured in the same run, because absolute times drift on a shared machine.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PARTS = ("vectorize", "training", "series")
TARGETS = {  # name: (limit, what it means)
    "cold_vs_original": (0.75, "cold vectorizing <= 0.75 x the original way"),
    "warm_seconds": (0.10, "warm vectorizing <= 0.1 s"),
    "scratch_vs_plain": (1.2, "from-scratch loop <= 1.2 x plain PyTorch loop"),
    "series_vs_floor": (3.0, "whole series <= 3 x the floor"),
}


def log(msg):
    print(msg, flush=True)


def median(xs):
    return statistics.median(xs) if xs else None


def job(name, args, rep=0, env=None):
    "Run benchmarks/jobs.py `name` in a fresh interpreter; its JSON result."
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "benchmarks.jobs", name, str(out), "--a", str(args.a), "--b", str(args.b),
               "--threads", str(args.threads), "--epochs", str(args.epochs), "--bs", str(args.bs),
               "--lr", str(args.lr), "--rep", str(rep)]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            raise SystemExit(f"benchmark job {name} failed (exit {proc.returncode}):\n  " + "\n  ".join(tail))
        result = json.loads(out.read_text())
        result["process_wall_s"] = round(wall, 3)
        return result


# ------------------------------------------------------------------ 1. vectorizing


def bench_vectorize(args):
    job("prime", args)  # fill the cache once (untimed): the warm rows need it
    runs = {"original": [], "cold": [], "warm": []}
    for rep in range(args.reps):
        for name in (("original", "cold", "warm") if rep % 2 == 0 else ("warm", "cold", "original")):
            if name == "cold":
                with tempfile.TemporaryDirectory(prefix="bench-cold-cache-") as empty:
                    r = job("vectorize-cold", args, rep, env={"NBHELPERS_CACHE": empty})
            else:
                r = job(f"vectorize-{name}", args, rep)
            runs[name].append(r)
            log(f"  vectorize rep {rep + 1}/{args.reps} {name}: {r['seconds']:.3f} s")
    checks = {json.dumps(r["check"], sort_keys=True) for rs in runs.values() for r in rs}
    rows = {name: {"seconds": median([r["seconds"] for r in rs]), "runs": [round(r["seconds"], 4) for r in rs],
                   "excluded_from_timing": rs[0]["excluded"]} for name, rs in runs.items()}
    return {"files": runs["cold"][0]["check"]["train_x"][0] + runs["cold"][0]["check"]["valid_x"][0],
            "same_tensors": len(checks) == 1, "rows": rows}


# ------------------------------------------------------------------ 2. training


def bench_training(args):
    runs = {"scratch": [], "plain": [], "default": [], "no_bar": [], "bare": [], "sklearn": []}
    profiles, extra = [], {}
    for rep in range(args.reps):
        order = ["train-torch", "train-fastai", "train-sklearn"]
        k = rep % 3
        for name in order[k:] + order[:k]:
            r = job(name, args, rep)
            if name == "train-sklearn":
                runs["sklearn"].append(r)
                extra["sklearn_iterations"] = r["n_iter"]
            else:
                for way in runs:
                    if way in r:
                        runs[way].append(r[way])
                if "profile" in r:
                    profiles.append(r["profile"])
                    extra["fastai_default_callbacks"] = r["default_cbs"]
                if "dataset" in r:
                    extra["torch_loops_dataset"] = r["dataset"]
            log(f"  training rep {rep + 1}/{args.reps} {name}: "
                + ", ".join(f"{w} {r[w]['seconds']:.2f} s" for w in runs if isinstance(r.get(w), dict))
                + (f"{r['seconds']:.2f} s" if name == "train-sklearn" else ""))
    rows = {w: {"seconds": median([r["seconds"] for r in rs]), "valid_acc": median([r["valid_acc"] for r in rs]),
                "runs": [round(r["seconds"], 4) for r in rs]} for w, rs in runs.items() if rs}
    profile = min(profiles, key=lambda p: p["seconds"]) if profiles else None  # the least disturbed run
    return {"rows": rows, "fastai_profile": profile, **extra}


# ------------------------------------------------------------------ 3. the series


def _peak_mib():
    "The largest peak resident memory (VmHWM) among this process's children: the kernel's, in MiB."
    import psutil

    peaks = [0]
    for child in psutil.Process().children(recursive=True):
        try:
            peaks += [int(line.split()[1]) for line in Path(f"/proc/{child.pid}/status").read_text().splitlines()
                      if line.startswith("VmHWM:")]
        except OSError:
            pass
    return max(peaks) / 1024


def run_notebook(src, cwd):
    "Wall time, peak memory and slowest cells of one run of `src` (a path or a notebook) by tools.runner."
    from tools.runner import NotebookFailed, run

    peak = [0.0]
    try:
        nb, seconds, durations = run(src, cwd=cwd, on_cell_executed=lambda **_: peak.append(_peak_mib()))
        error = None
    except NotebookFailed as e:
        nb, seconds, durations, error = None, e.seconds, [], e.report["error"]
    slow = sorted(((d, i) for i, d in enumerate(durations) if d), reverse=True)[:3]
    return {"seconds": round(seconds, 3), "peak_rss_mib": round(max(peak), 1), "error": error,
            "slowest_cells": [{"index": i, "seconds": round(d, 3), "source": (nb.cells[i].source.splitlines() or [""])[0][:80]}
                              for d, i in slow]}


def bench_series(args):
    import nbformat

    folder = ROOT / "notebooks"
    names = args.notebooks.split(",") if args.notebooks else [""]
    chosen = [p for p in sorted(folder.glob("[0-9][0-9]_*.ipynb")) if any(p.name.startswith(n) for n in names)]
    if not chosen:
        raise SystemExit(f"no notebooks to run in {folder}")
    floor = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import torch")])
    floor.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    runs = {p.name: {"notebook": [], "floor": []} for p in chosen}
    for rep in range(args.reps):  # each notebook and its floor twin, interleaved (A, B; then B, A)
        for p in chosen:
            for kind in (("notebook", "floor") if rep % 2 == 0 else ("floor", "notebook")):
                r = run_notebook(p if kind == "notebook" else floor, folder)
                runs[p.name][kind].append(r)
                log(f"  series rep {rep + 1}/{args.reps} {p.name} {kind}: {r['seconds']:.1f} s, "
                    f"peak {r['peak_rss_mib']:.0f} MiB" + (f"  ERROR {r['error']}" if r["error"] else ""))
    per = {name: {"seconds": median([x["seconds"] for x in r["notebook"]]),
                  "floor_seconds": median([x["seconds"] for x in r["floor"]]),
                  "peak_rss_mib": median([x["peak_rss_mib"] for x in r["notebook"]]),
                  "floor_peak_rss_mib": median([x["peak_rss_mib"] for x in r["floor"]]),
                  "slowest_cells": min(r["notebook"], key=lambda x: x["seconds"])["slowest_cells"],
                  "errors": sorted({x["error"] for x in r["notebook"] + r["floor"] if x["error"]}),
                  "runs": [x["seconds"] for x in r["notebook"]], "floor_runs": [x["seconds"] for x in r["floor"]]}
           for name, r in runs.items()}
    totals = [sum(r["notebook"][i]["seconds"] for r in runs.values()) for i in range(args.reps)]
    floors = [sum(r["floor"][i]["seconds"] for r in runs.values()) for i in range(args.reps)]
    return {"notebooks": per, "total_seconds": median(totals), "floor_total_seconds": median(floors),
            "ratio_runs": [round(t / f, 3) for t, f in zip(totals, floors)],
            "errors": any(p["errors"] for p in per.values())}


# ------------------------------------------------------------------ results


def ratios(res):
    out = {}
    v = res.get("vectorize", {}).get("rows")
    if v:
        out["cold_vs_original"] = v["cold"]["seconds"] / v["original"]["seconds"]
        out["warm_seconds"] = v["warm"]["seconds"]
        out["warm_vs_original"] = v["warm"]["seconds"] / v["original"]["seconds"]
    t = res.get("training", {}).get("rows")
    if t:
        if "scratch" in t and "plain" in t:
            out["scratch_vs_plain"] = t["scratch"]["seconds"] / t["plain"]["seconds"]
        for w in ("default", "no_bar", "bare", "sklearn"):
            if w in t and "plain" in t:
                out[f"{'fastai_' + w if w != 'sklearn' else w}_vs_plain"] = t[w]["seconds"] / t["plain"]["seconds"]
    s = res.get("series")
    if s:
        out["series_vs_floor"] = s["total_seconds"] / s["floor_total_seconds"]
    return {k: round(v, 4) for k, v in out.items()}


def verdicts(r, res):
    out = {}
    for name, (limit, text) in TARGETS.items():
        if name in r:
            met = r[name] <= limit
            if name == "series_vs_floor" and (res["series"]["errors"] or res.get("series_partial")):
                met = False
            out[name] = {"value": r[name], "limit": limit, "met": met, "target": text}
    return out


def _s(x):
    return "—" if x is None else (f"{x:.3f} s" if x < 1 else f"{x:.2f} s")


def markdown(res):
    lines = [f"Machine: {res['machine']['summary']}. Median of {res['reps']} repetition(s), each in a fresh process.", ""]
    lines += ["| What | Time | Valid. acc. | Ratio | Target | Met |", "|---|---:|---:|---:|---|:-:|"]
    r, v = res["ratios"], res["verdicts"]

    def row(what, secs, acc=None, ratio=None, target=None):
        met = "" if target is None else ("yes" if v[target]["met"] else "**no**")
        tgt = "" if target is None else v[target]["target"].split(" <= ")[-1].replace(" x ", "× ").replace("x ", "×")
        tgt = "" if target is None else f"≤ {tgt}"
        lines.append(f"| {what} | {_s(secs)} | {'' if acc is None else f'{acc:.4f}'} | "
                     f"{'' if ratio is None else f'{ratio:.2f}×'} | {tgt} | {met} |")

    vec = res.get("vectorize")
    if vec:
        n = f"{vec['files']:,}"
        rows = vec["rows"]
        row(f"Vectorize {n} PNGs: original (PIL + fastai `tensor`, stack)", rows["original"]["seconds"], ratio=1.0)
        row("Vectorize: `load_pair(cache=False)`, cold (Pillow)", rows["cold"]["seconds"], ratio=r["cold_vs_original"],
            target="cold_vs_original")
        row("Vectorize: `load_pair()`, warm cache, fresh process", rows["warm"]["seconds"],
            ratio=r["warm_vs_original"], target="warm_seconds")
    tr = res.get("training")
    if tr:
        t = tr["rows"]
        names = {"plain": "Train 20 epochs: plain PyTorch loop (nn.Linear, optim.SGD)",
                 "scratch": "Train: the notebooks' from-scratch loop (nbhelpers.train)",
                 "default": "Train: fastai `Learner`, default callbacks",
                 "no_bar": "Train: fastai `Learner`, no progress bar",
                 "bare": "Train: fastai `Learner`, no callbacks but TrainEval, torch DataLoader",
                 "sklearn": "scikit-learn `LogisticRegression` (lbfgs)"}
        for w, what in names.items():
            if w in t:
                ratio = 1.0 if w == "plain" else r.get("scratch_vs_plain" if w == "scratch" else
                                                      ("sklearn_vs_plain" if w == "sklearn" else f"fastai_{w}_vs_plain"))
                row(what, t[w]["seconds"], t[w]["valid_acc"], ratio, "scratch_vs_plain" if w == "scratch" else None)
    s = res.get("series")
    if s:
        k = len(s["notebooks"])
        row(f"Floor: {k} notebooks whose only cell is `import torch`", s["floor_total_seconds"], ratio=1.0)
        row(f"The whole series, {k} notebooks one after another", s["total_seconds"], ratio=r["series_vs_floor"],
            target="series_vs_floor")
        lines += ["", "| Notebook | Wall | Floor | Peak RSS | Floor peak RSS | Slowest cells (first line) |", "|---|---:|---:|---:|---:|---|"]
        for name, p in s["notebooks"].items():
            slow = ", ".join(f"{c['seconds']:.1f} s `{c['source'].replace('|', '/')[:40]}`" for c in p["slowest_cells"])
            err = " (FAILED: " + "; ".join(p["errors"]) + ")" if p["errors"] else ""
            lines.append(f"| {name}{err} | {_s(p['seconds'])} | {_s(p['floor_seconds'])} | "
                         f"{p['peak_rss_mib']:.0f} MiB | {p['floor_peak_rss_mib']:.0f} MiB | {slow} |")
    prof = (tr or {}).get("fastai_profile")
    if prof:
        lines += ["", f"Where a default fastai `Learner` spends {prof['seconds']:.2f} s ({prof['batches']} batches, "
                  "instrumented run; callback figures include the progress bar's drawing):", "",
                  "| Part | Seconds |", "|---|---:|"]
        lines += [f"| {k} | {v:.3f} |" for k, v in prof["parts"].items()]
    return "\n".join(lines) + "\n"


def machine(threads):
    from importlib.metadata import version

    from nbhelpers.data import mnist_path

    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor() or "unknown CPU")
    versions = {m: version(m) for m in ("torch", "fastai", "scikit-learn", "numpy", "papermill", "pillow")}
    kind, cores = mnist_path(verbose=False).kind, os.cpu_count()
    return {"cpu": model, "cores": cores, "torch_threads": threads, "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(), "versions": versions, "mnist": kind,
            "summary": f"{model}, {cores} cores, torch threads = {threads}, Python {platform.python_version()}, "
                       f"torch {versions['torch']}, fastai {versions['fastai']}; MNIST: {kind}"}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run, not a measurement: 1 repetition, 2 epochs, only notebook 01")
    ap.add_argument("--reps", type=int, help="repetitions per row (default 3; 1 with --quick)")
    ap.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}")
    ap.add_argument("--notebooks", help="comma-separated name prefixes to run in the series part, e.g. 01,05")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch.set_num_threads in every timed job (default 1: see benchmarks/README.md)")
    ap.add_argument("--out", default=str(ROOT / "build"), help="folder for bench.json and bench.md")
    ap.add_argument("--a", type=int, default=2)
    ap.add_argument("--b", type=int, default=6)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--bs", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1.0)
    args = ap.parse_args(argv)
    args.reps = args.reps or (1 if args.quick else 3)
    if args.quick:
        args.notebooks, args.epochs = args.notebooks or "01", 2
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        ap.error(f"unknown part(s) {sorted(unknown)}; choose from {PARTS}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # One cache folder for the whole run (the jobs and the notebooks' kernels inherit it), so the
    # benchmark neither depends on nor disturbs the reader's own cache.
    os.environ["NBHELPERS_CACHE"] = str(out / "bench-cache")
    started = time.perf_counter()
    res = {"machine": machine(args.threads), "reps": args.reps, "quick": args.quick,
           "settings": {"pair": [args.a, args.b], "epochs": args.epochs, "bs": args.bs, "lr": args.lr}}
    for part in parts:
        log(f"{part}:")
        res[part] = {"vectorize": bench_vectorize, "training": bench_training, "series": bench_series}[part](args)
    if "series" in res and args.notebooks:
        res["series_partial"] = True  # a subset of notebooks cannot meet the whole-series target
    res["ratios"] = ratios(res)
    res["verdicts"] = verdicts(res["ratios"], res)
    res["all_targets_met"] = all(v["met"] for v in res["verdicts"].values()) if len(res["verdicts"]) == len(TARGETS) else None
    res["bench_wall_s"] = round(time.perf_counter() - started, 1)
    table = markdown(res)
    (out / "bench.json").write_text(json.dumps(res, indent=1) + "\n")
    (out / "bench.md").write_text(table)
    print()
    print(table)
    for v in res["verdicts"].values():
        print(f"{'MET   ' if v['met'] else 'MISSED'} {v['target']}: {v['value']:.3f}")
    print(f"\nwrote {out / 'bench.json'} and {out / 'bench.md'} ({res['bench_wall_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
