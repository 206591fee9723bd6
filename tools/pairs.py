"""`make pairs`: run notebooks 01-07 for every pair of digits on the full set and write docs/pairs.md.

    python tools/pairs.py                     # all 45 pairs, 2 at a time
    python tools/pairs.py --pairs 3,5 4,9     # only these pairs
    python tools/pairs.py --report            # rewrite docs/pairs.md from what build/pairs/ holds

What runs is the last commit (`git archive HEAD` unpacked into build/pairs/tree/, notebooks and
nbhelpers alike), so edits in progress in the working tree cannot leak into the table; each pair
goes through tools/run_series.py (`make run PAIR=a,b`), so the table shows what a reader's
`make run` does.  Every pair's result is kept in build/pairs/pair-A-B.json: a second run skips the
pairs already done for the same code (notebooks 01-07 and nbhelpers; --redo runs them again),
so an interrupted sweep resumes where it stopped.  A failing notebook is recorded (cell, error)
and the sweep goes on.
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
OUT = ROOT / "build" / "pairs"
DOC = ROOT / "docs" / "pairs.md"
NOTEBOOKS = ["01", "02", "03", "04", "05", "06", "07"]
ALL_PAIRS = list(itertools.combinations(range(10), 2))
BASELINES = ("import json, sys; from nbhelpers.data import load_pair, mnist_path; "
             "from nbhelpers.baseline import pixel_similarity; kind = mnist_path().kind; "
             "pairs = [tuple(map(int, p.split(','))) for p in sys.argv[1:]]; "
             "print(json.dumps({'kind': kind, 'baselines': {f'{a},{b}': round(pixel_similarity(*load_pair(a, b)), 4) "
             "for a, b in pairs}}))")


def parse_pairs(texts):
    "['3,5', '4,9'] -> [(3, 5), (4, 9)], each as (smaller, larger)."
    out = []
    for text in texts:
        m = re.fullmatch(r"\s*(\d)\s*,\s*(\d)\s*", text)
        if not m or m.group(1) == m.group(2):
            raise SystemExit(f"{text!r} is not a pair of two different digits, e.g. 3,5")
        out.append(tuple(sorted((int(m.group(1)), int(m.group(2))))))
    return out


def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def snapshot(out=OUT):
    "Unpack the last commit's notebooks, nbhelpers and tools into out/tree; return (tree, commit, code digest)."
    commit = git("rev-parse", "--short", "HEAD")
    tree = out / "tree"
    if tree.exists():
        subprocess.run(["rm", "-rf", str(tree)], check=True)
    tree.mkdir(parents=True)
    archive = out / "tree.tar"
    subprocess.run(["git", "archive", "-o", str(archive), "HEAD", "notebooks", "nbhelpers", "tools"], cwd=ROOT, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    archive.unlink()
    return tree, commit, code_digest(tree)


def code_digest(tree):
    "What a pair's result depends on: the code cells of notebooks 01-07 and the nbhelpers sources."
    import nbformat

    h = hashlib.sha256()
    for nb_path in sorted((tree / "notebooks").glob("0[1-7]_*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        h.update(nb_path.name.encode())
        for cell in nb.cells:
            if cell.cell_type == "code":
                h.update(cell.source.encode())
    for py in sorted((tree / "nbhelpers").glob("*.py")):
        h.update(py.name.encode() + py.read_bytes())
    return h.hexdigest()[:12]


def numbers_of(headline):
    "The numbers in a headline line, as printed: '98.64%', '11,876', '0.4931'."
    return re.findall(r"(?<![\w.])\d[\d,]*(?:\.\d+)?%?", headline or "")


def _env(tree):
    "Run the snapshot's code: its nbhelpers comes before the installed (editable) one."
    return {**os.environ, "PYTHONPATH": str(tree) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def baselines(pairs, tree, python=sys.executable):
    "(data kind, {(a, b): pixel-similarity accuracy}) for `pairs`, computed once with the snapshot's nbhelpers."
    proc = subprocess.run([python, "-c", BASELINES, *(f"{a},{b}" for a, b in pairs)], cwd=tree, env=_env(tree),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit("could not compute the baselines:\n" + proc.stderr[-2000:])
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    return found["kind"], {tuple(map(int, k.split(","))): v for k, v in found["baselines"].items()}


def run_pair(pair, tree, commit, digest, out=OUT, python=sys.executable, baseline=None, kind=None):
    "Run notebooks 01-07 for `pair` through run_series; return (and keep) the result."
    a, b = pair
    folder = out / f"pair-{a}-{b}"
    env = _env(tree)
    if baseline is None:
        kind, found = baselines([pair], tree, python)
        baseline = found[pair]
    start = time.time()
    notebooks = [str(p) for n in NOTEBOOKS for p in sorted((tree / "notebooks").glob(f"{n}_*.ipynb"))]
    proc = subprocess.run([python, str(tree / "tools" / "run_series.py"), "--pair", f"{a},{b}", "--no-html",
                           "--build", str(folder), "--notebooks", *notebooks],
                          cwd=tree, env=env, capture_output=True, text=True)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "log.txt").write_text(proc.stdout + proc.stderr)
    summary = {}
    if (folder / "summary.json").exists():
        summary = json.loads((folder / "summary.json").read_text())
    results = {}
    for row in summary.get("notebooks", []):
        results[row["notebook"][:2]] = {"ok": True, "seconds": row["seconds"], "headline": row["headline"]}
    for f in summary.get("failed", []):
        results[f["notebook"][:2]] = {"ok": False, "seconds": f["seconds"], "error": f["error"],
                                      "line": f.get("line", ""), "first_line": f.get("first_line", ""),
                                      "executed": f.get("executed", "")}
    result = {"pair": [a, b], "kind": kind, "baseline": baseline, "commit": commit, "code": digest,
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "seconds": round(time.time() - start, 1),
              "returncode": proc.returncode, "notebooks": results,
              "ok": proc.returncode == 0 and len(results) == len(NOTEBOOKS) and all(r["ok"] for r in results.values())}
    if not results:
        result["error"] = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or ["run_series printed nothing"]
    (out / f"pair-{a}-{b}.json").write_text(json.dumps(result, indent=2))
    return result


def cached(pair, digest, out=OUT):
    path = out / f"pair-{pair[0]}-{pair[1]}.json"
    if path.exists():
        result = json.loads(path.read_text())
        if digest is None or result.get("code") == digest:
            return result
    return None


def load_results(out=OUT):
    results = [json.loads(p.read_text()) for p in sorted(out.glob("pair-*.json"))]
    return sorted(results, key=lambda r: tuple(r["pair"]))


# ------------------------------------------------------------------------------------ the report

def pct(text):
    "'98.64%' -> 0.9864; '0.9864' -> 0.9864."
    return float(text.rstrip("%").replace(",", "")) / (100 if text.endswith("%") else 1)


def accuracies(result):
    """The accuracies a pair's headlines state, by role: full-batch (04), minibatch (05), Learner (06),
    ReLU and linear (07): the first percentage of each headline (07: ReLU first, then linear)."""
    roles = {"04": ["full_batch"], "05": ["minibatch"], "06": ["learner"], "07": ["relu", "linear_07"]}
    acc = {}
    for nb, names in roles.items():
        r = result["notebooks"].get(nb)
        if not r or not r["ok"]:
            continue
        values = [pct(x) for x in numbers_of(r["headline"]) if x.endswith("%")]
        acc.update(zip(names, values))
    return acc


def cell(r):
    if r is None:
        return "not run"
    if r["ok"]:
        return " / ".join(numbers_of(r["headline"])) or "ok"
    return "**FAILED**"


def report(results, command, doc=DOC):
    "docs/pairs.md from the per-pair results."
    done = [r for r in results if r["notebooks"]]
    ok = [r for r in done if r["ok"]]
    failed = [r for r in done if not r["ok"]]
    commits = sorted({r["commit"] for r in done})
    kinds = sorted({r["kind"] for r in done})
    dates = sorted(r["date"] for r in done)
    partial = len(done) < len(ALL_PAIRS)
    lines = ["# Every pair of digits: notebooks 01-07 on the full set", ""]
    if partial:
        lines += [f"**Partial: {len(done)} of {len(ALL_PAIRS)} pairs so far.**", ""]
    lines += [f"Made by `{command}` (tools/pairs.py), {dates[0] if dates else '-'} to {dates[-1] if dates else '-'}, "
              f"from commit {', '.join(commits) or '-'}, on data: {', '.join(kinds) or '-'}. "
              "Each pair ran through `tools/run_series.py --pair a,b` (what `make run PAIR=a,b` does), "
              "two pairs at a time on two cores, one torch thread per notebook; time is the pair's wall time.",
              "", f"**{len(ok)} of {len(done)} pairs pass every notebook.**", ""]
    lines += summary_lines(ok)
    example = next((r for r in ok if r["pair"] == [2, 6]), ok[0] if ok else None)
    lines += ["## Every pair", ""]
    if example:
        lines += ["Each column lists the numbers of that notebook's headline (the first line printed by its cell tagged "
                  f"`headline`), which for {example['pair'][0]} vs {example['pair'][1]} reads:", ""]
        lines += [f"* {nb}: {example['notebooks'][nb]['headline']}" for nb in NOTEBOOKS if nb in example["notebooks"]]
        lines += ["", "The baseline is notebook 02's pixel-similarity accuracy (`nbhelpers.baseline.pixel_similarity`, "
                  "no training) on the same validation set.", ""]
    several = len(commits) > 1
    lines += ["| pair | baseline | " + " | ".join(NOTEBOOKS) + " | time | result |" + (" commit |" if several else ""),
              "|---|---|" + "---|" * len(NOTEBOOKS) + "---|---|" + ("---|" if several else "")]
    for r in results:
        nbs = r["notebooks"]
        verdict = "pass" if r["ok"] else "; ".join(
            f"{nb}: {x['error']}" for nb, x in sorted(nbs.items()) if not x["ok"]) or f"no result: {r.get('error')}"
        lines.append(f"| {r['pair'][0]},{r['pair'][1]} | {r['baseline']:.4f} | "
                     + " | ".join(cell(nbs.get(nb)) for nb in NOTEBOOKS)
                     + f" | {r['seconds'] / 60:.1f} min | {verdict.replace('|', '/')} |"
                     + (f" {r['commit']} |" if several else ""))
    if failed:
        lines += ["", "## Failures", ""]
        for r in failed:
            for nb, x in sorted(r["notebooks"].items()):
                if not x["ok"]:
                    line = x.get("line", "")
                    same = line.split(": ", 1)[-1] == x["first_line"]
                    lines += [f"* {r['pair'][0]} vs {r['pair'][1]}, {nb}: `{x['error']}`"
                              + (f" at `{line}`" if line else "")
                              + ("" if same else f" (the cell starting `{x['first_line']}`)")]
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text("\n".join(lines) + "\n")
    return doc


def summary_lines(ok):
    "Hardest pairs, what the ReLU net gains on them, and the worst case above the baseline."
    if not ok:
        return []
    rows = []
    for r in ok:
        acc = accuracies(r)
        if "minibatch" in acc:
            rows.append((r, acc))
    if not rows:
        return []
    hardest = sorted(rows, key=lambda ra: ra[1]["minibatch"])[:5]
    out = ["## Hardest pairs", "", "The five pairs where the linear model of 05 (minibatch SGD) scores lowest, "
           "and what the ReLU net of 07 gains over 07's linear model:", "",
           "| pair | baseline | linear, 05 | linear, 07 | ReLU net, 07 | ReLU gain |", "|---|---|---|---|---|---|"]
    for r, acc in hardest:
        gain = acc.get("relu", float("nan")) - acc.get("linear_07", float("nan"))
        out.append(f"| {r['pair'][0]} vs {r['pair'][1]} | {r['baseline']:.2%} | {acc['minibatch']:.2%} | "
                   f"{acc.get('linear_07', float('nan')):.2%} | {acc.get('relu', float('nan')):.2%} | "
                   f"{gain * 100:+.2f} points |")
    out += ["", "## Worst case above the baseline", "",
            "For each model, the smallest margin over the pixel-similarity baseline among all passing pairs "
            "(accuracy minus baseline), and the pair where it occurs:", "",
            "| model (notebook) | smallest margin | pair | largest margin |", "|---|---|---|---|"]
    for role, label in [("full_batch", "linear, full batch (04)"), ("minibatch", "linear, minibatch (05)"),
                        ("learner", "linear, Learner (06)"), ("linear_07", "linear (07)"), ("relu", "ReLU net (07)")]:
        margins = [(acc[role] - r["baseline"], r) for r, acc in rows if role in acc]
        if margins:
            low, r = min(margins, key=lambda m: m[0])
            out.append(f"| {label} | {low * 100:+.2f} points | {r['pair'][0]} vs {r['pair'][1]} | "
                       f"{max(m for m, _ in margins) * 100:+.2f} points |")
    return out + [""]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", nargs="*", help="e.g. 3,5 4,9 (default: all 45)")
    ap.add_argument("--jobs", type=int, default=2, help="pairs run at once (default 2: one per core)")
    ap.add_argument("--redo", action="store_true", help="run pairs again even when build/pairs/ has their result")
    ap.add_argument("--report", action="store_true", help="only rewrite docs/pairs.md from build/pairs/")
    ap.add_argument("--reuse", action="store_true",
                    help="keep results from older commits too (the table names each pair's commit)")
    ap.add_argument("--command", default="make pairs", help="the command named in docs/pairs.md")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    if not args.report:
        pairs = parse_pairs(args.pairs) if args.pairs else ALL_PAIRS
        tree, commit, digest = snapshot()
        todo = [p for p in pairs if args.redo or cached(p, None if args.reuse else digest) is None]
        kind, base = baselines(todo, tree) if todo else (None, {})
        todo.sort(key=lambda p: base[p])  # the hardest pairs first: a sweep cut short still has them
        print(f"Sweep of {len(pairs)} pairs at commit {commit} (code {digest}): {len(pairs) - len(todo)} already done, "
              f"{len(todo)} to run on data: {kind}, {args.jobs} at a time, lowest baseline first; "
              f"logs in {OUT.relative_to(ROOT)}/", flush=True)

        def one(pair):
            r = run_pair(pair, tree, commit, digest, baseline=base[pair], kind=kind)
            bad = [f"{nb}: {x['error']}" for nb, x in sorted(r["notebooks"].items()) if not x["ok"]]
            print(f"  {pair[0]} vs {pair[1]}: {'pass' if r['ok'] else 'FAILED'} in {r['seconds'] / 60:.1f} min, "
                  f"baseline {r['baseline']:.4f}" + (f"; {'; '.join(bad)}" if bad else ""), flush=True)
            return r

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            list(pool.map(one, todo))
    results = load_results()
    latest = digest if not args.report else max(results, key=lambda r: r["date"])["code"] if results else None
    stale = [] if args.reuse else [r for r in results if r["code"] != latest]
    results = [r for r in results if r not in stale]
    if stale:
        print(f"  ({len(stale)} results in build/pairs/ are for older code and left out of the report)", flush=True)
    doc = report(results, args.command)
    print(f"{doc.relative_to(ROOT)}: {len(results)} pairs, {sum(r['ok'] for r in results)} pass", flush=True)
    return 0 if results and all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
