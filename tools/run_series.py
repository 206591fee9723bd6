"""`make run`: execute the notebook series into build/ and print a short summary.

    python -m tools.run_series                # 2 vs 6: build/notebooks/, build/html/
    python -m tools.run_series --pair 3,8     # 3 vs 8: build/pair-3-8/notebooks/, .../html/

The committed notebooks in notebooks/ are only read, never written. Every executed copy is
written to a temporary file first and then renamed, so an interrupted run leaves complete
notebooks or none, and the next run simply starts again.

When a notebook fails, the run says which notebook, which cell (its first line) and the error,
in plain text; writes what ran to build/.../NN_name.failed.ipynb (open it: the failing cell
shows its traceback); and goes on with the next notebook.  No notebook depends on another's
results: each one loads its own data and imports what earlier notebooks taught from nbhelpers.
The run exits with status 1 and its summary lists every failure.
"""

import argparse
import html
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also run as a script (make pairs runs a snapshot's copy by its path)
    sys.path.insert(0, str(ROOT))

from nbhelpers.mnist import mnist_path, write_atomically  # noqa: E402
from tools.execute_notebooks import inject_parameters  # noqa: E402


def parse_pair(text):
    "'3,8' -> (3, 8), with an error that says what is expected."
    m = re.fullmatch(r"\s*(\d)\s*,\s*(\d)\s*", text or "")
    if not m or m.group(1) == m.group(2):
        raise SystemExit(f"PAIR={text!r} is not two different digits 0-9 separated by a comma; try PAIR=3,8")
    return int(m.group(1)), int(m.group(2))


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class NotebookFailed(Exception):
    "A notebook stopped at a cell; `report` says where and why, `partial` is what had run."

    def __init__(self, report, partial, seconds):
        super().__init__(report["error"])
        self.report, self.partial, self.seconds = report, partial, seconds


def execute(src, dest, parameters=None, timeout=900):
    """Run `src` in a fresh kernel (cwd = its folder), as tools/execute_notebooks.execute does, and
    write it to `dest`; when a cell fails, write what ran to NN_name.failed.ipynb beside `dest`
    instead and raise NotebookFailed."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(src, as_version=4)
    if parameters:
        inject_parameters(nb, parameters)
    for cell in nb.cells:  # no timestamps an older run left behind
        cell.metadata.pop("execution", None)
    os.environ["NBHELPERS_QUIET"] = "1"  # stored outputs must not depend on who ran them
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            extra_arguments=["--log-level=ERROR"],
                            resources={"metadata": {"path": str(Path(src).parent)}})
    dest, partial = Path(dest), failed_path(dest)
    start = time.perf_counter()
    try:
        client.execute()
    except Exception as e:  # a failing cell, a timeout, a dead kernel: keep what ran
        seconds = time.perf_counter() - start
        write_atomically(partial, nbformat.writes(nb) + "\n")
        if dest.exists():  # an earlier run's complete copy would be mistaken for this run's
            dest.unlink()
        raise NotebookFailed(failure_report(nb, e), partial, seconds) from None
    seconds = time.perf_counter() - start
    write_atomically(dest, nbformat.writes(nb) + "\n")
    if partial.exists():
        partial.unlink()
    return nb, seconds


def failed_path(dest):
    "build/.../05_minibatch_sgd.ipynb -> build/.../05_minibatch_sgd.failed.ipynb"
    return Path(dest).with_suffix(".failed.ipynb")


def plain(text):
    "Text without terminal colour codes."
    return ANSI.sub("", text or "")


def failure_report(nb, error):
    "Where a notebook stopped and why, as plain text: {cell, first_line, line, error}."
    cell_no, cell = None, None
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code" and "raises-exception" not in c.get("metadata", {}).get("tags", []) \
                and any(o.get("output_type") == "error" for o in c.get("outputs", [])):
            cell_no, cell = i, c
    if cell is None:  # a timeout or a dead kernel leaves no error output: the last cell that started
        started = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.get("execution_count")]
        cell_no, cell = started[-1] if started else (None, None)
    if getattr(error, "ename", None):
        message = f"{error.ename}: {plain(error.evalue).strip()}" if plain(error.evalue).strip() else error.ename
    else:
        text = plain(str(error)).strip()
        message = f"{type(error).__name__}: {text.splitlines()[-1] if text else ''}".rstrip(": ")
    line = ""
    if cell is not None:
        tb = plain("\n".join("\n".join(o.get("traceback", [])) for o in cell.outputs if o.get("output_type") == "error"))
        marks = re.findall(r"^-+>\s*(\d+)\s?(.*)$", tb, re.M)
        if marks:
            line = f"line {marks[0][0]}: {marks[0][1].strip()}"
    first = (cell.source.strip().splitlines() or [""])[0] if cell is not None else ""
    count = cell.get("execution_count") if cell is not None else None
    return {"cell": cell_no, "execution_count": count, "first_line": first, "line": line,
            "error": " ".join(message.split()) if len(message) < 400 else message[:400] + " ..."}


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
    rows, executed, failures = [], [], []
    for src in sources:
        nb = nbformat.read(src, as_version=4)
        if not default and not has_parameters(nb):
            print(f"  {src.name}: skipped (it has no parameters cell, so it is not about a pair)", flush=True)
            continue
        try:
            done, seconds = execute(src, nb_dir / src.name, parameters=None if default else {"a": pair[0], "b": pair[1]})
        except NotebookFailed as e:  # say where and why, keep what ran, go on: no notebook needs another's results
            failure = {"notebook": src.stem, "seconds": round(e.seconds, 1), "executed": _show(e.partial), **e.report}
            failures.append(failure)
            print(f"  {src.stem:<24} {e.seconds:6.1f} s   FAILED", flush=True)
            print(describe(failure, indent="      "), flush=True)
            continue
        row = {"notebook": src.stem, "title": title(done), "seconds": round(seconds, 1),
               "headline": headline(done), "html": f"{src.stem}.html", "executed": _show(nb_dir / src.name)}
        rows.append(row)
        executed.append(done)
        print(f"  {src.stem:<24} {seconds:6.1f} s   {row['headline']}", flush=True)

    summary = {"pair": list(pair), "source": found.notice, "kind": found.kind, "notebooks": rows,
               "total_seconds": round(sum(r["seconds"] for r in rows) + sum(f["seconds"] for f in failures), 1),
               "failed": failures}
    build.mkdir(parents=True, exist_ok=True)
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
            print(f"      in the cell that starts `{f['first_line']}`; open {f['executed']}", flush=True)
    return 1 if failures else 0


def describe(failure, indent=""):
    "A failure as a reader needs it: the cell, the line, the error, and where the partial run is."
    count = f" In [{failure['execution_count']}]" if failure.get("execution_count") else ""
    lines = [f"cell{count}, which starts: {failure['first_line']}"]
    if failure.get("line") and failure["line"].split(": ", 1)[-1] != failure["first_line"]:
        lines.append(failure["line"])
    lines += [failure["error"], f"what ran, with the traceback under that cell: {failure['executed']}"]
    return "\n".join(indent + line for line in lines)


if __name__ == "__main__":
    sys.exit(main())
