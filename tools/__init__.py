"""The project's tools, each run from the repository root as `python -m tools.NAME` (see the Makefile).

    tools.runner             the one notebook runner (papermill), used by the four below
    tools.execute_notebooks  `make notebooks`: re-execute notebooks in place (or into a folder)
    tools.run_series         `make run`: execute the series into build/
    tools.pairs              `make pairs`: the series for every pair of digits
    tools.run_tests          `make test`: unit tests, then the notebooks under nbval
    tools.check_notebooks    notebook hygiene (pre-commit, `make lint`), --fix-badges
    tools.student            `make student`: the student edition
"""
