"""Full comparison mode still fails for a real change (it was relaxed so that it passes on any CPU).

Cells whose output depends on the summation order (a trained model's loss and accuracy, rankings of
near-ties) are tagged nbval-ignore-output and followed by an assertion with a band; every other output is
compared byte for byte.  This test plants a wrong number in one compared output of a copy of notebook 01
(the training images' shape: data, not arithmetic) and runs nbval on it in full mode: it must fail, at
that cell.  The same copy unchanged must pass, so the failure is the planted change and nothing else.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01_data_vectorizing.ipynb"
STABLE = "torch.Size([11876, 784])"  # 01's `train_x.shape`, stored as the committed output


def _full_set_present():
    from nbhelpers.mnist import mnist_path

    return mnist_path(download=False, verbose=False).kind == "full"


def _nbval(path):
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:randomly", "--nbval",
           "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"), str(path)]
    return subprocess.run(cmd, cwd=path.parent, capture_output=True, text=True)


@pytest.mark.skipif(not _full_set_present(), reason="full comparison mode needs the full MNIST")
def test_a_changed_stable_output_fails_full_mode(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
             and any(STABLE in o.get("data", {}).get("text/plain", "") for o in c.get("outputs", []))]
    assert cells, f"no output of {NOTEBOOK.name} reads {STABLE}: update STABLE to a compared output of the notebook"
    cell = nb.cells[cells[0]]
    assert "nbval-ignore-output" not in cell.metadata.get("tags", []), "the planted cell must be one that is compared"

    shutil.copy(NOTEBOOK, tmp_path / "same.ipynb")
    planted = tmp_path / "planted.ipynb"
    for out in cell.outputs:
        if "text/plain" in out.get("data", {}):
            out.data["text/plain"] = out.data["text/plain"].replace("11876", "11877")
    nbformat.write(nb, planted)

    same, changed = _nbval(tmp_path / "same.ipynb"), _nbval(planted)
    assert same.returncode == 0, f"the unchanged copy must pass full mode:\n{same.stdout[-3000:]}"
    assert changed.returncode != 0, f"full mode passed a changed output:\n{changed.stdout[-3000:]}"
    assert "11877" in changed.stdout and "1 failed" in changed.stdout, (
        f"expected exactly the planted cell to fail, got:\n{changed.stdout[-3000:]}")
