"""tools/execute_notebooks.py: a clean run leaves outputs and counts, and no timestamps (old or new)."""

import nbformat

from tools.execute_notebooks import execute


def test_executing_strips_stale_timings(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1"), nbformat.v4.new_markdown_cell("end")])
    nb.cells[0].metadata["execution"] = {"iopub.execute_input": "2024-01-01T00:00:00Z"}  # left by an older run
    src = tmp_path / "01_x.ipynb"
    nbformat.write(nb, src)
    execute(src, tmp_path / "out.ipynb")
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    nbformat.validate(out)
    assert out.cells[0].execution_count == 1 and out.cells[0].outputs[0]["data"]["text/plain"] == "2"
    assert all("execution" not in c.metadata for c in out.cells), "stale metadata.execution must go"
