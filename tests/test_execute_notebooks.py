"""tools/runner.py through tools/execute_notebooks.py: a clean run leaves outputs and counts 1..N and nothing of
papermill's; a failing notebook is left as it was, reported with its cell, and what ran is kept."""

import nbformat

from tools import execute_notebooks


def test_in_place_run_is_clean_and_a_failure_leaves_the_notebook_alone(tmp_path, monkeypatch, capsys):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 1", metadata={"tags": ["parameters"]}),
                                         nbformat.v4.new_code_cell("1 + 1"), nbformat.v4.new_markdown_cell("end")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells[1].metadata["execution"] = {"iopub.execute_input": "2024-01-01T00:00:00Z"}  # left by an older run
    src = tmp_path / "01_x.ipynb"
    nbformat.write(nb, src)
    assert execute_notebooks.main([str(src)]) == 0
    out = nbformat.read(src, as_version=4)
    nbformat.validate(out)
    assert [c.get("execution_count") for c in out.cells] == [1, 2, None]
    assert out.cells[1].outputs[0]["data"]["text/plain"] == "2"
    assert set(out.metadata) <= {"kernelspec", "language_info"}, out.metadata
    assert [c.metadata for c in out.cells] == [{"tags": ["parameters"]}, {}, {}], "papermill's metadata must go"

    monkeypatch.setattr(execute_notebooks, "ROOT", tmp_path)
    out.cells[1].source = "1 / 0"
    nbformat.write(out, src)
    before = src.read_text()
    assert execute_notebooks.main([str(src)]) == 1
    report = capsys.readouterr().out
    assert "ZeroDivisionError: division by zero" in report and "which starts: 1 / 0" in report, report
    assert src.read_text() == before, "a failing notebook must stay as it was"
    partial = nbformat.read(tmp_path / "build" / "failed" / "01_x.failed.ipynb", as_version=4)
    assert any(o.output_type == "error" for c in partial.cells for o in c.get("outputs", []))
