#!/usr/bin/env bash
# Runs the official-client conformance suite (node:test + npm `airtable`)
# against a fresh airtable-emulator on a free loopback port.
# Usage: tests/conformance/run_conformance.sh PATH/TO/airtable-emulator
# Exit status: node's (0 when every test passed).
set -euo pipefail

emulator=${1:?usage: run_conformance.sh PATH/TO/airtable-emulator}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
workdir=$(mktemp -d)
pid=  # the emulator's, once started
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$workdir"' EXIT

if [ ! -d "$root/node_modules/airtable" ]; then
  echo "run_conformance: npm packages missing; run scripts/install-deps" >&2
  exit 1
fi

"$emulator" --port 0 --data "$here/data.json" --no-rate-limits >"$workdir/out" 2>"$workdir/err" &
pid=$!
# Wait for the "listening on URL" line (the port is only known then).
for _ in $(seq 1 500); do
  grep -q '^listening on ' "$workdir/out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$workdir/err" >&2; exit 1; }
  sleep 0.02  # poll (deadline: 500 tries)
done
url=$(sed -n 's/^listening on //p' "$workdir/out")
[ -n "$url" ] || { echo "run_conformance: emulator did not start" >&2; cat "$workdir/err" >&2; exit 1; }

cd "$root"
AIRTABLE_ENDPOINT_URL="$url" AIRTABLE_API_KEY=patConformanceToken \
  node --test "$here"/*.test.js
