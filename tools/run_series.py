"""`make run`: execute the notebook series into build/ and print a short summary.

    python -m tools.run_series                # as committed (2 vs 6): build/notebooks/, build/html/
    python -m tools.run_series --pair 3,8     # 3 vs 8: build/pair-3-8/notebooks/, .../html/

The committed notebooks in notebooks/ are only read, never written. Every executed copy is
written to a temporary file first and then renamed, so an interrupted run leaves complete
notebooks or none, and the next run simply starts again.

When a notebook fails, the run says which notebook, which cell (its first line) and the error,
in plain text (from papermill's error, tools/runner.py); writes what ran to build/.../NN_name.failed.ipynb (open it: the failing cell
shows its traceback); and goes on with the next notebook.  No notebook depends on another's
results: each one loads its own data and imports what earlier notebooks taught from nbhelpers.
The run exits with status 1 and its summary lists every failure.
"""

import argparse
import html
import json
import re
import sys
import time
from pathlib import Path

from nbhelpers.data import mnist_path
from tools.runner import NotebookFailed, describe, headline, run, write_atomically

ROOT = Path(__file__).resolve().parent.parent


def parse_pair(text):
    "'3,8' -> (3, 8), with an error that says what is expected."
    m = re.fullmatch(r"\s*(\d)\s*,\s*(\d)\s*", text or "")
    if not m or m.group(1) == m.group(2):
        raise SystemExit(f"PAIR={text!r} is not two different digits 0-9 separated by a comma; try PAIR=3,8")
    return int(m.group(1)), int(m.group(2))


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def title(nb):
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


def write_html(executed, out_dir, rows, pair, source):
    name = "A neural net from scratch" + (f": digits {pair[0]} vs {pair[1]}" if pair else "")
    "One HTML page per executed notebook, and an index linking them in order."
    from nbconvert import HTMLExporter

    from tools.teaching import book_pages

    exporter = HTMLExporter(template_name="lab")
    out_dir.mkdir(parents=True, exist_ok=True)
    for nb, row in zip(executed, rows):
        body, _ = exporter.from_notebook_node(nb)
        write_atomically(out_dir / row["html"], body)
    items = "\n".join(
        f'<tr><td><a href="{html.escape(r["html"])}">{html.escape(r["notebook"])}</a></td>'
        f'<td>{html.escape(r["title"])}</td><td>{r["seconds"]:.1f} s</td><td>{html.escape(r["headline"])}</td></tr>'
        for r in rows)
    guides = "".join(f'<li><a href="{html.escape(href)}">{html.escape(t)}</a></li>' for href, t in book_pages(out_dir))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{name}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}}</style>
</head><body>
<h1>{name}</h1>
<p>{html.escape(source)}</p>
<table><thead><tr><th>notebook</th><th>what it teaches</th><th>run time</th><th>headline</th></tr></thead>
<tbody>
{items}
</tbody></table>
<h2>For teachers</h2>
<ul>{guides}</ul>
<p>Executed {time.strftime('%Y-%m-%d %H:%M')} by <code>make run</code>.</p>
</body></html>
"""
    write_atomically(out_dir / "index.html", page)


def _show(path):
    "A path relative to the project when it is inside it."
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pair", help="the two digits, e.g. 3,8 (default: the notebooks' own, into build/)")
    ap.add_argument("--notebooks", nargs="*", help="run only these notebooks (default: all)")
    ap.add_argument("--no-html", action="store_true", help="skip the HTML book")
    ap.add_argument("--build", help="output folder (default: build/, or build/pair-A-B/ for --pair A,B)")
    args = ap.parse_args(argv)
    pair = parse_pair(args.pair) if args.pair else None
    build = ROOT / "build" / (f"pair-{pair[0]}-{pair[1]}" if pair else "")
    build = Path(args.build).resolve() if args.build else build
    nb_dir, html_dir = build / "notebooks", build / "html"

    found = mnist_path()  # prints the data source first, e.g. "MNIST: offline sample ..."
    what = f"digits {pair[0]} vs {pair[1]}" if pair else "the notebooks as committed"
    print(f"Running the series for {what} into {_show(nb_dir)}/", flush=True)
    for leftover in build.rglob(".*.tmp") if build.exists() else []:  # what an interrupted run left
        leftover.unlink()

    import nbformat

    sources = [Path(p) for p in args.notebooks] if args.notebooks else sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    rows, executed, failures = [], [], []
    for src in sources:
        if pair and not any("parameters" in tags(c) for c in nbformat.read(src, as_version=4).cells):
            print(f"  {src.name}: skipped (it has no parameters cell, so it is not about a pair)", flush=True)
            continue
        try:
            done, seconds, _ = run(src, nb_dir / src.name, parameters=pair and {"a": pair[0], "b": pair[1]})
        except NotebookFailed as e:  # say where and why, keep what ran, go on: no notebook needs another's results
            failure = {"notebook": src.stem, "seconds": round(e.seconds, 1), "executed": _show(e.partial), **e.report}
            failures.append(failure)
            print(f"  {src.stem:<24} {e.seconds:6.1f} s   FAILED", flush=True)
            print(describe(failure, indent="      "), flush=True)
            continue
        sentence, numbers = headline(done)
        row = {"notebook": src.stem, "title": title(done), "seconds": round(seconds, 1), "headline": sentence,
               "results": numbers, "html": f"{src.stem}.html", "executed": _show(nb_dir / src.name)}
        rows.append(row)
        executed.append(done)
        print(f"  {src.stem:<24} {seconds:6.1f} s   {sentence}", flush=True)

    summary = {"pair": list(pair) if pair else None, "source": found.notice, "kind": found.kind, "notebooks": rows,
               "total_seconds": round(sum(r["seconds"] for r in rows) + sum(f["seconds"] for f in failures), 1),
               "failed": failures}
    write_atomically(build / "summary.json", json.dumps(summary, indent=2))
    if rows and not args.no_html:
        write_html(executed, html_dir, rows, pair, found.notice)
        print(f"Book: {_show(html_dir / 'index.html')}", flush=True)
    print(f"Total: {summary['total_seconds']:.1f} s for {len(rows) + len(failures)} notebooks; summary in "
          f"{_show(build / 'summary.json')}", flush=True)
    if failures:
        print(f"FAILED: {len(failures)} of {len(rows) + len(failures)} notebooks "
              f"(the others ran: each notebook loads its own data)", flush=True)
        for f in failures:
            print(f"  {f['notebook']}: {f['error']}", flush=True)
            print(f"      in cell {f['cell']}, which starts `{f['first_line']}`; open {f['executed']}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
