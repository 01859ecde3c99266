#!/usr/bin/env bash
# Runs every Go fuzz target of the module for FUZZTIME each (default 60s).
# CI runs it with FUZZTIME=5s; `make fuzz` for longer. A crasher fails the run
# and is left in the package's testdata/fuzz/ to become a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-60s}
found=0
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    found=1
    echo "== $pkg $target ($FUZZTIME)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg"
  done
done
if [ "$found" = 0 ]; then echo "fuzz.sh: no fuzz targets found" >&2; exit 1; fi
