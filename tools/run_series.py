"""`make run`: execute the notebook series into build/, write an HTML book and print a short summary.

    python -m tools.run_series                # as committed (2 vs 6): build/notebooks/, build/html/
    python -m tools.run_series --pair 3,8     # 3 vs 8: build/pair-3-8/notebooks/, .../html/

notebooks/ is only read. A failing notebook is reported in plain text (cell, line, error), what ran is kept as
NN_name.failed.ipynb, and the run goes on (each notebook loads its own data), then exits 1 listing every failure.
The book: a page per notebook (nbconvert), an index, and docs/teaching.md and docs/cheatsheet.md (mistune).
"""

import argparse
import html
import json
import re
import sys
import time
from pathlib import Path

import mistune
import nbformat

from nbhelpers.data import mnist_path
from tools.check_notebooks import repository
from tools.runner import NotebookFailed, describe, headline, run, write_atomically

ROOT = Path(__file__).resolve().parent.parent
GUIDES = {"teaching": "Teacher's guide: routes, objectives, common mistakes, answers to the questions",
          "cheatsheet": "One page to print: the six steps and the shapes"}
STYLE = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}"
         "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left}"
         "@media print{body{font-size:8.5pt;line-height:1.25;margin:0}}")  # the cheat sheet: one printed page


def parse_pair(text):
    "'3,8' -> (3, 8), for argparse: an error says what is expected."
    m = re.fullmatch(r"\s*(\d)\s*,\s*(\d)\s*", text)
    if not m or m.group(1) == m.group(2):
        raise argparse.ArgumentTypeError(f"{text!r} is not two different digits 0-9 separated by a comma, e.g. 3,8")
    return int(m.group(1)), int(m.group(2))


def title(nb):
    "The notebook's first markdown heading."
    return next((line.lstrip("#").strip() for cell in nb.cells if cell.cell_type == "markdown"
                 for line in cell.source.splitlines() if line.startswith("#")), "")


def page(heading, markdown):
    "A page of the book, from Markdown."
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(heading)}</title>'
            f"<style>{STYLE}</style></head>\n<body>{mistune.html(markdown)}</body></html>\n")


def write_book(out_dir, executed, rows, pair, source):
    "A page per executed notebook, the teacher's guide and cheat sheet, and an index that links them in order."
    from nbconvert import HTMLExporter  # slow to import: only when a book is written

    exporter = HTMLExporter(template_name="lab")
    for nb, row in zip(executed, rows):
        write_atomically(out_dir / row["html"], exporter.from_notebook_node(nb)[0])
    for doc, heading in GUIDES.items():
        text = (ROOT / "docs" / f"{doc}.md").read_text(encoding="utf-8")
        text = re.sub(r"\]\((teaching|cheatsheet)\.md", r"](\1.html", text)  # links between the two stay in the book
        text = text.replace("](../", f"]({repository()}/blob/main/")  # the rest of the project: on GitHub
        write_atomically(out_dir / f"{doc}.html", page(heading, f"[The series](index.html)\n\n{text}"))
    name = "A neural net from scratch" + (f": digits {pair[0]} vs {pair[1]}" if pair else "")
    index = [f"# {name}", "", source, "", "| notebook | what it teaches | run time | headline |", "|---|---|---|---|",
             *(f"| [{r['notebook']}]({r['html']}) | {r['title']} | {r['seconds']:.1f} s | {r['headline']} |" for r in rows),
             "", "## For teachers", "", *(f"* [{heading}]({doc}.html)" for doc, heading in GUIDES.items()), "",
             f"Executed {time.strftime('%Y-%m-%d %H:%M')} by `make run`."]
    write_atomically(out_dir / "index.html", page(name, "\n".join(index)))


def shown(path):
    "A path as the run prints it: relative to the project when inside it."
    return str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pair", type=parse_pair, help="the two digits, e.g. 3,8 (default: the notebooks' own)")
    ap.add_argument("--notebooks", nargs="*", type=Path, help="run only these notebooks (default: all)")
    ap.add_argument("--no-html", action="store_true", help="skip the HTML book")
    ap.add_argument("--build", type=Path, help="output folder (default: build/, or build/pair-A-B/ for --pair A,B)")
    args = ap.parse_args(argv)
    pair = args.pair
    build = (args.build or ROOT / "build" / (f"pair-{pair[0]}-{pair[1]}" if pair else "")).resolve()
    nb_dir = build / "notebooks"

    found = mnist_path()  # prints the data source first, e.g. "MNIST: offline sample ..."
    print(f"Running the series for {f'digits {pair[0]} vs {pair[1]}' if pair else 'the notebooks as committed'} "
          f"into {shown(nb_dir)}/", flush=True)
    for leftover in build.rglob(".*.tmp"):  # what an interrupted run left
        leftover.unlink()

    rows, executed, failures = [], [], []
    for src in args.notebooks or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        cells = nbformat.read(src, as_version=4).cells
        if pair and not any("parameters" in cell.metadata.get("tags", []) for cell in cells):
            print(f"  {src.name}: skipped (it has no parameters cell, so it is not about a pair)", flush=True)
            continue
        try:
            done, seconds, _ = run(src, nb_dir / src.name, parameters=pair and {"a": pair[0], "b": pair[1]})
        except NotebookFailed as e:  # say where and why, keep what ran, go on
            failures.append({"notebook": src.stem, "seconds": round(e.seconds, 1), "executed": shown(e.partial),
                             **e.report})
            print(f"  {src.stem:<24} {e.seconds:6.1f} s   FAILED\n{describe(failures[-1], indent='      ')}", flush=True)
            continue
        sentence, numbers = headline(done)
        rows.append({"notebook": src.stem, "title": title(done), "seconds": round(seconds, 1), "headline": sentence,
                     "results": numbers, "html": f"{src.stem}.html", "executed": shown(nb_dir / src.name)})
        executed.append(done)
        print(f"  {src.stem:<24} {seconds:6.1f} s   {sentence}", flush=True)

    total = round(sum(r["seconds"] for r in rows + failures), 1)
    summary = {"pair": list(pair) if pair else None, "source": found.notice, "kind": found.kind, "notebooks": rows,
               "total_seconds": total, "failed": failures}
    write_atomically(build / "summary.json", json.dumps(summary, indent=2))
    if rows and not args.no_html:
        write_book(build / "html", executed, rows, pair, found.notice)
        print(f"Book: {shown(build / 'html' / 'index.html')}")
    print(f"Total: {total:.1f} s for {len(rows) + len(failures)} notebooks; summary in {shown(build / 'summary.json')}")
    if failures:
        print(f"FAILED: {len(failures)} of {len(rows) + len(failures)} notebooks (the others ran: each loads its own data)")
        for f in failures:
            print(f"  {f['notebook']}: {f['error']} (cell {f['cell']}; open {f['executed']})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
