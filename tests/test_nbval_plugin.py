"""tests/nbval_plugin.py patches a private method of nbval: fail plainly when nbval is not a version it knows."""

import inspect

import nbval_plugin


def test_installed_nbval_is_one_the_plugin_was_written_for():
    problem = nbval_plugin.nbval_version_problem()
    assert problem is None, problem
    from nbval.kernel import RunningKernel

    assert list(inspect.signature(RunningKernel.execute_cell_input).parameters) == ["self", "cell_input", "allow_stdin"], \
        "nbval's RunningKernel.execute_cell_input changed its arguments: update tests/nbval_plugin.py"
