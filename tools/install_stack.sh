#!/usr/bin/env bash
# Install the pinned EPCL stack into a virtual environment, from nothing.
#
#   bash tools/install_stack.sh            # creates ./.venv
#   EPCL_VENV=/path/to/venv bash tools/install_stack.sh
#
# torch / torchvision first (so nothing moves under a compiled extension), then
# mmcv 2.1.0 compiled from source with its ops (PyPI has no wheel for this torch),
# cached outside the repository under a key of (mmcv, torch, python, CUDA) so a
# second install on the same machine reuses the wheel and a wheel built against one
# torch is never installed beside another. Then mmdet, mmdet3d, open_clip and this
# package in editable mode.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${EPCL_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
CACHE="${EPCL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/epcl_mmdet3d}"

TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1
MMCV_VERSION=2.1.0

log() { printf '[install_stack] %s\n' "$*"; }

if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

"${PIP[@]}" install -q --upgrade pip
log "torch $TORCH_VERSION, torchvision $TORCHVISION_VERSION"
"${PIP[@]}" install -q "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
# mmcv 2.1.0's setup.py imports pkg_resources (gone in setuptools 81); torch wants >= 77.
"${PIP[@]}" install -q "setuptools>=77,<81" wheel ninja "numpy<2"

# ---- mmcv 2.1.0 with compiled ops ------------------------------------------------
if "$PY" -c "import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != '$MMCV_VERSION')" 2>/dev/null; then
  log "mmcv $MMCV_VERSION with ops already installed"
else
  read -r TORCH_KEY PY_KEY HAS_CUDA < <("$PY" - <<'PYEOF'
import sys, torch
print(torch.__version__.replace('+', '_'), f'py{sys.version_info[0]}{sys.version_info[1]}',
      int(torch.cuda.is_available()))
PYEOF
)
  FORCE_CUDA=0
  if [ "$HAS_CUDA" = "1" ] && command -v nvcc >/dev/null 2>&1; then
    FORCE_CUDA=1
    CUDA_KEY="cuda$(nvcc --version | sed -n 's/.*release \([0-9.]*\),.*/\1/p')"
  else
    CUDA_KEY="cpu"
  fi
  KEY="mmcv-${MMCV_VERSION}_torch-${TORCH_KEY}_${PY_KEY}_${CUDA_KEY}"
  WHEEL_DIR="$CACHE/wheels/$KEY"
  if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
    log "building mmcv $MMCV_VERSION from source ($KEY); about 11 minutes on 2 cores"
    BUILD="$(mktemp -d)"
    trap 'rm -rf "$BUILD"' EXIT
    "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation \
      -d "$BUILD" "mmcv==$MMCV_VERSION"
    tar -xzf "$BUILD"/mmcv-"$MMCV_VERSION".tar.gz -C "$BUILD"
    SRC="$BUILD/mmcv-$MMCV_VERSION"
    # torch >= 2.14 headers need C++20; mmcv 2.1.0 asks for C++17.
    sed -i 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
    grep -q -- '-std=c++20' "$SRC/setup.py" || { log "could not patch the C++ standard in mmcv's setup.py"; exit 1; }
    (cd "$SRC" && MMCV_WITH_OPS=1 FORCE_CUDA=$FORCE_CUDA MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
       "$PY" -m pip wheel -q --no-build-isolation --no-deps --no-cache-dir -w "$BUILD/dist" .)
    mkdir -p "$WHEEL_DIR"
    cp "$BUILD"/dist/mmcv-*.whl "$WHEEL_DIR"/
    rm -rf "$BUILD"; trap - EXIT
  else
    log "using cached mmcv wheel $WHEEL_DIR"
  fi
  # mmcv's own requirements first, so the wheel installs with nothing missing
  "${PIP[@]}" install -q "$(grep '^mmengine' "$ROOT/requirements/stack.txt")" \
    addict packaging pillow pyyaml yapf opencv-python "numpy<2"
  "${PIP[@]}" install -q --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-*.whl
fi

# ---- the OpenMMLab 3D stack and open_clip -----------------------------------------
log "mmengine, mmdet, mmdet3d, open_clip"
"${PIP[@]}" install -q -r "$ROOT/requirements/stack.txt" \
  "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
"${PIP[@]}" install -q -r "$ROOT/requirements/tests.txt"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT"

"$PY" - <<'PYEOF'
import torch, mmcv, mmcv.ops, mmengine, mmdet, mmdet3d, open_clip, numpy
import epcl_mmdet3d
print(f'[install_stack] ok: torch {torch.__version__}, mmcv {mmcv.__version__}, '
      f'mmengine {mmengine.__version__}, mmdet {mmdet.__version__}, mmdet3d {mmdet3d.__version__}, '
      f'open_clip {open_clip.__version__}, numpy {numpy.__version__}')
PYEOF
