#!/usr/bin/env bash
# Runs every Fuzz target of the module for FUZZTIME each (default 30s).
# CI runs it with a short time; run it longer by hand, e.g.
#   FUZZTIME=10m scripts/fuzz.sh
#   scripts/fuzz.sh FuzzDecrypt          # only the targets whose name matches
# New crashers are written by Go into the package's testdata/fuzz/<Target>/,
# where they become regression cases for `go test ./...`.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME="${FUZZTIME:-30s}"
filter="${1:-.}"
status=0
while IFS=: read -r file name; do
  [[ "$name" =~ $filter ]] || continue
  pkg="$(dirname "$file")"
  echo "fuzz: $name in $pkg for $FUZZTIME"
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -parallel 2 "$pkg" >/tmp/fuzz-"$name".log 2>&1; then
    echo "fuzz: $name FAILED:"; tail -30 /tmp/fuzz-"$name".log; status=1
  fi
done < <(grep -rho --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . -H | sed 's/func //' | sort -u)
exit $status
