"""`make run`: execute the notebook series into build/ and print a short summary.

    python tools/run_series.py                # 2 vs 6: build/notebooks/, build/html/
    python tools/run_series.py --pair 3,8     # 3 vs 8: build/pair-3-8/notebooks/, .../html/

The committed notebooks in notebooks/ are only read, never written. Every executed copy is
written to a temporary file first and then renamed, so an interrupted run leaves complete
notebooks or none, and the next run simply starts again.
"""

import argparse
import html
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from atomic import write_atomically  # noqa: E402
from execute_notebooks import execute  # noqa: E402

from nbhelpers.data import mnist_path  # noqa: E402


def parse_pair(text):
    "'3,8' -> (3, 8), with an error that says what is expected."
    m = re.fullmatch(r"\s*(\d)\s*,\s*(\d)\s*", text or "")
    if not m or m.group(1) == m.group(2):
        raise SystemExit(f"PAIR={text!r} is not two different digits 0-9 separated by a comma; try PAIR=3,8")
    return int(m.group(1)), int(m.group(2))


def has_parameters(nb):
    return any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells)


def headline(nb):
    "The first line printed by the cell tagged 'headline', or '' when there is none."
    for cell in nb.cells:
        if "headline" not in cell.get("metadata", {}).get("tags", []):
            continue
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("data", {}).get("text/plain", "")
            text = "".join(text).strip().strip("'\"")
            if text:
                return text.splitlines()[0]
    return ""


def title(nb):
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


def write_html(executed, out_dir, rows, pair, source):
    "One HTML page per executed notebook, and an index linking them in order."
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    out_dir.mkdir(parents=True, exist_ok=True)
    for nb, row in zip(executed, rows):
        body, _ = exporter.from_notebook_node(nb)
        write_atomically(out_dir / row["html"], body)
    items = "\n".join(
        f'<tr><td><a href="{html.escape(r["html"])}">{html.escape(r["notebook"])}</a></td>'
        f'<td>{html.escape(r["title"])}</td><td>{r["seconds"]:.1f} s</td><td>{html.escape(r["headline"])}</td></tr>'
        for r in rows)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A neural net from scratch: digits {pair[0]} vs {pair[1]}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}}</style>
</head><body>
<h1>A neural net from scratch: digits {pair[0]} vs {pair[1]}</h1>
<p>{html.escape(source)}</p>
<table><thead><tr><th>notebook</th><th>what it teaches</th><th>run time</th><th>headline</th></tr></thead>
<tbody>
{items}
</tbody></table>
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


def _clear_leftovers(folder):
    "Remove temporary files an interrupted run may have left."
    if folder.exists():
        for leftover in folder.rglob(".*.tmp"):
            leftover.unlink()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pair", default="2,6", help="the two digits, e.g. 3,8 (default 2,6)")
    ap.add_argument("--notebooks", nargs="*", help="run only these notebooks (default: all)")
    ap.add_argument("--no-html", action="store_true", help="skip the HTML book")
    ap.add_argument("--build", help="output folder (default: build/, or build/pair-A-B/ for another pair)")
    args = ap.parse_args(argv)
    pair = parse_pair(args.pair)
    default = pair == (2, 6)
    build = ROOT / "build" if default else ROOT / "build" / f"pair-{pair[0]}-{pair[1]}"
    build = Path(args.build).resolve() if args.build else build
    nb_dir, html_dir = build / "notebooks", build / "html"

    found = mnist_path()  # prints the data source first, e.g. "MNIST: offline sample ..."
    print(f"Running the series for digits {pair[0]} vs {pair[1]} into {_show(nb_dir)}/", flush=True)
    _clear_leftovers(build)

    import nbformat

    sources = [Path(p) for p in args.notebooks] if args.notebooks else sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    rows, executed, failed = [], [], None
    for src in sources:
        nb = nbformat.read(src, as_version=4)
        if not default and not has_parameters(nb):
            print(f"  {src.name}: skipped (it has no parameters cell, so it is not about a pair)", flush=True)
            continue
        try:
            done, seconds = execute(src, nb_dir / src.name, parameters=None if default else {"a": pair[0], "b": pair[1]})
        except Exception as e:  # a failing cell: say which notebook, keep what ran
            failed = f"{src.name}: {type(e).__name__}: {str(e).strip().splitlines()[-1] if str(e).strip() else ''}"
            print(f"  {src.name}: FAILED ({failed})", flush=True)
            break
        row = {"notebook": src.stem, "title": title(done), "seconds": round(seconds, 1),
               "headline": headline(done), "html": f"{src.stem}.html", "executed": _show(nb_dir / src.name)}
        rows.append(row)
        executed.append(done)
        print(f"  {src.stem:<24} {seconds:6.1f} s   {row['headline']}", flush=True)

    summary = {"pair": list(pair), "source": found.notice, "kind": found.kind, "notebooks": rows,
               "total_seconds": round(sum(r["seconds"] for r in rows), 1), "failed": failed}
    build.mkdir(parents=True, exist_ok=True)
    write_atomically(build / "summary.json", json.dumps(summary, indent=2))
    if rows and not args.no_html:
        write_html(executed, html_dir, rows, pair, found.notice)
        print(f"Book: {_show(html_dir / 'index.html')}", flush=True)
    print(f"Total: {summary['total_seconds']:.1f} s for {len(rows)} notebooks; summary in "
          f"{_show(build / 'summary.json')}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
