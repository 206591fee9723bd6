"""A pytest plugin for the notebook tests (loaded with -p in pyproject.toml, so it is active however
pytest is started): which nbval mode ran, in the header and the summary; no progress bars in the
kernels; cells executed as Jupyter does."""

import os

# The nbval versions whose private RunningKernel.execute_cell_input this plugin replaces (checked
# by tests/test_nbval_plugin.py; on another version the patch is not applied).
NBVAL_VERSIONS = ("0.11.",)


def pytest_report_header(config):
    mode = os.environ.get("NBVAL_MODE")
    if mode:
        return f"notebook tests: {mode} mode ({os.environ.get('NBVAL_MODE_REASON', '')})"


def pytest_terminal_summary(terminalreporter):
    mode = os.environ.get("NBVAL_MODE")
    if mode:
        terminalreporter.write_sep("=", f"notebook tests ran in {mode.upper()} mode: "
                                   f"{os.environ.get('NBVAL_MODE_REASON', '')}")


def nbval_version_problem():
    "None when the installed nbval is one this plugin was written for; otherwise what to do, in plain words."
    import nbval

    if nbval.__version__.startswith(NBVAL_VERSIONS):
        return None
    return (f"tests/nbval_plugin.py was written for nbval {', '.join(v + 'x' for v in NBVAL_VERSIONS)} and replaces its "
            f"private RunningKernel.execute_cell_input, but nbval {nbval.__version__} is installed. Check that "
            "nbval still executes cells with store_history=False and that the method's signature is unchanged, "
            "then add the version to NBVAL_VERSIONS (or install the version in constraints.txt).")


def pytest_configure(config):
    """Run notebook cells as Jupyter does, with history on, so a trailing `;` hides a cell's value.

    nbval 0.10+ executes cells with store_history=False, and then IPython cannot see the `;`
    (nbval issue #194, still open in 0.11): `show_digits(...);` would print its Axes under test
    but not in Jupyter. Executing with history, as a notebook front end does, removes that
    difference; nbval does not compare execution counts.
    """
    os.environ["NBHELPERS_QUIET"] = "1"  # the kernels inherit it: no progress bar in any output
    if not (config.getoption("nbval", False) or config.getoption("nbval_lax", False)) or nbval_version_problem():
        return
    from nbval.kernel import RunningKernel

    def execute_cell_input(self, cell_input, allow_stdin=None):
        return self.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin, stop_on_error=False)

    RunningKernel.execute_cell_input = execute_cell_input
