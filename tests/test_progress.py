"""nbhelpers.progress: a bar in an interactive notebook, nothing in tests, CI or under nbval."""

import nbformat
import pytest

from nbhelpers import progress as prog
from nbhelpers.progress import QUIET_VARS, progress, show_progress


@pytest.mark.parametrize("make", [lambda: [1, 2, 3], lambda: range(5), lambda: (x for x in "abc"), lambda: []],
                         ids=["list", "range", "generator", "empty"])
def test_yields_exactly_the_items(make):
    assert list(progress(make(), desc="x")) == list(make())


def test_quiet_outside_a_notebook(capsys, monkeypatch):
    for v in QUIET_VARS:
        monkeypatch.delenv(v, raising=False)
    assert not show_progress()  # pytest is not a Jupyter kernel
    assert list(progress(range(3))) == [0, 1, 2]
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("var", QUIET_VARS)
def test_each_quiet_variable_silences_it_even_in_a_notebook(monkeypatch, var):
    monkeypatch.setattr(prog, "_in_notebook", lambda: True)
    for v in QUIET_VARS:
        monkeypatch.delenv(v, raising=False)
    assert show_progress()
    monkeypatch.setenv(var, "1")
    assert not show_progress()
    for off in ("", "0"):  # empty or "0" means not set
        monkeypatch.setenv(var, off)
        assert show_progress()


def _run(code):
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    return nb.cells[0].outputs


def test_a_bar_in_a_real_kernel_and_quiet_with_the_variable():
    clear = "import os\nfor v in %r: os.environ.pop(v, None)\n" % (QUIET_VARS,)
    loop = "from nbhelpers.progress import progress\nout = [x * 2 for x in progress(range(50), desc='demo')]\nprint(sum(out))"
    shown = _run(clear + loop)
    assert any(o.output_type in ("display_data", "update_display_data") for o in shown), shown
    assert any(o.output_type == "stream" and o.text.strip() == "2450" for o in shown)
    quiet = _run(clear + "os.environ['NBHELPERS_QUIET'] = '1'\n" + loop)
    assert [(o.output_type, o.text.strip()) for o in quiet] == [("stream", "2450")]
