#!/usr/bin/env bash
# The device tests and the notebook tests on a machine with a GPU (tools/run_tests.py chooses nbval's lax
# mode there: float results differ from the committed CPU run in their last digits).
#
#   bash tools/gpu_check.sh                    # the project installed in $PYTHON (default .venv/bin/python)
#   bash tools/gpu_check.sh --prepare [ARCHIVE] # with PyPI, for a GPU machine without it: the wheels such a machine
#                                              # lacks (.whl/, at constraints.txt's versions) and MNIST (.gpu/)
#   bash tools/gpu_check.sh --offline          # there (Python 3.12 with torch): install .whl/ into a temporary
#                                              # folder, unpack .gpu/mnist_png.tgz where fastai looks, then test
# Other arguments go to pytest (-k 06_fastai runs one notebook). GPU_CHECK_TIMEOUT: seconds for the notebook tests
# (default 420). With OUT set, the log is written there too.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2

# What a GPU image with torch, matplotlib, scikit-learn and pytest lacks: fastai and what it imports, nbval and the
# Jupyter kernel stack, fastbook (03 imports it in an optional section) and what its import needs.
NEEDED="fastai fastcore fastprogress fastdownload fasttransform plum-dispatch beartype python-fasthtml starlette
itsdangerous python-multipart oauthlib uvicorn httpx2 httpcore2 beautifulsoup4 soupsieve nbval ipykernel
jupyter_client jupyter_core nbformat traitlets pyzmq tornado comm debugpy matplotlib-inline nest-asyncio2
ipython ipython_pygments_lexers jedi parso pexpect ptyprocess prompt_toolkit wcwidth stack-data executing
asttokens pure_eval platformdirs fastjsonschema jsonschema jsonschema-specifications referencing rpds-py
fastbook graphviz ipywidgets widgetsnbextension jupyterlab_widgets ipython-genutils"

if [ "${1:-}" = --prepare ]; then
    src=${2:-$HOME/.fastai/archive/mnist_png.tgz}
    [ -f "$src" ] || { echo "no MNIST archive at $src: pass its path"; exit 2; }
    # shellcheck disable=SC2086  # NEEDED is a list of words
    pins=$(python3 -c 'import re, sys
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
pins = {norm(l.split("==")[0]): l.strip() for l in open(sys.argv[1]) if "==" in l and not l.startswith("#")}
print(" ".join(pins[norm(n)] for n in sys.argv[2:]))' constraints.txt $NEEDED) || exit 2
    # shellcheck disable=SC2086
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        --platform manylinux1_x86_64 -d .whl $pins || exit 2
    mkdir -p .gpu && cp "$src" .gpu/mnist_png.tgz && du -sh .whl .gpu
    exit 0
fi

PY=${PYTHON:-$ROOT/.venv/bin/python}
if [ "${1:-}" = --offline ]; then
    shift
    PY=${PYTHON:-python3}
    work=$(mktemp -d /tmp/gpu_check.XXXXXX)
    "$PY" -m pip install -q --disable-pip-version-check --no-index --no-deps --no-compile --target "$work/site" \
        .whl/*.whl || { echo "pip could not install .whl/ (run --prepare first)"; exit 2; }
    export PYTHONPATH="$work/site:$ROOT${PYTHONPATH:+:$PYTHONPATH}" HOME="$work/home" PYTEST_DISABLE_PLUGIN_AUTOLOAD=1
    unset MNIST_PNG FASTAI_HOME XDG_CACHE_HOME XDG_CONFIG_HOME JUPYTER_PATH JUPYTER_CONFIG_DIR
    mkdir -p "$HOME/.fastai/data" "$HOME/.fastai/archive" && tar -xzf .gpu/mnist_png.tgz -C "$HOME/.fastai/data" || exit 2
    plugins=(-p nbval.plugin)  # only these plugins, none of the GPU image's many others
    "$PY" -c 'import xdist' 2>/dev/null && plugins+=(-p xdist.plugin)
    set -- "${plugins[@]}" "$@"
fi

run() {
    "$PY" -c 'import platform, torch, fastai
print("device:", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu (no GPU: this is not a GPU check)")
print("python", platform.python_version(), "| torch", torch.__version__, "| CUDA", torch.version.cuda,
      "| fastai", fastai.__version__)' || return 2
    start=$(date +%s)
    "$PY" -m pytest -q -p no:cacheprovider tests/test_device.py
    device=$?
    timeout --kill-after=20 "${GPU_CHECK_TIMEOUT:-420}" "$PY" -m tools.run_tests --notebooks-only "$@"
    notebooks=$?
    echo "device tests: exit $device; notebook tests: exit $notebooks; $(( $(date +%s) - start )) s"
    [ "$device" = 0 ] && [ "$notebooks" = 0 ] && echo "result: PASS" || { echo "result: FAIL"; return 1; }
}

if [ -n "${OUT:-}" ]; then
    run "$@" 2>&1 | tee "$OUT/gpu_check.log"
    exit "${PIPESTATUS[0]}"
fi
run "$@"
