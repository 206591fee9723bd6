"""A pytest plugin for the notebook tests (loaded with -p in pyproject.toml, so it is active however
pytest is started): which nbval mode ran, in the header and the summary; cells executed as Jupyter does."""

import os


def pytest_report_header(config):
    mode = os.environ.get("NBVAL_MODE")
    if mode:
        return f"notebook tests: {mode} mode ({os.environ.get('NBVAL_MODE_REASON', '')})"


def pytest_terminal_summary(terminalreporter):
    mode = os.environ.get("NBVAL_MODE")
    if mode:
        terminalreporter.write_sep("=", f"notebook tests ran in {mode.upper()} mode: "
                                   f"{os.environ.get('NBVAL_MODE_REASON', '')}")


def pytest_configure(config):
    """Run notebook cells as Jupyter does, with history on, so a trailing `;` hides a cell's value.

    nbval 0.10+ executes cells with store_history=False, and then IPython cannot see the `;`
    (nbval issue #194, still open in 0.11): `show_digits(...);` would print its Axes under test
    but not in Jupyter. Executing with history, as a notebook front end does, removes that
    difference; nbval does not compare execution counts.
    """
    if not (config.getoption("nbval", False) or config.getoption("nbval_lax", False)):
        return
    from nbval.kernel import RunningKernel

    def execute_cell_input(self, cell_input, allow_stdin=None):
        return self.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin, stop_on_error=False)

    RunningKernel.execute_cell_input = execute_cell_input
