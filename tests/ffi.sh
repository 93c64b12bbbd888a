#!/usr/bin/env bash
# The C ABI end to end: builds libplexctl, checks the committed header is fresh, then builds and
# runs (against the emulator binary) the C tests under valgrind memcheck (plain --leak-check=full,
# with the one documented suppression of docs/plexctl.supp), the memory scan of a C process
# (tests/c/memscan.c: no secret left in freed memory), the header as C++; installs the library with
# cargo-c (`cargo cinstall`: SONAME, versioned names, --prefix/--libdir/--destdir, header, plexctl.pc)
# and checks its ABI against ffi/abi/ (tests/abi.sh); builds the C examples (-Wall -Wextra -Werror
# -pedantic) against the installed copy only and runs them; and the Go door (ffi/go) with gofmt, go
# vet and go test -race (its memory scan included) and an outside consumer module, both through
# pkg-config. Installs valgrind, curl, pkg-config and cargo-c when missing; needs Go >= 1.24.
# Honours CARGO_TARGET_DIR (the library is found where cargo put it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/c
mkdir -p "$OUT"
step() { printf '\n==> ffi: %s\n' "$*"; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

need=()
command -v valgrind >/dev/null || need+=(valgrind)
command -v curl >/dev/null || need+=(curl)
command -v pkg-config >/dev/null || need+=(pkg-config)
if [ ${#need[@]} -gt 0 ]; then
  step "installing ${need[*]}"
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi

step "build libplexctl and the emulator"
cargo build --locked -q -p plexctl-ffi -p plexctl-emulator
TARGET=$(cargo metadata --locked --no-deps --format-version 1 | json '["target_directory"]')
LIB=$TARGET/debug
# What a Rust staticlib needs from the system on Linux.
NATIVE_LIBS="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"

step "header is fresh"
cargo test --locked -q -p plexctl-ffi --test header

step "start the emulator"
"$LIB/plexsphere-emulator" --fast >"$OUT/emulator.json" 2>"$OUT/emulator.log" &
EMU_PID=$!
trap 'kill $EMU_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$OUT/emulator.json" ] && break; sleep 0.1; done
export PLEXCTL_TEST_URL=$(json '["url"]' <"$OUT/emulator.json")
export PLEXCTL_TEST_TOKEN=$(json '["admin_token"]' <"$OUT/emulator.json")
export PLEXCTL_TEST_IDENTITY=$(json '["admin_identity"]' <"$OUT/emulator.json")
export PLEXCTL_TEST_DOMAIN=$(json '["domain_id"]' <"$OUT/emulator.json")
ctl() { curl -sf -X "$1" -H 'content-type: application/json' -d "$3" "$PLEXCTL_TEST_URL/_emulator/$2"; }
export PLEXCTL_TEST_NODE=$(ctl POST nodes '{"edges":2}' | json '["node_id"]')
export PLEXCTL_TEST_DENIED_NODE=$(ctl POST nodes '{"edges":1}' | json '["node_id"]')
ctl PUT "nodes/$PLEXCTL_TEST_DENIED_NODE/deny" '{"denied":true}' >/dev/null
export PLEXCTL_TEST_CLIENT_SECRET=c-client-secret-value
ctl POST service-identities "{\"kind\":\"client_credentials\",\"client_id\":\"svc-c\",\"client_secret\":\"$PLEXCTL_TEST_CLIENT_SECRET\"}" >/dev/null

CWARN=(-std=c99 -Wall -Wextra -Werror -pedantic)
CFLAGS=("${CWARN[@]}" -I"$ROOT/include")

step "C tests under valgrind"
cc "${CFLAGS[@]}" -g tests/c/test_plexctl.c "$LIB/libplexctl.a" $NATIVE_LIBS -o "$OUT/test_plexctl"
export PLEXCTL_TEST_CONFIG=$OUT/config/plexctl.yaml
rm -rf "$OUT/config"
# Plain memcheck: definite and possible leaks are errors. docs/plexctl.supp suppresses only the block
# Rust's std keeps for the main thread's handle (see the file); it is what C users pass too.
valgrind -q --leak-check=full --error-exitcode=99 --suppressions="$ROOT/docs/plexctl.supp" \
  "$OUT/test_plexctl"

step "C: no secret left in freed memory (tests/c/memscan.c)"
cc "${CFLAGS[@]}" -g tests/c/memscan.c "$LIB/libplexctl.a" $NATIVE_LIBS -o "$OUT/memscan"
# A client secret of its own, registered here and handed over on standard input only: not
# exported, so it is never in the scanned process's environment.
MEMSCAN_SECRET=memscan-c-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
ctl POST service-identities \
  "{\"kind\":\"client_credentials\",\"client_id\":\"svc-memscan-c\",\"client_secret\":\"$MEMSCAN_SECRET\"}" >/dev/null
rm -rf "$OUT/memscan-config"
PLEXCTL_MEMSCAN_CONFIG=$OUT/memscan-config/plexctl.yaml PLEXCTL_MEMSCAN_CLIENT_ID=svc-memscan-c \
  "$OUT/memscan" <<<"$MEMSCAN_SECRET" >"$OUT/memscan.out" ||
  { cat "$OUT/memscan.out" >&2; exit 1; }
unset MEMSCAN_SECRET
echo "$(grep -c ' 0$' "$OUT/memscan.out") secrets found 0 times; $(grep '^control ' "$OUT/memscan.out")"

step "C: TLS against HTTPS emulators (tests/c/tls.c)"
# Two more emulators: a valid chain and an expired leaf, each writing its CA to a file.
"$LIB/plexsphere-emulator" --fast --tls valid --ca-file "$OUT/tls-ca.pem" >"$OUT/tls.json" 2>/dev/null &
TLS_PID=$!
"$LIB/plexsphere-emulator" --fast --tls expired --ca-file "$OUT/tls-expired-ca.pem" >"$OUT/tls-expired.json" 2>/dev/null &
TLS_EXPIRED_PID=$!
trap 'kill $EMU_PID $TLS_PID $TLS_EXPIRED_PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$OUT/tls.json" ] && [ -s "$OUT/tls-expired.json" ] && break; sleep 0.1; done
cc "${CFLAGS[@]}" -g tests/c/tls.c "$LIB/libplexctl.a" $NATIVE_LIBS -o "$OUT/tls"
PLEXCTL_TLS_URL=$(json '["url"]' <"$OUT/tls.json") PLEXCTL_TLS_TOKEN=$(json '["admin_token"]' <"$OUT/tls.json") \
  PLEXCTL_TLS_CA_FILE=$OUT/tls-ca.pem \
  PLEXCTL_TLS_EXPIRED_URL=$(json '["url"]' <"$OUT/tls-expired.json") \
  PLEXCTL_TLS_EXPIRED_TOKEN=$(json '["admin_token"]' <"$OUT/tls-expired.json") \
  PLEXCTL_TLS_EXPIRED_CA_FILE=$OUT/tls-expired-ca.pem \
  "$OUT/tls"
kill $TLS_PID $TLS_EXPIRED_PID 2>/dev/null || true

step "the header as C++"
c++ -std=c++17 -Wall -Wextra -Werror -I"$ROOT/include" tests/c/header_cxx.cpp "$LIB/libplexctl.a" $NATIVE_LIBS \
  -o "$OUT/header_cxx"
"$OUT/header_cxx"

step "install with cargo-c (cargo cinstall), then the ABI check"
scripts/install-cargo-c
# A staged install, as a distribution package is made: prefix, libdir and destdir as given.
STAGE=$OUT/stage
rm -rf "$STAGE"
cinstall() {
  cargo cinstall --locked --profile dev -p plexctl-ffi "$@" >"$OUT/cinstall.log" 2>&1 ||
    { cat "$OUT/cinstall.log" >&2; exit 1; }
}
cinstall --prefix=/usr/local --libdir=/usr/local/lib64 --destdir="$STAGE"
for f in include/plexctl.h lib64/libplexctl.a lib64/libplexctl.so lib64/libplexctl.so.0 lib64/pkgconfig/plexctl.pc; do
  [ -e "$STAGE/usr/local/$f" ] || { echo "cargo cinstall --destdir: no $STAGE/usr/local/$f" >&2; exit 1; }
done
grep -qx 'prefix=/usr/local' "$STAGE/usr/local/lib64/pkgconfig/plexctl.pc"
# The install the consumers below use: everything they compile and link comes from here.
PREFIX=$OUT/prefix
rm -rf "$PREFIX"
cinstall --prefix="$PREFIX" --libdir="$PREFIX/lib"
echo "installed $(readlink "$PREFIX/lib/libplexctl.so") (SONAME $(readelf -d "$PREFIX/lib/libplexctl.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')) under $PREFIX"
tests/abi.sh "$PREFIX"
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig

step "C examples, built against the installed copy only (pkg-config)"
for src in examples/c/*.c; do
  name=$(basename "$src" .c)
  # shellcheck disable=SC2046 # pkg-config prints words
  cc "${CWARN[@]}" "$src" $(pkg-config --cflags --libs plexctl) -Wl,-rpath,"$PREFIX/lib" \
    -o "$OUT/$name"
  # (ldd's output whole, not piped into grep -q: an early exit would break the pipe under pipefail)
  [[ $(ldd "$OUT/$name") == *"$PREFIX/lib/libplexctl.so.0"* ]] ||
    { echo "$name does not load the installed libplexctl.so.0" >&2; exit 1; }
done
PLEXSPHERE_URL=$PLEXCTL_TEST_URL PLEXSPHERE_TOKEN=$PLEXCTL_TEST_TOKEN "$OUT/issue_token" "$PLEXCTL_TEST_IDENTITY" >"$OUT/issue_token.out"
grep -q '^# WARNING: this is the only time this plaintext will be displayed$' "$OUT/issue_token.out"
PLEXSPHERE_URL=$PLEXCTL_TEST_URL "$OUT/service_token" svc-c client_credentials <<<"$PLEXCTL_TEST_CLIENT_SECRET" >/dev/null
PLEXSPHERE_URL=$PLEXCTL_TEST_URL PLEXSPHERE_TOKEN=$PLEXCTL_TEST_TOKEN "$OUT/rotate_node_keys" "$PLEXCTL_TEST_NODE" --dry-run >/dev/null
set +e
PLEXSPHERE_URL=$PLEXCTL_TEST_URL PLEXSPHERE_TOKEN=$PLEXCTL_TEST_TOKEN "$OUT/rotate_node_keys" "$PLEXCTL_TEST_DENIED_NODE" 2>/dev/null
rc=$?
set -e
[ "$rc" -eq 77 ] || { echo "rotate_node_keys on a denied node exited $rc, want 77" >&2; exit 1; }
PLEXCTL_CONFIG=$OUT/config/example.yaml "$OUT/logout" >/dev/null 2>&1
# login: the "browser" approves the code the example shows; then Ctrl-C stops a wait nobody answers.
ctl PATCH config '{"device_poll_interval_seconds":0}' >/dev/null
user_code() {
  for _ in $(seq 100); do
    code=$(sed -n 's/^user code: //p' "$1")
    [ -n "$code" ] && { echo "$code"; return; }
    sleep 0.1
  done
  echo "no user code in $1" >&2
  exit 1
}
PLEXSPHERE_URL=$PLEXCTL_TEST_URL PLEXCTL_CONFIG=$OUT/config/example-login.yaml \
  "$OUT/login" "$PLEXCTL_TEST_DOMAIN" example github >"$OUT/login.out" 2>"$OUT/login.err" &
LOGIN_PID=$!
ctl POST device/approve "{\"user_code\":\"$(user_code "$OUT/login.err")\"}" >/dev/null
wait $LOGIN_PID
grep -q '^Logged in to .* Saved the session in profile "example"\.$' "$OUT/login.out"
grep -q '^To sign in, open .*/device and enter the code ' "$OUT/login.err"
PLEXCTL_CONFIG=$OUT/config/example-login.yaml "$OUT/logout" example >/dev/null
PLEXSPHERE_URL=$PLEXCTL_TEST_URL PLEXCTL_CONFIG=$OUT/config/example-login.yaml \
  "$OUT/login" "$PLEXCTL_TEST_DOMAIN" >"$OUT/login.out" 2>"$OUT/login.err" &
LOGIN_PID=$!
user_code "$OUT/login.err" >/dev/null
kill -INT $LOGIN_PID
set +e
wait $LOGIN_PID
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q 'cancelled' "$OUT/login.err" || { echo "login after Ctrl-C exited $rc, want 1 (cancelled)" >&2; exit 1; }

step "Go door (ffi/go): gofmt, vet and test -race"
command -v go >/dev/null || { echo "ffi: go (>= 1.24) is required for the Go door" >&2; exit 1; }
# The package finds libplexctl through pkg-config: the copy installed into $PREFIX above (rpath so
# the binaries find the shared library), never a path into target/. The tests use the emulator and
# the PLEXCTL_TEST_* variables exported above.
export CGO_LDFLAGS="-Wl,-rpath,$PREFIX/lib" GOFLAGS=-mod=mod GOPROXY=off
(
  cd ffi/go
  unformatted=$(gofmt -l .)
  [ -z "$unformatted" ] || { echo "gofmt -l: $unformatted" >&2; exit 1; }
  go vet ./...
  go test -race -count=1 ./...
)

step "Go: a consumer module outside the repository, against the installed library"
CONSUMER=$(mktemp -d)
trap 'kill $EMU_PID 2>/dev/null || true; rm -rf "$CONSUMER"' EXIT
cat >"$CONSUMER/go.mod" <<GOMOD
module example.invalid/consumer

go 1.24

require example.invalid/libplexctl/ffi/go v0.0.0

replace example.invalid/libplexctl/ffi/go => $ROOT/ffi/go
GOMOD
cat >"$CONSUMER/main.go" <<'GOMAIN'
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	plexctl "example.invalid/libplexctl/ffi/go"
)

func main() {
	c, err := plexctl.New(plexctl.Options{Server: os.Getenv("PLEXCTL_TEST_URL"), Token: []byte(os.Getenv("PLEXCTL_TEST_TOKEN")), NoEnvironment: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(err.(*plexctl.Error).ExitCode)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tokens, err := c.ListTokens(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(err.(*plexctl.Error).ExitCode)
	}
	fmt.Printf("libplexctl %s: %d tokens\n", plexctl.Version(), len(tokens))
}
GOMAIN
VERSION=$(sed -n 's/^#define PLEXCTL_VERSION_STRING "\(.*\)"$/\1/p' include/plexctl.h)
(cd "$CONSUMER" && go build -o consumer . && ./consumer | grep -q "^libplexctl $VERSION: [0-9]* tokens$")
[[ $(ldd "$CONSUMER/consumer") == *"$PREFIX/lib/libplexctl.so.0"* ]] || { echo "the consumer does not use the installed library" >&2; exit 1; }
echo "the outside consumer built and ran against $PREFIX"

echo
echo "ffi: all checks passed"
