"""tools/unpack_mnist.py: CI's stand-in for fastai's download unpacks only what is safe."""

import io
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tools.unpack_mnist import unpack

ROOT = Path(__file__).resolve().parent.parent


def _tar(path, entries):
    with tarfile.open(path, "w:gz") as tar:
        for name, kind in entries:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif kind in ("symlink", "hardlink"):
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = "mnist_png/training"  # inside the folder: only the check refuses it
                tar.addfile(info)
            else:
                info.size = len(kind)
                tar.addfile(info, io.BytesIO(kind))
    return path


GOOD = [("mnist_png", "dir"), ("mnist_png/training", "dir"), ("mnist_png/training/a.txt", b"hi")]


def test_unpack(tmp_path):
    out = unpack(_tar(tmp_path / "ok.tgz", GOOD), tmp_path / "dest")
    assert out == tmp_path / "dest" / "mnist_png" and (out / "training" / "a.txt").read_bytes() == b"hi"
    assert [p.name for p in (tmp_path / "dest").iterdir()] == ["mnist_png"], "no temporary folder may be left"


@pytest.mark.parametrize("entry", [("mnist_png/../../escape.txt", b"x"), ("/tmp/absolute.txt", b"x"),
                                   ("mnist_png/link", "symlink"), ("mnist_png/hard", "hardlink")],
                         ids=["dotdot", "absolute", "symlink", "hardlink"])
def test_unpack_refuses_unsafe_entries(tmp_path, entry):
    archive = _tar(tmp_path / "bad.tgz", [*GOOD, entry])
    with pytest.raises(ValueError, match="unsafe entry"):
        unpack(archive, tmp_path / "dest")
    assert not (tmp_path / "escape.txt").exists() and list((tmp_path / "dest").iterdir()) == [], \
        "nothing may be extracted from an unsafe archive"


def test_unpack_damaged_archive(tmp_path):
    archive = tmp_path / "damaged.tgz"
    archive.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ValueError, match="damaged"):
        unpack(archive, tmp_path / "dest")


def test_command_line(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "tools.unpack_mnist", *map(str, a)],  # noqa: E731
                                    cwd=ROOT, capture_output=True, text=True)
    ok = run(_tar(tmp_path / "ok.tgz", GOOD), tmp_path / "dest")
    assert ok.returncode == 0 and ok.stdout.strip() == str(tmp_path / "dest" / "mnist_png"), ok.stderr
    bad = run(_tar(tmp_path / "bad.tgz", [("/etc/x", b"x")]), tmp_path / "dest2")
    assert bad.returncode == 2 and "unsafe entry" in bad.stderr
