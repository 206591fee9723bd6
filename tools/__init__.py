"""The project's tools, each run from the repository root as `python -m tools.NAME` (see the Makefile).
Files are written with nbhelpers.mnist.write_atomically; notebooks through nbformat.

    tools.run_tests          `make test`: unit tests, then the notebooks under nbval
    tools.execute_notebooks  `make notebooks`: re-execute notebooks in place (or into a folder)
    tools.check_notebooks    notebook hygiene (pre-commit, `make lint`), --fix-badges
    tools.run_series         `make run`: execute the series into build/
    tools.student            `make student`: the student edition
    tools.unpack_mnist       CI: unpack a mnist_png archive where fastai's untar_data would
    tools.pairs              `make pairs`: the series for every pair of digits
"""
