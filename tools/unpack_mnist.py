"""Unpack a mnist_png archive into a folder, as fastai's untar_data would (CI's stand-in for the download).

    python -m tools.unpack_mnist ARCHIVE DEST     # e.g. DEST = ~/.fastai/data; prints DEST/mnist_png

Refuses an archive with a link, a device, an absolute path or a `..` (before extracting anything),
and extracts with tarfile's "data" filter where the Python has it. The top folder appears whole
(extracted beside it, then renamed); an existing one is kept.
"""

import argparse
import os
import shutil
import sys
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath


def unpack(archive, dest):
    "Unpack `archive` (one top folder) into `dest`; the path of that folder. ValueError for an unsafe or damaged archive."
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=dest))
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for m in members:
                name = PurePosixPath(m.name)
                if not (m.isfile() or m.isdir()) or name.is_absolute() or ".." in name.parts:
                    raise ValueError(f"{archive} holds an unsafe entry {m.name!r} (a link, a device, or a path "
                                     "outside the target folder); refusing to unpack it")
            kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(work, members=members, **kwargs)
        tops = list(work.iterdir())
        if len(tops) != 1 or not tops[0].is_dir():
            raise ValueError(f"{archive} should hold one top folder (mnist_png), found {[p.name for p in tops]}")
        final = dest / tops[0].name
        if not final.exists():
            os.rename(tops[0], final)
        return final
    except (tarfile.TarError, EOFError, zlib.error) as e:
        raise ValueError(f"{archive} is damaged ({e}); download it again") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("archive")
    ap.add_argument("dest")
    args = ap.parse_args(argv)
    try:
        print(unpack(args.archive, args.dest))
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
