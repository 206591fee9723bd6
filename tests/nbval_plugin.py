"""A pytest plugin for the notebook tests (loaded with -p in pyproject.toml, so it is active however
pytest is started): which nbval mode ran, in the header and the summary; no progress bars in the
kernels."""

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
    os.environ["NBHELPERS_QUIET"] = "1"  # the kernels inherit it: no progress bar in any output
