"""Progress bars for long work (vectorizing thousands of images, training): shown to a person
in a notebook, silent in tests and CI.

    from nbhelpers.progress import progress
    for f in progress(files, desc="reading 2s"):
        ...

A bar is shown only when all of these hold:
* the code runs in a Jupyter kernel (an IPython kernel is running; a plain script or pytest is quiet);
* none of NBHELPERS_QUIET (any value but "" or "0"), CI, PYTEST_CURRENT_TEST, NBVAL_MODE is set
  (nbval and `make test` set the last two; most CI services set CI);
* fastprogress (which fastai brings) is installed; otherwise tqdm's notebook bar; otherwise none.
The bar is a widget-free HTML display that fastprogress clears, so it leaves no state in the
saved notebook.  Quiet or not, `progress` yields exactly the items of `iterable`.
"""

import os
import sys

__all__ = ["progress", "show_progress"]

QUIET_VARS = ("NBHELPERS_QUIET", "CI", "PYTEST_CURRENT_TEST", "NBVAL_MODE")


def _in_notebook():
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def show_progress():
    "True when a progress bar would be shown here (a notebook kernel, and no quiet variable set)."
    if any(os.environ.get(v, "") not in ("", "0") for v in QUIET_VARS):
        return False
    return _in_notebook()


def progress(iterable, total=None, desc=None):
    "Yield the items of `iterable`, with a progress bar in an interactive notebook (quiet in tests and CI)."
    if total is None:
        try:
            total = len(iterable)
        except TypeError:
            total = None
    if not show_progress():
        return iter(iterable)
    try:
        from fastprogress.fastprogress import progress_bar

        bar = progress_bar(iterable, total=total, leave=False)
        if desc:
            bar.comment = desc
        return iter(bar)
    except ImportError:
        pass
    try:
        from tqdm.auto import tqdm

        return iter(tqdm(iterable, total=total, desc=desc, leave=False))
    except ImportError:
        return iter(iterable)
