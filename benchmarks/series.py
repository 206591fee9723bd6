"""Execute notebooks the way `make run` does (nbclient, a fresh kernel each) and measure them.

For each notebook: the wall time of the whole run (kernel start, every cell, shutdown), the
kernel's start-up, the slowest cells, and the kernel process's peak resident memory (VmHWM
from /proc, read after every cell; the peak never decreases, so the last reading is the peak).
"""

import subprocess
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

FLOOR_SOURCE = "import torch"


def floor_notebook(like):
    "A notebook whose only cell is `import torch`, with the same kernel as `like`."
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FLOOR_SOURCE)])
    nb.metadata.update({k: v for k, v in like.metadata.items() if k in ("kernelspec", "language_info")})
    return nb


def _peak_kib(pid):
    "VmHWM of process `pid` and of its descendants (KiB): {'kernel': .., 'children': ..}."
    def hwm(p):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    children = 0
    try:
        import psutil

        children = sum(hwm(c.pid) for c in psutil.Process(pid).children(recursive=True))
    except Exception:  # psutil missing or the process gone: the kernel's own figure is what matters
        pass
    return {"kernel": hwm(pid), "children": children}


def run_notebook(nb, cwd, timeout=900, top=3):
    "Execute `nb` (a NotebookNode; not modified) in a fresh kernel; figures as a dict."
    nb = nbformat.from_dict(nb)  # a copy: outputs go here, never into the caller's notebook
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})
    started, cells, peak = {}, {}, {"kernel": 0, "children": 0}
    first_cell = []

    def pid():
        try:
            return client.km.provisioner.process.pid
        except AttributeError:
            return None

    def on_cell_start(cell, cell_index):
        if not first_cell:
            first_cell.append(time.perf_counter())
        started[cell_index] = time.perf_counter()

    def on_cell_executed(cell, cell_index, execute_reply):
        cells[cell_index] = time.perf_counter() - started[cell_index]
        p = pid()
        if p:
            now = _peak_kib(p)
            peak.update({k: max(peak[k], now[k]) for k in peak})

    client.on_cell_start = on_cell_start
    client.on_cell_executed = on_cell_executed
    start = time.perf_counter()
    error = None
    try:
        # The kernel's own stderr (ipykernel's start-up warnings) is not the notebook's output.
        client.execute(stderr=subprocess.DEVNULL)
    except Exception as e:  # a failing notebook is reported, not fatal to the benchmark
        error = f"{type(e).__name__}: {str(e).strip().splitlines()[-1] if str(e).strip() else ''}"[:300]
    wall = time.perf_counter() - start
    code = [c for c in nb.cells if c.cell_type == "code"]
    slow = sorted(((t, i) for i, t in cells.items()), reverse=True)[:top]
    return {
        "seconds": round(wall, 3),
        "kernel_start_s": round(first_cell[0] - start, 3) if first_cell else None,
        "cells_s": round(sum(cells.values()), 3),
        "peak_rss_mib": round(peak["kernel"] / 1024, 1),
        "children_peak_rss_mib": round(peak["children"] / 1024, 1),
        "code_cells": len(code),
        "slowest_cells": [{"index": i, "seconds": round(t, 3),
                           "source": nb.cells[i].source.splitlines()[0][:80] if nb.cells[i].source else ""}
                          for t, i in slow],
        "error": error,
    }


def series_notebooks(folder):
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def measure(folder, paths, reps, log=print):
    "Each notebook in `paths` and its floor twin, interleaved (A, B; then B, A on the next repetition)."
    notebooks = {Path(p).name: nbformat.read(p, as_version=4) for p in paths}
    runs = {name: {"notebook": [], "floor": []} for name in notebooks}
    for rep in range(reps):
        for name, nb in notebooks.items():
            pair = [("notebook", nb), ("floor", floor_notebook(nb))]
            if rep % 2:
                pair.reverse()
            for kind, book in pair:
                result = run_notebook(book, folder)
                runs[name][kind].append(result)
                log(f"  series rep {rep + 1}/{reps} {name} {kind}: {result['seconds']:.1f} s, "
                    f"peak {result['peak_rss_mib']:.0f} MiB" + (f"  ERROR {result['error']}" if result["error"] else ""))
    return runs
