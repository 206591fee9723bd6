"""tests/nbval_plugin.py patches a private method of nbval: fail plainly when nbval is not a version it knows."""

import inspect

import nbval_plugin
import pytest


def test_installed_nbval_is_one_the_plugin_was_written_for():
    problem = nbval_plugin.nbval_version_problem()
    assert problem is None, problem
    from nbval.kernel import RunningKernel

    assert list(inspect.signature(RunningKernel.execute_cell_input).parameters) == ["self", "cell_input", "allow_stdin"], \
        "nbval's RunningKernel.execute_cell_input changed its arguments: update tests/nbval_plugin.py"


def test_another_nbval_version_gets_a_plain_message(monkeypatch):
    import nbval

    monkeypatch.setattr(nbval, "__version__", "0.12.0")
    problem = nbval_plugin.nbval_version_problem()
    assert problem and "nbval 0.12.0 is installed" in problem and "NBVAL_VERSIONS" in problem


@pytest.mark.parametrize("version", ["0.11.0", "0.11.1"])
def test_known_versions_pass(monkeypatch, version):
    import nbval

    monkeypatch.setattr(nbval, "__version__", version)
    assert nbval_plugin.nbval_version_problem() is None
