#!/usr/bin/env bash
# Installs libplexctl (.so and .a), plexctl.h and plexctl.pc under PREFIX, so that
#   cc app.c $(pkg-config --cflags --libs plexctl)
# works with PKG_CONFIG_PATH=PREFIX/lib/pkgconfig (or PREFIX=/usr/local, searched by default).
# Usage: scripts/install-ffi.sh PREFIX [release|debug]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${1:?usage: scripts/install-ffi.sh PREFIX [release|debug]}
PROFILE=${2:-release}
if [ "$PROFILE" = release ]; then
  cargo build --locked -q --release -p plexctl-ffi
else
  cargo build --locked -q -p plexctl-ffi
fi
# Where cargo put it (honours CARGO_TARGET_DIR and build.target-dir).
TARGET=$(cargo metadata --locked --no-deps --format-version 1 |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
VERSION=$(sed -n 's/^#define PLEXCTL_VERSION_STRING "\(.*\)"$/\1/p' include/plexctl.h)
install -d "$PREFIX/lib/pkgconfig" "$PREFIX/include"
install -m 0644 "$TARGET/$PROFILE/libplexctl.a" "$PREFIX/lib/"
install -m 0755 "$TARGET/$PROFILE/libplexctl.so" "$PREFIX/lib/"
install -m 0644 include/plexctl.h "$PREFIX/include/"
sed -e "s|@PREFIX@|$PREFIX|" -e "s|@VERSION@|$VERSION|" ffi/plexctl.pc.in >"$PREFIX/lib/pkgconfig/plexctl.pc"
echo "installed libplexctl $VERSION under $PREFIX"
