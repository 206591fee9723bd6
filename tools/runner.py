"""The one notebook runner, on papermill: `make run`, `make notebooks`, `make pairs` and `make bench` all call `run`.

papermill runs the notebook in a fresh kernel (cwd = its folder), injects parameters after the cell
tagged `parameters`, keeps what ran when a cell fails and names that cell (PapermillExecutionError).
What papermill adds to a notebook (its metadata, the error-marker cells) is taken out of the copy
written to `dest`, so a committed notebook looks as a plain top-to-bottom run in Jupyter leaves it.
"""

import os
import re
import tempfile
import time
from pathlib import Path

import nbformat

from nbhelpers.setup import RESULTS  # the mime type of a headline's recorded numbers

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MARKER = "papermill-error-cell-tag"


class NotebookFailed(Exception):
    "A notebook stopped at a cell: `report` says where and why, `partial` is the file with what ran."

    def __init__(self, report, partial, seconds):
        super().__init__(report["error"])
        self.report, self.partial, self.seconds = report, partial, seconds


def write_atomically(path, text):
    "Write `text` to a new file beside `path`, then rename it: readers see the old file or the new one."
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def failed_path(dest):
    "build/.../05_minibatch_sgd.ipynb -> build/.../05_minibatch_sgd.failed.ipynb"
    return Path(dest).with_suffix(".failed.ipynb")


def clean(nb, markers=False):
    "`nb` without papermill's metadata and timings (and its error-marker cells unless `markers`)."
    nb.metadata.pop("papermill", None)
    nb.cells = [c for c in nb.cells if markers or MARKER not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.metadata.get("tags") == []:  # papermill gives every cell a tags list
            del cell.metadata["tags"]
    return nb


def run(src, dest=None, parameters=None, failed=None, cwd=None, timeout=900, **hooks):
    """Execute notebook `src` (a path or a NotebookNode) and write it to `dest` (None: nowhere); return
    (notebook, seconds, per-cell seconds). On failure write what ran to `failed` (default: NN.failed.ipynb
    beside `dest`) and raise NotebookFailed. `hooks` go to nbclient (on_cell_start, on_cell_executed)."""
    import logging

    import papermill
    from papermill.exceptions import PapermillExecutionError

    # papermill cannot read `a, b = 2, 6` as parameters and would warn "Passed unknown parameter" for each
    logging.getLogger("papermill").setLevel(logging.ERROR)

    cwd = Path(cwd or (Path(src).parent if isinstance(src, (str, Path)) else "."))
    failed = Path(failed) if failed else failed_path(dest) if dest else None
    scratch = Path(tempfile.mkdtemp(prefix="runner-"))
    out = scratch / "out.ipynb"  # papermill saves here after every cell, and when a cell fails
    os.environ["NBHELPERS_QUIET"] = "1"  # stored outputs must not depend on who ran them: no progress bars
    start = time.perf_counter()
    try:
        nb = papermill.execute_notebook(
            src if isinstance(src, nbformat.NotebookNode) else str(src), str(out), parameters=parameters or None,
            kernel_name="python3", progress_bar=False, cwd=str(cwd), execution_timeout=timeout,
            record_timing=False, extra_arguments=["--log-level=ERROR"], **hooks)
    except Exception as error:  # a failing cell, a timeout, a dead kernel: keep what ran
        seconds = time.perf_counter() - start
        partial = nbformat.read(out, as_version=4) if out.exists() else nbformat.v4.new_notebook()
        report = failure_report(clean(nbformat.from_dict(partial)), error)
        if failed:
            write_atomically(failed, nbformat.writes(clean(partial, markers=True)) + "\n")
        in_place = isinstance(src, (str, Path)) and dest and Path(src).resolve() == Path(dest).resolve()
        if dest and not in_place and Path(dest).exists():
            Path(dest).unlink()  # an earlier run's complete copy would be mistaken for this run's
        raise NotebookFailed(report, failed, seconds) from (None if isinstance(error, PapermillExecutionError) else error)
    finally:
        out.unlink(missing_ok=True)
        scratch.rmdir()
    seconds = time.perf_counter() - start
    durations = [c.metadata.get("papermill", {}).get("duration") for c in nb.cells]
    clean(nb)
    if dest:
        write_atomically(dest, nbformat.writes(nb) + "\n")
    if failed and failed.exists():
        failed.unlink()
    return nb, seconds, durations


def plain(text):
    "Text without terminal colour codes."
    return ANSI.sub("", text or "")


def failure_report(nb, error):
    """Where notebook `nb` (as run, without papermill's marker cells) stopped and why, in plain text:
    {cell (its index in the source notebook), execution_count, first_line, line, error}."""
    if getattr(error, "ename", None):  # papermill's PapermillExecutionError names the cell
        index, count, source = error.cell_index, error.exec_count, error.source
        message = f"{error.ename}: {plain(error.evalue).strip()}".rstrip(": ")
        marks = re.findall(r"^-+>\s*(\d+)\s?(.*)$", plain("\n".join(error.traceback)), re.M)
        line = f"line {marks[0][0]}: {marks[0][1].strip()}" if marks else ""
    else:  # a timeout or a dead kernel leaves no traceback: the last cell that started
        started = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.get("execution_count")]
        index, cell = started[-1] if started else (None, None)
        count, source = (cell.execution_count, cell.source) if cell else (None, "")
        text = plain(str(error)).strip()
        message = f"{type(error).__name__}: {text.splitlines()[-1] if text else ''}".rstrip(": ")
        line = ""
    message = " ".join(message.split())
    if index is not None:  # the index in the source notebook, before papermill injected its parameters cell
        index -= sum(i < index for i, c in enumerate(nb.cells) if "injected-parameters" in c.metadata.get("tags", []))
    return {"cell": index, "execution_count": count, "first_line": (source.strip().splitlines() or [""])[0],
            "line": line, "error": message if len(message) < 400 else message[:400] + " ..."}


def describe(failure, indent=""):
    "A failure as a reader needs it: the cell, the line, the error, and where the partial run is."
    count = f" In [{failure['execution_count']}]" if failure.get("execution_count") else ""
    lines = [f"cell {failure['cell']}{count}, which starts: {failure['first_line']}"]
    if failure.get("line") and failure["line"].split(": ", 1)[-1] != failure["first_line"]:
        lines.append(failure["line"])
    lines += [failure["error"], f"what ran, with the traceback under that cell: {failure['executed']}"]
    return "\n".join(indent + line for line in lines)


def headline(nb):
    """(sentence, numbers) of the cell tagged `headline`: the sentence it shows and the numbers it recorded
    with nbhelpers.setup.record ({} for a cell that only prints its sentence)."""
    for cell in nb.cells:
        if "headline" not in cell.get("metadata", {}).get("tags", []):
            continue
        sentence, numbers = "", {}
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if RESULTS in data:
                return data.get("text/plain", sentence), dict(data[RESULTS])
            text = "".join(out.get("text") or data.get("text/plain", "")).strip().strip("'\"")
            sentence = sentence or (text.splitlines() or [""])[0]
        return sentence, numbers
    return "", {}
