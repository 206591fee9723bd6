"""Execute notebooks top to bottom in a fresh kernel (tools.runner), in place or into a folder.

    python -m tools.execute_notebooks notebooks/01_data_vectorizing.ipynb ...   # in place
    python -m tools.execute_notebooks --out build/ notebooks/*.ipynb              # copies

In place is for developers refreshing the committed outputs (`make notebooks`, on the full
set); `make run` always writes copies under build/ and never touches notebooks/. A notebook that
fails is left as it was; what ran goes to build/failed/NN_name.failed.ipynb.
"""

import argparse
import sys
from pathlib import Path

from tools.runner import NotebookFailed, describe, run

ROOT = Path(__file__).resolve().parent.parent


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--out", help="folder for the executed copies (default: rewrite in place)")
    args = ap.parse_args(argv)
    failures = 0
    for src in map(Path, args.notebooks):
        dest = Path(args.out) / src.name if args.out else src
        try:
            _, seconds, _ = run(src, dest, failed=ROOT / "build" / "failed" / f"{src.stem}.failed.ipynb")
        except NotebookFailed as e:
            failures += 1
            print(f"{src.name}: FAILED after {e.seconds:.1f} s\n" + describe({**e.report, "executed": e.partial}, "    "),
                  flush=True)
            continue
        print(f"{src.name}: {seconds:.1f} s -> {dest}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
