"""Execute notebooks top to bottom in a fresh kernel.

    python -m tools.execute_notebooks notebooks/01_data_vectorizing.ipynb ...   # in place
    python -m tools.execute_notebooks --out build/ notebooks/*.ipynb              # copies

In place is for developers refreshing the committed outputs (`make notebooks`, on the full
set); `make run` always writes copies under build/ and never touches notebooks/.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from nbhelpers.mnist import write_atomically


def execute(src, dest, parameters=None, timeout=900):
    "Run notebook `src` in a fresh kernel (cwd = its folder) and write it to `dest` atomically."
    nb = nbformat.read(src, as_version=4)
    if parameters:
        inject_parameters(nb, parameters)
    # Stored outputs must not depend on who ran them: no progress bars, no per-cell timestamps
    # (neither new ones nor those an older run left behind).
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    os.environ["NBHELPERS_QUIET"] = "1"
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            extra_arguments=["--log-level=ERROR"],
                            resources={"metadata": {"path": str(Path(src).parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    write_atomically(dest, nbformat.writes(nb) + "\n")
    return nb, seconds


def inject_parameters(nb, parameters):
    "Insert a cell that sets `parameters` right after the cell tagged 'parameters' (papermill's way)."
    code = "# Parameters injected by the runner\n" + "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
    cell = nbformat.v4.new_code_cell(code, metadata={"tags": ["injected-parameters"]})
    for i, c in enumerate(nb.cells):
        if "parameters" in c.get("metadata", {}).get("tags", []):
            nb.cells.insert(i + 1, cell)
            return
    raise SystemExit("no cell tagged 'parameters' in the notebook: cannot inject " + code)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--out", help="folder for the executed copies (default: rewrite in place)")
    args = ap.parse_args(argv)
    for src in args.notebooks:
        dest = Path(args.out) / Path(src).name if args.out else Path(src)
        _, seconds = execute(src, dest)
        print(f"{Path(src).name}: {seconds:.1f} s -> {dest}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
