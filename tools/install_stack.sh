#!/usr/bin/env bash
# Install the pinned EPCL stack into a virtual environment, from nothing.
#
#   bash tools/install_stack.sh                 # creates ./.venv
#   EPCL_VENV=/path/to/venv bash tools/install_stack.sh
#
# Settings (environment; relative paths are taken from the current directory):
#   EPCL_VENV        the virtual environment (default: <repo>/.venv)
#   PYTHON           the interpreter that creates it (default: python3)
#   EPCL_CACHE_DIR   where compiled mmcv wheels are kept
#                    (default: ${XDG_CACHE_HOME:-~/.cache}/epcl_mmdet3d)
#   EPCL_MMCV_WHEEL  an mmcv wheel built elsewhere, used instead of compiling (it is
#                    checked and cached exactly like one built here)
#   MAX_JOBS         compiler processes for mmcv (default: all cores)
#
# torch / torchvision first (so nothing moves under a compiled extension), then
# mmcv 2.1.0 compiled from source with its ops (PyPI has no wheel for this torch),
# cached outside the repository under a key of (mmcv, torch, python, CUDA) so a
# second install on the same machine reuses the wheel and a wheel built against one
# torch is never installed beside another. Then mmdet, mmdet3d, open_clip and this
# package in editable mode.
#
# A failure names the step that failed. Nothing half-made is kept for a rerun to
# trust: a wheel enters the cache only after it installed and imported (moved in by
# an atomic rename), and the stamp file $EPCL_VENV/.epcl-installed (which `make`
# reads) is removed first and written last, after the final import check.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Absolute form of a path given relative to the directory the script was started in:
# later steps change directory (the mmcv build runs inside its sources).
absolute() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$PWD/$1" ;;
  esac
}

VENV="$(absolute "${EPCL_VENV:-$ROOT/.venv}")"
CACHE="$(absolute "${EPCL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/epcl_mmdet3d}")"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.epcl-installed"

TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1
MMCV_VERSION=2.1.0

log() { printf '[install_stack] %s\n' "$*"; }

STEP="starting"
step() {
  STEP="$*"
  log "$STEP"
}
on_error() {
  log "FAILED (exit code $1) during: $STEP"
  log "no stamp and no unchecked wheel were kept; fix the cause and rerun the same command"
}
trap 'on_error $?' ERR

BUILD=""
cleanup() { if [ -n "$BUILD" ]; then rm -rf "$BUILD"; fi; }
trap cleanup EXIT

# a command name stays a command name (looked up on PATH); a path becomes absolute
case "$PYTHON" in
  */*) PYTHON="$(absolute "$PYTHON")" ;;
esac

rm -f "$STAMP"
if [ ! -x "$VENV/bin/python" ]; then
  step "creating the virtual environment $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

step "installing torch $TORCH_VERSION, torchvision $TORCHVISION_VERSION"
"${PIP[@]}" install -q --upgrade pip
"${PIP[@]}" install -q "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
# mmcv 2.1.0's setup.py imports pkg_resources (gone in setuptools 81); torch wants >= 77.
"${PIP[@]}" install -q "setuptools>=77,<81" wheel ninja "numpy<2"

mmcv_works() {
  "$PY" -c "import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != '$MMCV_VERSION')" \
    2>/dev/null
}

# ---- mmcv 2.1.0 with compiled ops ------------------------------------------------
if mmcv_works; then
  log "mmcv $MMCV_VERSION with ops already installed"
else
  step "reading the torch build (version, Python, CUDA) for the wheel cache key"
  BUILD_INFO="$("$PY" - <<'PYEOF'
import sys, torch
print(torch.__version__.replace('+', '_'), f'py{sys.version_info[0]}{sys.version_info[1]}',
      int(torch.cuda.is_available()))
PYEOF
)"
  read -r TORCH_KEY PY_KEY HAS_CUDA <<< "$BUILD_INFO"
  FORCE_CUDA=0
  if [ "$HAS_CUDA" = "1" ] && command -v nvcc >/dev/null 2>&1; then
    FORCE_CUDA=1
    CUDA_KEY="cuda$(nvcc --version | sed -n 's/.*release \([0-9.]*\),.*/\1/p')"
  else
    CUDA_KEY="cpu"
  fi
  KEY="mmcv-${MMCV_VERSION}_torch-${TORCH_KEY}_${PY_KEY}_${CUDA_KEY}"
  WHEEL_DIR="$CACHE/wheels/$KEY"

  step "installing mmcv's own requirements"
  "${PIP[@]}" install -q "$(grep '^mmengine' "$ROOT/requirements/stack.txt")" \
    addict packaging pillow pyyaml yapf opencv-python "numpy<2"

  CACHED="$(ls "$WHEEL_DIR"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n 1 || true)"
  if [ -n "$CACHED" ]; then
    step "installing the cached mmcv wheel $CACHED"
    if ! "${PIP[@]}" install -q --no-deps --force-reinstall "$CACHED" || ! mmcv_works; then
      # only checked wheels enter the cache, so this one was damaged afterwards
      rm -f "$CACHED"
      log "the cached wheel did not install or import; removed it: a rerun compiles mmcv"
      false
    fi
  else
    BUILD="$(mktemp -d)"
    mkdir -p "$BUILD/dist"
    if [ -n "${EPCL_MMCV_WHEEL:-}" ]; then
      step "taking the mmcv wheel $EPCL_MMCV_WHEEL (EPCL_MMCV_WHEEL) instead of compiling"
      case "$(basename "$EPCL_MMCV_WHEEL")" in
        mmcv-"$MMCV_VERSION"-*.whl) ;;
        *) log "EPCL_MMCV_WHEEL must be an mmcv-$MMCV_VERSION-*.whl file"; false ;;
      esac
      cp "$(absolute "$EPCL_MMCV_WHEEL")" "$BUILD/dist/"
    else
      step "downloading the mmcv $MMCV_VERSION sources"
      "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation \
        -d "$BUILD" "mmcv==$MMCV_VERSION"
      tar -xzf "$BUILD"/mmcv-"$MMCV_VERSION".tar.gz -C "$BUILD"
      SRC="$BUILD/mmcv-$MMCV_VERSION"
      step "patching mmcv's setup.py to C++20 (torch >= 2.14 headers need it)"
      sed -i 's/-std=c++17/-std=c++20/g' "$SRC/setup.py"
      grep -q -- '-std=c++20' "$SRC/setup.py"
      step "compiling mmcv $MMCV_VERSION ($KEY); about 11 minutes on 2 cores"
      (cd "$SRC" && MMCV_WITH_OPS=1 FORCE_CUDA=$FORCE_CUDA MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
         "$PY" -m pip wheel -q --no-build-isolation --no-deps --no-cache-dir \
         -w "$BUILD/dist" .)
    fi
    WHEEL="$(ls "$BUILD"/dist/mmcv-*.whl)"
    step "installing the new mmcv wheel"
    "${PIP[@]}" install -q --no-deps --force-reinstall "$WHEEL"
    step "checking that the new mmcv wheel imports with its ops"
    mmcv_works || { log "'import mmcv.ops' fails with $WHEEL; it was not cached"; false; }
    step "caching the mmcv wheel in $WHEEL_DIR"
    mkdir -p "$WHEEL_DIR"
    # copy under a temporary name in the same folder, then rename: the cache never
    # holds a partial wheel under a name that the lookup above would pick up
    PARTIAL="$(mktemp "$WHEEL_DIR/.partial.XXXXXX")"
    cp "$WHEEL" "$PARTIAL"
    chmod 644 "$PARTIAL"  # mktemp makes it private; the cache is shared by later installs
    mv -f "$PARTIAL" "$WHEEL_DIR/$(basename "$WHEEL")"
  fi
fi

# ---- the OpenMMLab 3D stack and open_clip -----------------------------------------
step "installing mmengine, mmdet, mmdet3d, open_clip"
"${PIP[@]}" install -q -r "$ROOT/requirements/stack.txt" \
  "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
step "installing the test requirements"
"${PIP[@]}" install -q -r "$ROOT/requirements/tests.txt"
step "installing epcl_mmdet3d (editable)"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT"

step "checking that the whole stack imports"
"$PY" - <<'PYEOF'
import torch, mmcv, mmcv.ops, mmengine, mmdet, mmdet3d, open_clip, numpy
import epcl_mmdet3d
print(f'[install_stack] ok: torch {torch.__version__}, mmcv {mmcv.__version__}, '
      f'mmengine {mmengine.__version__}, mmdet {mmdet.__version__}, mmdet3d {mmdet3d.__version__}, '
      f'open_clip {open_clip.__version__}, numpy {numpy.__version__}')
PYEOF
printf 'installed %s by tools/install_stack.sh in %d s\n' "$(date -u +%FT%TZ)" "$SECONDS" \
  > "$STAMP"
log "done in $SECONDS s; stamp $STAMP"
