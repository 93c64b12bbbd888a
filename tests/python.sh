#!/usr/bin/env bash
# The Python wheel, end to end: build it with maturin (dev profile, the workspace target dir),
# install the built wheel (never the source tree) into a dedicated virtual environment, then run
# the Rust unit tests of the error mapping, pytest against the emulator binary, mypy --strict over
# the examples and tests, and mypy's stubtest over the extension.
#
# Idempotent and incremental: the venvs live under <target dir>/python/ and are rebuilt only when their
# pinned requirements (or the interpreter) change; cargo rebuilds only what changed.
# Usage: tests/python.sh [pytest args...]   (PYTHON=python3.12 tests/python.sh to pick a Python)
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

# Pinned tools. maturin >= 1.9.4 is the build backend (python/pyproject.toml).
MATURIN_REQ="maturin==1.16.0"
TEST_REQS=("pytest==9.2.0" "mypy==2.4.1" "typing-extensions==4.16.0")

step() { printf '\n==> python: %s\n' "$*"; }

# venv DIR STAMP-TEXT REQ...: (re)creates DIR unless its stamp matches, then pip-installs REQs.
venv() {
  local dir=$1 stamp=$2
  shift 2
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then
    return
  fi
  rm -rf "$dir"
  "$PY" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
  printf '%s' "$stamp" >"$dir/.stamp"
}

PYVER=$("$PY" -c 'import sys; print(sys.version)')
mkdir -p "$OUT"

step "build tools ($MATURIN_REQ)"
venv "$BUILD_VENV" "$PYVER|$MATURIN_REQ" "$MATURIN_REQ"

step "build the wheel (maturin, dev profile)"
rm -rf "$WHEELS"
"$BUILD_VENV/bin/maturin" build --quiet --profile dev --locked -m python/Cargo.toml \
  --interpreter "$PY" --out "$WHEELS"
shopt -s nullglob
wheels=("$WHEELS"/plexctl-*.whl)
[ ${#wheels[@]} -eq 1 ] || { echo "expected one wheel in $WHEELS, found ${#wheels[@]}" >&2; exit 1; }
WHEEL=${wheels[0]}
echo "built $(basename "$WHEEL")"

step "test environment (${TEST_REQS[*]})"
venv "$TEST_VENV" "$PYVER|${TEST_REQS[*]}" "${TEST_REQS[@]}"
"$TEST_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  --force-reinstall --no-deps "$WHEEL"
# The installed wheel, not python/python/, must be what the tests import.
(cd "$OUT" && "$TEST_VENV/bin/python" -c 'import plexctl, sys; assert "site-packages" in plexctl.__file__, plexctl.__file__; print("import ok:", plexctl.__version__, plexctl.__file__)')

step "the emulator binary"
# Required: without it the emulator tests would prove nothing, so its absence is a failure.
cargo build --locked -q -p plexctl-emulator --bin plexsphere-emulator
export PLEXSPHERE_EMULATOR="$TARGET/debug/plexsphere-emulator"
[ -x "$PLEXSPHERE_EMULATOR" ] || { echo "no emulator binary at $PLEXSPHERE_EMULATOR" >&2; exit 1; }

step "Rust unit tests of the error mapping"
cargo test --locked -q -p plexctl-python

step "pytest tests/python"
# Run from target/python so the source tree is not on sys.path.
(cd "$OUT" && "$TEST_VENV/bin/python" -m pytest -q -p no:cacheprovider "$ROOT/tests/python" "$@")

step "mypy --strict (examples, tests) and stubtest"
(cd "$OUT" && "$TEST_VENV/bin/python" -m mypy --strict --no-incremental \
  "$ROOT/examples/python" "$ROOT/tests/python")
(cd "$OUT" && "$TEST_VENV/bin/python" -m mypy.stubtest plexctl._plexctl plexctl.errors \
  --allowlist "$ROOT/tests/python/stubtest-allowlist.txt")

echo
echo "python: all checks passed"
