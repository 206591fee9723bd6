"""`python -m nbhelpers.doctor`: what a hub admin runs before a workshop.  It names the versions and the data,
never downloads, and exits 1 with a line saying what is missing."""

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

from nbhelpers import doctor

ROOT = Path(__file__).resolve().parent.parent


def test_ready_with_a_copy_of_mnist(tiny_mnist, monkeypatch):
    monkeypatch.setenv("MNIST_PNG", str(tiny_mnist))
    monkeypatch.setattr(doctor, "_memory_gb", lambda: 8.0)
    lines, problems = doctor.report()
    assert problems == [], problems
    text = "\n".join(lines)
    for want in ("Python 3.", "torch ", "fastai ", "nbhelpers ", "MNIST: your own copy (MNIST_PNG=", "memory available: 8.0 GB",
                 "CPU threads: "):
        assert want in text, f"the report should say {want!r}:\n{text}"


def test_missing_data_package_and_memory_are_problems(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_PNG", raising=False)
    monkeypatch.setenv("FASTAI_HOME", str(tmp_path / "fastai"))  # fastai's data folder: empty
    monkeypatch.setitem(sys.modules, "mlxtend", None)  # as if it were not installed
    monkeypatch.setattr(doctor, "_memory_gb", lambda: 0.5)
    _, problems = doctor.report()
    assert len(problems) == 3, problems
    assert "mlxtend cannot be imported" in problems[0] and "README" in problems[0]
    assert "MNIST: not found" in problems[1] and "downloads it" in problems[1] and "On a JupyterHub" in problems[1]
    assert "0.5 GB" in problems[2]
    assert not (tmp_path / "fastai").exists(), "the doctor must not download or write anything"


def test_a_wrong_mnist_png_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_PNG", str(tmp_path / "nowhere"))
    _, problems = doctor.report()
    assert any("MNIST_PNG" in p and "does not exist" in p for p in problems), problems


def test_the_command_exits_1_and_says_what_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MNIST_PNG"} | {"FASTAI_HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "nbhelpers.doctor"], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=120)
    assert run.returncode == 1, run
    assert "MISSING: MNIST: not found" in run.stdout and "Not ready" in run.stdout.splitlines()[-1], run.stdout
    assert run.stderr == "", f"nothing on stderr (fastai's import warnings are quieted): {run.stderr}"


def test_a_missing_archive_folder_is_named_where_fastdownload_is_older(tiny_mnist, tmp_path, monkeypatch):
    "fastdownload < 0.0.8 (Colab's 0.0.7) downloads again when fastai's archive folder is missing (make test-colab)."
    home = tmp_path / "fastai"
    shutil.copytree(tiny_mnist, home / "data" / "mnist_png")  # unpacked by hand: no archive folder
    monkeypatch.delenv("MNIST_PNG", raising=False)
    monkeypatch.setenv("FASTAI_HOME", str(home))
    real = importlib.metadata.version
    for version, problem in (("0.0.7", True), ("0.0.8", False)):
        monkeypatch.setattr(importlib.metadata, "version", lambda name, v=version: v if name == "fastdownload" else real(name))
        ok, line = doctor._data()
        assert ok is not problem, (version, line)
        assert ("mkdir -p " + str(home / "archive") in line) is problem, line
    (home / "archive").mkdir()
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.0.7" if name == "fastdownload" else real(name))
    assert doctor._data()[0], "with the archive folder there, nothing is missing"
