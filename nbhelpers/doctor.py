"""Is this machine ready for the series? `python -m nbhelpers.doctor` (a hub's image before a workshop, a laptop).

Prints the versions (Python, torch, fastai, nbhelpers), which MNIST would be used (without downloading it), the
memory a kernel can have and the CPU threads; exits with status 1 and a line saying what to do when something is
missing.  Nothing is written and nothing is downloaded.
"""

import importlib
import importlib.metadata
import os
import platform
import re
import shutil
import sys
import warnings
from pathlib import Path

from nbhelpers.mnist import MNISTError, _fastai_dir, mnist_path
from nbhelpers.setup import QUIET

__all__ = ["report", "main"]

KERNEL_PEAK_GB = 1.05  # the largest notebook's peak memory (docs/teaching.md, "Memory and kernels")


def _memory_gb():
    "The memory a kernel can use: what the system has available, or the container's limit if that is lower."
    available = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) / 2**20
    except OSError:
        pass
    for limit, used in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),  # cgroup v2, then v1
                        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            free = (int(Path(limit).read_text()) - int(Path(used).read_text())) / 2**30
        except (OSError, ValueError):  # no such file, or "max"
            continue
        available = free if available is None else min(available, free)
    return available


def _data():
    "(ok, line): the MNIST the notebooks would use, found without downloading."
    fastai_copy = _fastai_dir("data") / "mnist_png"
    if not os.environ.get("MNIST_PNG") and not fastai_copy.is_dir():
        return False, (f"MNIST: not found (MNIST_PNG is not set and {fastai_copy} does not exist). Each user's first "
                       "notebook downloads it (about 15 MB), or uses the offline sample without a network; to place "
                       "it once for everyone, see the README, 'On a JupyterHub'")
    try:
        found = mnist_path(download=False, verbose=False)
    except MNISTError as e:
        return False, str(e)
    archive = _fastai_dir("archive")
    if fastai_copy.is_dir() and not archive.is_dir() and _older_fastdownload():
        return False, (f"{found.notice}, but fastai's archive folder {archive} is missing: with fastdownload older "
                       f"than 0.0.8, notebook 01's untar_data(URLs.MNIST) would download again. Run: mkdir -p {archive}")
    return True, found.notice


def _older_fastdownload():
    "True where fastdownload is older than 0.0.8, which looks for fastai's archive folder before its data folder."
    try:
        version = importlib.metadata.version("fastdownload")
    except importlib.metadata.PackageNotFoundError:
        return False
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3]) < (0, 0, 8)


def report():
    "(lines, problems): what `python -m nbhelpers.doctor` prints, and what is missing."
    for category, message in QUIET:  # what importing fastai prints, as in the notebooks
        warnings.filterwarnings("ignore", message=message, category=category)
    lines, problems = [f"Python {platform.python_version()} ({sys.executable})"], []
    if sys.version_info < (3, 10):
        problems.append("Python 3.10 or later is needed")
    for name, module in (("torch", "torch"), ("fastai", "fastai.learner"), ("nbhelpers", "nbhelpers"),
                         ("matplotlib", "matplotlib"), ("mlxtend", "mlxtend")):
        try:
            version = importlib.metadata.version(name)
            importlib.import_module(module)
        except Exception as e:  # not installed, or installed and broken (fastai with plum-dispatch 2.10)
            problems.append(f"{name} cannot be imported ({type(e).__name__}: {e}): install the project, "
                            "README 'On a JupyterHub' (the admin's pip line)")
            continue
        lines.append(f"{name} {version}")
    if "torch" in sys.modules:
        import torch

        lines.append(f"GPU: {torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none (the CPU is enough)'}")
    ok, line = _data()
    lines.append(line)
    if not ok:
        problems.append(line)
    gb = _memory_gb()
    if gb is None:
        lines.append("memory: unknown on this system")
    else:
        lines.append(f"memory available: {gb:.1f} GB (a notebook's kernel needs up to {KERNEL_PEAK_GB} GB)")
        if gb < KERNEL_PEAK_GB * 1.2:
            problems.append(f"only {gb:.1f} GB of memory is available; a kernel needs up to {KERNEL_PEAK_GB} GB "
                            "(give each user at least 2 GB)")
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines.append(f"CPU threads: {threads}")
    lines.append(f"git: {shutil.which('git') or 'not installed (only the install cell from GitHub needs it)'}")
    return lines, problems


def main():
    lines, problems = report()
    print("\n".join(lines))
    for p in problems:
        print(f"MISSING: {p}")
    print("Ready for the series." if not problems else f"Not ready: {len(problems)} problem(s) above.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
