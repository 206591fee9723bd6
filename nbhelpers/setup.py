"""The first code cell of every notebook: `setup_notebook()` seeds, and quiets two named library warnings;
and the cell tagged `headline`: `record(sentence, name=number, ...)`."""

import random
import warnings

__all__ = ["setup_notebook", "record"]

SEED = 42
RESULTS = "application/vnd.nbhelpers.results+json"  # the mime type under which record() keeps a headline's numbers
# Chatter printed when fastai is imported, which differs from one torch or pandas release to the next.
# Every other warning stays: torch's broadcasting warnings are exactly what the series teaches.
QUIET = [(FutureWarning, r"`torch\.jit\.script` is deprecated"),
         (DeprecationWarning, r"The 'mode\.chained_assignment' option is deprecated")]


def setup_notebook(seed=SEED):
    "Seed Python, NumPy and torch with `seed`, use one torch thread, and quiet the warnings in QUIET; returns None."
    for category, message in QUIET:
        warnings.filterwarnings("ignore", message=message, category=category)
    random.seed(seed)
    import numpy as np
    import torch

    np.random.seed(seed)
    torch.manual_seed(seed)
    # One thread: small tensors gain nothing from a second, and sums add up in the same order on any machine.
    torch.set_num_threads(1)


def record(sentence, **numbers):
    "Every notebook's headline cell: show `sentence`, and keep its `numbers` as data for `make run` to read (summary.json)."
    from IPython.display import display

    display({"text/plain": sentence, RESULTS:
             {k: v if isinstance(v, int) else round(float(v), 4) for k, v in numbers.items()}}, raw=True)
