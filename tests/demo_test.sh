#!/usr/bin/env bash
# Runs the demo as `make demo` does, in a private AIRPG_HOME that is removed
# afterwards (with its embedded cluster), and fails when the demo fails.
set -euo pipefail
airpg=$1
root=$(cd "$(dirname "$0")/.." && pwd)
home=$(mktemp -d /tmp/airpg-demo-XXXXXX)
chmod 711 "$home"
cleanup() {
  AIRPG_HOME=$home "$airpg" db stop >/dev/null 2>&1 || true
  rm -rf "$home"
}
trap cleanup EXIT
unset DATABASE_URL AIRPG_CONFIG
# Tests run side by side: the demo's sync takes a free port, not the default 8719.
export AIRPG_SYNC_PORT=0
out=$home/demo.out
started=$(date +%s)
AIRPG_HOME=$home "$root/scripts/demo" "$airpg" | tee "$out"
echo "demo_test: the demo took $(( $(date +%s) - started )) s"
# The renewals query returned rows (the sample's dates follow today).
due=$(sed -n 's/^\([0-9][0-9]*\) renewals due in the next 12 months$/\1/p' "$out")
if [ -z "$due" ] || [ "$due" -eq 0 ]; then
  echo "demo_test: the renewals query returned no rows" >&2
  exit 1
fi
