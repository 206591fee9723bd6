"""setup_notebook: seeds, one thread, quiets only the named library warnings, prints nothing, returns None."""

import random
import warnings

import torch

from nbhelpers.setup import QUIET, setup_notebook


def test_returns_none_prints_nothing_and_seeds(capsys):
    threads = torch.get_num_threads()
    try:
        with warnings.catch_warnings():
            assert setup_notebook() is None, "the set-up cell must not show a value"
            first = (random.random(), torch.rand(1).item())
            setup_notebook()
            assert (random.random(), torch.rand(1).item()) == first, "the same seed must give the same numbers"
            assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
    assert capsys.readouterr() == ("", "")


def test_only_the_named_warnings_are_quiet():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        setup_notebook()
        for category, message in QUIET:
            warnings.warn(message.replace("\\", "") + " (from a library)", category)
        warnings.warn("Using a target size that is different to the input size (broadcasting)", UserWarning)
        warnings.warn("some other library's future change", FutureWarning)
    assert [str(w.message) for w in seen] == ["Using a target size that is different to the input size (broadcasting)",
                                              "some other library's future change"], \
        "only the warnings named in nbhelpers.setup.QUIET may be silenced; torch's broadcasting warnings are the lesson"
