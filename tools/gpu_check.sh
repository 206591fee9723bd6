#!/usr/bin/env bash
# Run the notebook tests on a machine with a GPU (issue 13), from wheels brought along, offline.
#
# The machine this was written for has Python 3.12 with torch, torchvision, matplotlib,
# scikit-learn, pandas and pytest, but not fastai, the Jupyter kernel stack or nbval, and no
# network.  So this script:
#   1. installs the missing packages from .whl/*.whl (cp312 manylinux wheels, no index, no deps)
#      into a --target folder, and puts that folder and this checkout first on PYTHONPATH;
#   2. unpacks the MNIST archive .gpu/mnist_png.tgz where fastai's untar_data would have put it
#      ($HOME/.fastai/data/mnist_png, with HOME a fresh temporary folder);
#   3. runs the notebook tests exactly as `make test` does (tools/run_tests.py --notebooks-only:
#      on a GPU it chooses nbval's lax mode), under a time limit;
#   4. prints the device, the versions, the mode, the pass count and the time, and writes the
#      log, a JUnit file and a short summary to $OUT when OUT is set (the device tool sets it).
#
# Prepare once, on a developer machine with PyPI (writes .whl/ and .gpu/, both to be kept out of
# git through .git/info/exclude: never commit them; the archive is ../shared/data/mnist_png.tgz
# or fastai's own download, ~/.fastai/archive/mnist_png.tgz):
#     bash tools/gpu_check.sh --prepare [path/to/mnist_png.tgz]
# Run it through the device tool on a snapshot of the last commit (the working tree may hold others'
# edits in progress):  here `rm -rf .gpuhead && mkdir .gpuhead && git archive HEAD | tar -x -C .gpuhead &&
# git rev-parse --short HEAD > .gpuhead/COMMIT`, then the command
# `R=$PWD; cd .gpuhead && GPU_CHECK_WHEELS=$R/.whl GPU_CHECK_ARCHIVE=$R/.gpu/mnist_png.tgz bash tools/gpu_check.sh`
# with carry [".whl", ".gpu", ".gpuhead"]; or simply "bash tools/gpu_check.sh" with carry [".whl", ".gpu"]
#   (about 38 MiB carried: 53 wheels, 20 MiB, and the 17 MiB archive; 2-4 minutes in all).
#   Arguments go to pytest: `bash tools/gpu_check.sh -k 06_fastai` runs one notebook.
# Elsewhere, these can be set: PYTHON (default python3), GPU_CHECK_TIMEOUT (seconds for the
# tests, default 420), GPU_CHECK_WORK (scratch folder, default a new one under /tmp),
# GPU_CHECK_WHEELS and GPU_CHECK_ARCHIVE (default .whl and .gpu/mnist_png.tgz).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2

# What the GPU machine lacks: fastai 2.8.12 and what it imports (fastprogress imports
# python-fasthtml, hence starlette & co.; spacy is imported only by fastai.text, which no
# notebook uses), nbval and the Jupyter kernel stack; fastbook, which 03 imports in an optional
# section (it would %pip install it otherwise), with what its import asks for.  Versions as in
# constraints.txt (tests/test_device.py checks that they agree).
NEEDED="fastai==2.8.12 fastcore==2.2.41 fastprogress==1.1.6 fastdownload==0.0.8 fasttransform==0.0.5
plum-dispatch==2.9.0 beartype==0.23.1 python-fasthtml==0.14.14 starlette==1.10.0 itsdangerous==2.2.0
python-multipart==0.0.34 oauthlib==4.0.1 uvicorn==0.54.0 httpx2==2.16.2 httpcore2==2.16.2
beautifulsoup4==4.15.0 soupsieve==4.1.3 nbval==0.11.0 ipykernel==7.4.0 jupyter_client==8.10.0
jupyter_core==5.9.1 nbformat==5.11.1 traitlets==5.16.1 pyzmq==27.3.0 tornado==6.6.1 comm==0.2.3
debugpy==1.8.22 matplotlib-inline==0.2.2 nest-asyncio2==1.7.4 ipython==9.18.1
ipython_pygments_lexers==1.1.1 jedi==0.20.1 parso==0.8.7 pexpect==4.9.0 ptyprocess==0.7.0
prompt_toolkit==3.0.53 wcwidth==0.9.4 stack-data==0.6.3 executing==2.3.0 asttokens==3.0.2
pure_eval==0.2.4 platformdirs==4.14.8 fastjsonschema==2.22.3 jsonschema==4.26.0
jsonschema-specifications==2025.9.1 referencing==0.37.0 rpds-py==2026.9.1
fastbook==0.0.29 graphviz==0.21 ipywidgets==7.8.5 widgetsnbextension==3.6.10 jupyterlab_widgets==1.1.11
ipython-genutils==0.2.0"

if [ "${1:-}" = --prepare ]; then
    src=${2:-$ROOT/../shared/data/mnist_png.tgz}
    [ -f "$src" ] || src=$HOME/.fastai/archive/mnist_png.tgz
    [ -f "$src" ] || { echo "no MNIST archive: pass its path"; exit 2; }
    # shellcheck disable=SC2086  # NEEDED is a list of words
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_26_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 --platform manylinux_2_5_x86_64 --platform manylinux1_x86_64 \
        -d "$ROOT/.whl" $NEEDED || exit 2
    mkdir -p "$ROOT/.gpu" && cp "$src" "$ROOT/.gpu/mnist_png.tgz" || exit 2
    for d in /.whl/ /.gpu/; do grep -qx "$d" "$ROOT/.git/info/exclude" 2>/dev/null || echo "$d" >>"$ROOT/.git/info/exclude"; done
    du -sh "$ROOT/.whl" "$ROOT/.gpu"
    exit 0
fi
PY=${PYTHON:-python3}
WHEELS=${GPU_CHECK_WHEELS:-$ROOT/.whl}
ARCHIVE=${GPU_CHECK_ARCHIVE:-$ROOT/.gpu/mnist_png.tgz}
LIMIT=${GPU_CHECK_TIMEOUT:-420}
WORK=${GPU_CHECK_WORK:-$(mktemp -d /tmp/gpu_check.XXXXXX)}
REPORT=${OUT:-$WORK/out}
mkdir -p "$WORK" "$REPORT"
LOG=$REPORT/gpu_check.log
SUMMARY=$REPORT/gpu_check_summary.txt
START=$(date +%s)

say() { printf '%s\n' "$*"; }
fail() { say "gpu_check: $*"; say "result: NOT RUN ($*)" >>"$SUMMARY"; exit 2; }  # exits main's subshell

main() {
# A snapshot made with `git archive HEAD` names its commit in COMMIT (the device machine's copy of .git
# can be older than the working tree it receives, so git there may name the wrong commit).
commit=$(cat "$ROOT/COMMIT" 2>/dev/null || git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')
say "== gpu_check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n) ($(uname -m)), checkout $commit"
command -v nvidia-smi >/dev/null && nvidia-smi -L
: >"$SUMMARY"

# 1. The missing packages, from the wheels brought along.
compgen -G "$WHEELS/*.whl" >/dev/null || fail "no wheels in $WHEELS"
t0=$(date +%s)
"$PY" -m pip install -q --disable-pip-version-check --no-index --no-deps --no-compile --no-cache-dir \
    --upgrade --target "$WORK/site" "$WHEELS"/*.whl || fail "pip could not install the wheels"
say "installed $(find "$WHEELS" -maxdepth 1 -name "*.whl" | wc -l) wheels into $WORK/site in $(( $(date +%s) - t0 )) s"
export PYTHONPATH="$WORK/site:$ROOT${PYTHONPATH:+:$PYTHONPATH}"

# 2. MNIST where fastai's untar_data puts it, in a home of its own (no user config, no caches).
[ -f "$ARCHIVE" ] || fail "no MNIST archive at $ARCHIVE"
export HOME="$WORK/home"
mkdir -p "$HOME/.fastai/data"
unset MNIST_PNG FASTAI_HOME XDG_CACHE_HOME XDG_CONFIG_HOME JUPYTER_PATH JUPYTER_CONFIG_DIR
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
tar -xzf "$ARCHIVE" -C "$HOME/.fastai/data" || fail "could not unpack $ARCHIVE"
say "MNIST: $(find "$HOME/.fastai/data/mnist_png" -name '*.png' | wc -l) PNGs in $HOME/.fastai/data/mnist_png"

# The device and the versions, as the kernel will see them.
"$PY" - <<'EOF' | tee -a "$SUMMARY" || fail "the installed packages do not import"
import platform, warnings
warnings.simplefilter("ignore")
import torch, fastai, fastcore, nbval, ipykernel, jupyter_client, nbformat
from fastai.torch_core import default_device
gpu = torch.cuda.is_available()
print("device:", torch.cuda.get_device_name(0) if gpu else "cpu",
      f"(fastai default_device: {default_device()})")
print("versions: python", platform.python_version(), "| torch", torch.__version__,
      "| CUDA", torch.version.cuda, "| fastai", fastai.__version__, "| fastcore", fastcore.__version__,
      "| nbval", nbval.__version__, "| ipykernel", ipykernel.__version__,
      "| jupyter_client", jupyter_client.__version__)
EOF

# 3. The device unit tests (they run on `cuda` too where there is one), then the notebook tests
#    as `make test` runs them (mode chosen by tools/run_tests.py).
export PYTEST_DISABLE_PLUGIN_AUTOLOAD=1
say "== tests/test_device.py"
"$PY" -m pytest -q tests/test_device.py 2>&1 | tee "$WORK/device.log"
device_rc=${PIPESTATUS[0]}
say "== tools/run_tests.py --notebooks-only (limit ${LIMIT} s)"
t0=$(date +%s)
# Only nbval's plugin, xdist's (run_tests.py runs one notebook per core where xdist is installed)
# and the project's, from pyproject: none of the GPU image's many others.
plugins=(-p nbval.plugin)
"$PY" -c 'import xdist' 2>/dev/null && plugins+=(-p xdist.plugin)
timeout --kill-after=20 "$LIMIT" "$PY" tools/run_tests.py --notebooks-only "${plugins[@]}" \
    --junitxml="$REPORT/gpu_check_junit.xml" -o junit_family=xunit2 "$@" 2>&1 | tee "$WORK/tests.log"
rc=${PIPESTATUS[0]}
secs=$(( $(date +%s) - t0 ))

# 4. The summary: per notebook (from the JUnit file), then the totals.
[ -f "$REPORT/gpu_check_junit.xml" ] && "$PY" - "$REPORT/gpu_check_junit.xml" <<'EOF' | tee -a "$SUMMARY"
import collections, sys, xml.etree.ElementTree as ET
per = collections.defaultdict(lambda: [0, 0, 0.0])  # cells, failed, seconds
for case in ET.parse(sys.argv[1]).iter("testcase"):
    row = per[case.get("classname", "?").rsplit(".", 1)[0].split("/")[-1]]
    row[0] += 1
    row[1] += any(case.find(t) is not None for t in ("failure", "error"))
    row[2] += float(case.get("time", 0))
for name, (n, bad, secs) in sorted(per.items()):
    print(f"  {name}: {n - bad}/{n} cells passed, {secs:.1f} s")
EOF
mode=$(grep -m1 -o 'Notebook tests: .*' "$WORK/tests.log" | sed 's/^Notebook tests: //')
counts=$(grep -E '(passed|failed|error|skipped).* in [0-9.]+s' "$WORK/tests.log" | tail -1 | sed -E 's/^=+ //; s/ =+$//')
[ "$rc" = 124 ] || [ "$rc" = 137 ] && counts="stopped at the ${LIMIT} s limit; ${counts:-no pytest summary}"
{
    say "device unit tests: $(grep -E '(passed|failed|error)' "$WORK/device.log" | tail -1) (exit status $device_rc)"
    say "mode: ${mode:-unknown}"
    say "tests: ${counts:-no pytest summary} (exit status $rc)"
    say "time: notebook tests ${secs} s, whole check $(( $(date +%s) - START )) s"
    say "result: $([ "$rc" = 0 ] && [ "$device_rc" = 0 ] && echo PASS || echo FAIL)"
} | tee -a "$SUMMARY"
[ "$device_rc" = 0 ] || [ "$rc" != 0 ] || rc=$device_rc
return "$rc"
}

main "$@" 2>&1 | tee "$LOG"   # to the screen and to the log
exit "${PIPESTATUS[0]}"
