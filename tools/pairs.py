"""`make pairs`: run notebooks 01-07 for every pair of digits and write docs/pairs.md.

    python -m tools.pairs                     # all 45 pairs, 2 at a time (make pairs)
    python -m tools.pairs --pairs 3,5 4,9     # only these pairs (report in build/pairs/pairs.md)
    python -m tools.pairs --failed            # after a fix: run again only the pairs that failed

It runs the last commit (`git archive HEAD` unpacked into build/pairs/tree/), so edits in progress cannot leak
in, each pair through `python -m tools.run_series --pair a,b` as `make run PAIR=a,b` does; the report reads the
numbers each notebook's headline cell records. A pair's result is kept in build/pairs/pair-A-B.json with a digest
of the notebooks and nbhelpers it ran: a second run skips the pairs done for the same code, so a sweep resumes
(delete a pair's file to run it again).
"""

import argparse
import hashlib
import io
import itertools
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.run_series import parse_pair

ROOT = Path(__file__).resolve().parent.parent
OUT, DOC = ROOT / "build" / "pairs", ROOT / "docs" / "pairs.md"
NOTEBOOKS = ["01", "02", "03", "04", "05", "06", "07"]
ALL_PAIRS = list(itertools.combinations(range(10), 2))
# (notebook, recorded name, label): the accuracies the report compares with the baseline.
MODELS = [("04", "linear", "linear, full batch (04)"), ("05", "linear", "linear, minibatch (05)"),
          ("06", "linear", "linear, Learner (06)"), ("07", "linear", "linear (07)"), ("07", "relu", "ReLU net (07)")]


def snapshot(out):
    "Unpack the last commit's notebooks, nbhelpers and tools into out/tree; return (tree, commit, code digest)."
    commit = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True).strip()
    archive = subprocess.check_output(["git", "archive", "HEAD", "notebooks", "nbhelpers", "tools"], cwd=ROOT)
    tree = out / "tree"
    shutil.rmtree(tree, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    code = sorted((tree / "notebooks").glob("0[1-7]_*.ipynb")) + sorted((tree / "nbhelpers").glob("*.py"))
    digest = hashlib.sha256(b"".join(p.name.encode() + p.read_bytes() for p in code))  # what a result depends on
    return tree, commit, digest.hexdigest()[:12]


def run_pair(pair, tree, commit, digest, out):
    "Run notebooks 01-07 of `tree` for `pair` through its run_series; keep the result in out/pair-A-B.json."
    a, b = pair
    folder = out / f"pair-{a}-{b}"
    notebooks = sorted(str(p) for p in (tree / "notebooks").glob("0[1-7]_*.ipynb"))
    start = time.time()
    proc = subprocess.run([sys.executable, "-m", "tools.run_series", "--pair", f"{a},{b}", "--no-html",
                           "--build", str(folder), "--notebooks", *notebooks],
                          cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True)
    log = proc.stdout + proc.stderr
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "log.txt").write_text(log)
    summary = json.loads((folder / "summary.json").read_text()) if (folder / "summary.json").exists() else {}
    results = {r["notebook"][:2]: {"ok": True, **r} for r in summary.get("notebooks", [])}
    results.update({f["notebook"][:2]: {"ok": False, **f} for f in summary.get("failed", [])})
    result = {"pair": [a, b], "kind": summary.get("kind"), "commit": commit, "code": digest,
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "seconds": round(time.time() - start, 1),
              "baseline": results.get("02", {}).get("results", {}).get("baseline"), "notebooks": results,
              "ok": proc.returncode == 0 and sorted(results) == NOTEBOOKS and all(r["ok"] for r in results.values()),
              "last_line": (log.strip().splitlines() or ["run_series printed nothing"])[-1]}
    (out / f"pair-{a}-{b}.json").write_text(json.dumps(result, indent=2))
    return result


def load_results(out, digest=None):
    "The kept results in `out`, in pair order; only those for code `digest` unless it is None."
    results = [json.loads(p.read_text()) for p in sorted(out.glob("pair-*.json"))]  # pair-0-1.json ... pair-8-9.json
    return [r for r in results if digest is None or r["code"] == digest]


# ------------------------------------------------------------------------------------ the report

def recorded(result, nb, name):
    "What notebook `nb`'s headline cell recorded as `name` for this pair (nbhelpers.setup.record), or None."
    return result["notebooks"].get(nb, {}).get("results", {}).get(name)


def pct(x):
    return "-" if x is None else f"{x:.2%}"


def vs(r):
    return f"{r['pair'][0]} vs {r['pair'][1]}"


def report(results, doc):
    "Write docs/pairs.md from the kept results: the verdict, the hardest pairs, the margins, every pair, the failures."
    done = [r for r in results if r["notebooks"]]
    measured = [r for r in done if r["baseline"] is not None]
    dates = sorted(r["date"] for r in done) or ["-"]
    partial = "" if len(done) == len(ALL_PAIRS) else f" (partial: {len(done)} of {len(ALL_PAIRS)} pairs so far)"
    commits, kinds = sorted({r["commit"] for r in done}), sorted({str(r["kind"]) for r in done})
    lines = ["# Every pair of digits: notebooks 01-07", "",
             f"Made by `make pairs` (tools/pairs.py), {dates[0]} to {dates[-1]}, at commit {', '.join(commits) or '-'} "
             f"on data: {', '.join(kinds) or '-'}; each pair ran `python -m tools.run_series --pair a,b`, as `make run` does.",
             "", f"**{sum(r['ok'] for r in done)} of {len(done)} pairs pass every notebook{partial}.**", ""]
    doc.write_text("\n".join(lines + hardest(measured) + margins(measured) + table(results) + failures(results)) + "\n")
    return doc


def hardest(measured):
    "The five pairs where 05's linear model scores lowest, and what 07's ReLU net gains over 07's linear model."
    ranked = sorted((r for r in measured if recorded(r, "05", "linear") is not None), key=lambda r: recorded(r, "05", "linear"))
    rows = []
    for r in ranked[:5]:
        linear, relu = recorded(r, "07", "linear"), recorded(r, "07", "relu")
        gain = "-" if None in (linear, relu) else f"{(relu - linear) * 100:+.2f} points"
        rows.append(f"| {vs(r)}{'' if r['ok'] else ' *'} | {pct(r['baseline'])} | {pct(recorded(r, '05', 'linear'))} "
                    f"| {pct(linear)} | {pct(relu)} | {gain} |")
    return ["## Hardest pairs", "", "The five pairs where the linear model of 05 (minibatch SGD) scores lowest, and "
            "what the ReLU net of 07 gains over 07's linear model (* : the pair failed a check, see Failures):", "",
            "| pair | baseline | linear, 05 | linear, 07 | ReLU net, 07 | ReLU gain |", "|---|---|---|---|---|---|",
            *rows, ""] if rows else []


def margins(measured):
    "Per model, the smallest margin over notebook 02's baseline: what nbhelpers.thresholds.MARGIN is half of."
    rows = []
    for nb, name, label in MODELS:
        if have := [(recorded(r, nb, name) - r["baseline"], vs(r)) for r in measured
                    if recorded(r, nb, name) is not None]:
            low, at = min(have)
            rows.append(f"| {label} | {low * 100:+.2f} points | {at} |")
    return ["## Smallest margin over the baseline", "", "Accuracy minus notebook 02's pixel-similarity baseline (no "
            "training) on the same validation images, at the pair where it is smallest:", "",
            "| model (notebook) | smallest margin | at |", "|---|---|---|", *rows, ""] if rows else []


def accuracy(r, nb, name):
    "A model's accuracy as the table shows it: a percentage, FAILED (its notebook failed), or - (not run)."
    failed = not r["notebooks"].get(nb, {"ok": True})["ok"]
    return "**FAILED**" if failed else pct(recorded(r, nb, name))


def table(results):
    "Every pair: the baseline and each model's accuracy, as the notebooks recorded them."
    rows = [f"| {vs(r)} | {pct(r['baseline'])} | " + " | ".join(accuracy(r, nb, name) for nb, name, _ in MODELS)
            + f" | {r['seconds'] / 60:.1f} min | {'pass' if r['ok'] else 'FAILED'} |" for r in results]
    return ["## Every pair", "", "| pair | baseline | " + " | ".join(label for *_, label in MODELS) + " | time | result |",
            "|---|---|" + "---|" * len(MODELS) + "---|---|", *rows]


def failures(results):
    "Each failing notebook of each pair, with the check that failed (or run_series's last line when none ran)."
    lines = [f"* {vs(r)}: no notebook ran: `{r['last_line']}`" for r in results if not r["notebooks"]]
    lines += [f"* {vs(r)}, {nb}: `{x['error']}`" + (f" at `{x['line']}`" if x.get("line") else "")
              + f" (cell {x['cell']}, which starts `{x['first_line']}`)"
              for r in results for nb, x in sorted(r["notebooks"].items()) if not x["ok"]]
    return ["", "## Failures", "", *lines] if lines else []


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", nargs="+", type=parse_pair, metavar="A,B", help="e.g. 3,5 4,9 (default: all 45)")
    ap.add_argument("--jobs", type=int, default=2, help="pairs run at once (default 2: one per core)")
    ap.add_argument("--failed", action="store_true", help="run again only the pairs whose kept result failed")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    tree, commit, digest = snapshot(OUT)
    pairs = [tuple(sorted(p)) for p in args.pairs] if args.pairs else ALL_PAIRS
    kept = {tuple(r["pair"]): r for r in load_results(OUT, None if args.failed else digest)}
    todo = [p for p in pairs if p not in kept or (args.failed and not kept[p]["ok"])]
    print(f"Sweep of {len(pairs)} pairs at commit {commit} (code {digest}): {len(pairs) - len(todo)} already done, "
          f"{len(todo)} to run, {args.jobs} at a time; logs in {OUT.relative_to(ROOT)}/", flush=True)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for r in pool.map(lambda pair: run_pair(pair, tree, commit, digest, OUT), todo):
            print(f"  {vs(r)}: {'pass' if r['ok'] else 'FAILED'} in {r['seconds'] / 60:.1f} min", flush=True)
    results = [r for r in load_results(OUT, None if args.failed else digest) if tuple(r["pair"]) in pairs]
    doc = OUT / "pairs.md" if args.pairs else DOC  # only a whole sweep replaces the committed table
    report(results, doc)
    print(f"{doc.relative_to(ROOT)}: {len(results)} pairs, {sum(r['ok'] for r in results)} pass", flush=True)
    return 0 if results and all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
