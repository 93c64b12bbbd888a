#!/usr/bin/env bash
# The Python wheel, end to end: build the x86_64 manylinux2014 wheel with maturin and zig (dev
# profile, the workspace target dir) and check its tag with auditwheel, install that wheel (never the
# source tree) into a virtual environment per CPython, then run the Rust unit tests of the error
# mapping, pytest against the emulator binary on every CPython from 3.9 to 3.13 that is present (on
# PATH as python3.X, or under pyenv), mypy --strict over the examples and tests, and mypy's stubtest
# over the extension (those two on the main interpreter).
#
# Idempotent and incremental: the venvs live under <target dir>/python/ and are rebuilt only when their
# pinned requirements (or the interpreter) change; cargo rebuilds only what changed.
# Usage: tests/python.sh [pytest args...]   (PYTHON=python3.12 tests/python.sh to pick the main Python;
# PLEXCTL_PYTHONS="3.9 3.13" to narrow the matrix)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3}
# The workspace target dir as cargo sees it (honours CARGO_TARGET_DIR), so the wheel, the venvs
# and the emulator binary are all found where cargo put them.
TARGET=$(cargo metadata --no-deps --format-version 1 --locked |
  "$PY" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
OUT=$TARGET/python
BUILD_VENV=$OUT/build-venv
TEST_VENV=$OUT/test-venv
WHEELS=$OUT/wheels

# Pinned tools. maturin >= 1.9.4 is the build backend (python/pyproject.toml); zig links against
# glibc 2.17 for the manylinux2014 tag; auditwheel checks the tag the wheel earned.
BUILD_REQS=("maturin==1.16.0" "ziglang==0.17.0" "auditwheel==6.8.2")
WHEEL_TARGET=x86_64-unknown-linux-gnu
WHEEL_PLATFORM=manylinux_2_17_x86_64
# Test tools per CPython: pytest 9 needs 3.10, so 3.9 keeps the last pytest that supports it.
test_reqs() {
  case $1 in
    3.9) echo "pytest==8.4.2 typing-extensions==4.16.0" ;;
    *) echo "pytest==9.2.0 mypy==2.4.1 typing-extensions==4.16.0" ;;
  esac
}
MATRIX=${PLEXCTL_PYTHONS:-3.9 3.10 3.11 3.12 3.13}

step() { printf '\n==> python: %s\n' "$*"; }

# venv PYTHON DIR STAMP-TEXT REQ...: (re)creates DIR with PYTHON unless its stamp matches, then
# pip-installs REQs.
venv() {
  local py=$1 dir=$2 stamp=$3
  shift 3
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then
    return
  fi
  rm -rf "$dir"
  "$py" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
  printf '%s' "$stamp" >"$dir/.stamp"
}

# find_python X.Y: the interpreter for CPython X.Y, on PATH or under pyenv; nothing when absent.
find_python() {
  local v=$1 p
  if p=$(command -v "python$v" 2>/dev/null) && "$p" -c 'import sys' 2>/dev/null; then
    echo "$p"
    return
  fi
  local root
  root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  for p in "$root"/versions/"$v".*/bin/"python$v"; do
    [ -x "$p" ] && { echo "$p"; return; }
  done
}

PYVER=$("$PY" -c 'import sys; print(sys.version)')
MAIN_MINOR=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
mkdir -p "$OUT"

step "build tools (${BUILD_REQS[*]})"
venv "$PY" "$BUILD_VENV" "$PYVER|${BUILD_REQS[*]}" "${BUILD_REQS[@]}"
rustup target list --installed | grep -qx "$WHEEL_TARGET" || rustup target add "$WHEEL_TARGET"

step "build the $WHEEL_PLATFORM wheel (maturin --zig, dev profile)"
rm -rf "$WHEELS"
# A target dir of its own: zig compiles the C parts (aws-lc) differently from the host compiler that
# cargo-c's build of libplexctl uses for the same target triple, and the two would rebuild each other.
CARGO_TARGET_DIR=$TARGET/wheel PATH=$BUILD_VENV/bin:$PATH maturin build --quiet --profile dev --locked -m python/Cargo.toml \
  --zig --target "$WHEEL_TARGET" --compatibility manylinux2014 --out "$WHEELS"
shopt -s nullglob
wheels=("$WHEELS"/plexctl-*.whl)
[ ${#wheels[@]} -eq 1 ] || { echo "expected one wheel in $WHEELS, found ${#wheels[@]}" >&2; exit 1; }
WHEEL=${wheels[0]}
echo "built $(basename "$WHEEL")"
"$BUILD_VENV/bin/auditwheel" show "$WHEEL" >"$OUT/auditwheel.txt"
grep -q "\"$WHEEL_PLATFORM\"" "$OUT/auditwheel.txt" ||
  { cat "$OUT/auditwheel.txt" >&2; echo "auditwheel: the wheel is not $WHEEL_PLATFORM" >&2; exit 1; }
echo "auditwheel: consistent with $WHEEL_PLATFORM"

# install_wheel VENV: the built wheel, forced over any previous build, and a check that the installed
# copy (not python/python/) is what imports.
install_wheel() {
  "$1/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$WHEEL"
  (cd "$OUT" && "$1/bin/python" -c 'import plexctl, sys; assert "site-packages" in plexctl.__file__, plexctl.__file__; print("import ok:", sys.version.split()[0], plexctl.__version__)')
}

step "test environment, CPython $MAIN_MINOR ($(test_reqs "$MAIN_MINOR"))"
# shellcheck disable=SC2046 # the pins are words
venv "$PY" "$TEST_VENV" "$PYVER|$(test_reqs "$MAIN_MINOR")" $(test_reqs "$MAIN_MINOR")
install_wheel "$TEST_VENV"

step "the emulator binary"
# Required: without it the emulator tests would prove nothing, so its absence is a failure.
cargo build --locked -q -p plexctl-emulator --bin plexsphere-emulator
export PLEXSPHERE_EMULATOR="$TARGET/debug/plexsphere-emulator"
[ -x "$PLEXSPHERE_EMULATOR" ] || { echo "no emulator binary at $PLEXSPHERE_EMULATOR" >&2; exit 1; }

step "Rust unit tests of the error mapping"
cargo test --locked -q -p plexctl-python

step "pytest tests/python on CPython $MAIN_MINOR"
# Run from target/python so the source tree is not on sys.path.
(cd "$OUT" && "$TEST_VENV/bin/python" -m pytest -q -p no:cacheprovider "$ROOT/tests/python" "$@")
ran=("$MAIN_MINOR")
absent=()
for v in $MATRIX; do
  [ "$v" = "$MAIN_MINOR" ] && continue
  py=$(find_python "$v")
  if [ -z "$py" ]; then
    absent+=("$v")
    continue
  fi
  step "pytest tests/python on CPython $v ($py)"
  dir=$OUT/test-venv-$v
  # shellcheck disable=SC2046
  venv "$py" "$dir" "$("$py" -c 'import sys; print(sys.version)')|$(test_reqs "$v")" $(test_reqs "$v")
  install_wheel "$dir"
  (cd "$OUT" && "$dir/bin/python" -m pytest -q -p no:cacheprovider "$ROOT/tests/python" "$@")
  ran+=("$v")
done
echo "pytest ran on CPython ${ran[*]}${absent:+; not present here: ${absent[*]}}"

step "mypy --strict (examples, tests) and stubtest"
(cd "$OUT" && "$TEST_VENV/bin/python" -m mypy --strict --no-incremental \
  "$ROOT/examples/python" "$ROOT/tests/python")
(cd "$OUT" && "$TEST_VENV/bin/python" -m mypy.stubtest plexctl._plexctl plexctl.errors \
  --allowlist "$ROOT/tests/python/stubtest-allowlist.txt")

echo
echo "python: all checks passed"
