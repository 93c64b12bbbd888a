#!/usr/bin/env bash
# The ABI check: an installed libplexctl is compared with the committed expectations in ffi/abi/, so an
# accidental ABI change fails the suite.
#   - ffi/abi/symbols.txt: every symbol the shared library exports (name and nm type), sorted;
#   - ffi/abi/header.txt: the declarations of include/plexctl.h (types, enums, constants, prototypes)
#     with comments, blank lines and the version macros removed, one declaration per line;
#   - the SONAME, libplexctl.so.<major>.
# A deliberate change (a new function, a new enum value) is recorded with
#   PLEXCTL_ABI_BLESS=1 tests/abi.sh PREFIX
# and reviewed in the diff; a removal or a changed signature also needs a new major version.
# Usage: tests/abi.sh PREFIX   (where `cargo cinstall` put the library: PREFIX/lib/libplexctl.so)
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${1:?usage: tests/abi.sh PREFIX}
LIBDIR=${LIBDIR:-$PREFIX/lib}
EXPECT=ffi/abi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

MAJOR=$(sed -n 's/^#define PLEXCTL_VERSION_MAJOR \([0-9]*\)$/\1/p' include/plexctl.h)
[ -n "$MAJOR" ] || { echo "abi: no PLEXCTL_VERSION_MAJOR in include/plexctl.h" >&2; exit 1; }
SO=$(readlink -f "$LIBDIR/libplexctl.so")
soname=$(readelf -d "$SO" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
[ "$soname" = "libplexctl.so.$MAJOR" ] ||
  { echo "abi: SONAME of $SO is '$soname', want libplexctl.so.$MAJOR" >&2; exit 1; }
[ "$(readlink "$LIBDIR/libplexctl.so.$MAJOR")" = "$(basename "$SO")" ] ||
  { echo "abi: $LIBDIR/libplexctl.so.$MAJOR does not link to $(basename "$SO")" >&2; exit 1; }

# Exported, defined dynamic symbols: "name type" (T code, D/B/R data).
nm -D --defined-only "$SO" | awk '{print $3, $2}' | LC_ALL=C sort >"$OUT/symbols.txt"

# The header's declarations: comments and the version macros out, whitespace collapsed, one
# declaration (ending in ';' or a preprocessor line) per line.
python3 - include/plexctl.h >"$OUT/header.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
text = re.sub(r"//[^\n]*", " ", text)
out, decl = [], []
for line in text.splitlines():
    line = " ".join(line.split())
    if not line:
        continue
    if line.startswith("#"):
        if not re.match(r"#define PLEXCTL_VERSION", line):
            out.append(line)
        continue
    decl.append(line)
    if line.endswith(";") or line.endswith("{") or line == "}":
        joined = " ".join(decl)
        decl = []
        if joined not in ('extern "C" {', "}"):
            # An enum's members one per line, so a diff names the value that changed.
            split = re.sub(r"(\{|,) ?(?=[A-Z0-9_]+ = )", "\\1\n  ", joined)
            out.extend(line.rstrip() for line in split.split("\n"))
out.extend(decl)
print("\n".join(out))
PY

if [ "${PLEXCTL_ABI_BLESS:-}" = 1 ]; then
  mkdir -p "$EXPECT"
  cp "$OUT/symbols.txt" "$OUT/header.txt" "$EXPECT/"
  echo "abi: recorded $(wc -l <"$EXPECT/symbols.txt") symbols and $(wc -l <"$EXPECT/header.txt") header lines in $EXPECT/"
  exit 0
fi
status=0
for f in symbols.txt header.txt; do
  if ! diff -u "$EXPECT/$f" "$OUT/$f" >"$OUT/$f.diff"; then
    echo "abi: $f differs from the committed $EXPECT/$f (- expected, + built):" >&2
    cat "$OUT/$f.diff" >&2
    status=1
  fi
done
if [ $status -ne 0 ]; then
  echo "abi: if the change is deliberate, record it with PLEXCTL_ABI_BLESS=1 tests/abi.sh $PREFIX" >&2
  exit 1
fi
echo "abi: SONAME $soname, $(wc -l <"$OUT/symbols.txt") exported symbols and the header match $EXPECT/"
