#!/usr/bin/env bash
# Smoke test of the airtable-emulator binary: --port 0 prints the URL, --data
# loads a file, a request is answered, SIGTERM saves the state with --save,
# and `generate` writes a loadable data file.
# Usage: tests/conformance/binary_smoke.sh PATH/TO/airtable-emulator
set -euo pipefail

emulator=${1:?usage: binary_smoke.sh PATH/TO/airtable-emulator}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
workdir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$workdir"' EXIT

"$emulator" generate --records 3 --tables 2 --seed 5 >"$workdir/generated.json"
"$emulator" --port 0 --data "$workdir/generated.json" --save "$workdir/saved.json" \
  >"$workdir/out" 2>"$workdir/err" &
pid=$!
for _ in $(seq 1 500); do
  grep -q '^listening on http://127.0.0.1:' "$workdir/out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$workdir/err" >&2; exit 1; }
  sleep 0.02  # poll (deadline: 500 tries)
done
url=$(sed -n 's/^listening on //p' "$workdir/out")
[ -n "$url" ] || { echo "binary_smoke: no URL printed" >&2; exit 1; }

base=$(node -e 'console.log(require(process.argv[1]).bases[0].id)' "$workdir/generated.json")
# node (already needed by the conformance suite) stands in for curl.
node - "$url" "$base" <<'JS'
const [url, base] = process.argv.slice(2);
const headers = { authorization: 'Bearer patSmoke', 'content-type': 'application/json' };
(async () => {
  const page = await (await fetch(`${url}/v0/${base}/Table%201?pageSize=2`, { headers })).json();
  if (page.records.length !== 2 || !page.offset.startsWith('itr')) throw new Error(JSON.stringify(page));
  const created = await fetch(`${url}/v0/${base}/Table%201`, {
    method: 'POST', headers, body: JSON.stringify({ fields: { Name: 'smoke' } }) });
  if (created.status !== 200) throw new Error(`create: ${created.status}`);
})().catch((error) => { console.error(`binary_smoke: ${error.message}`); process.exit(1); });
JS

kill -TERM "$pid"
wait "$pid"
pid=
grep -q '"smoke"' "$workdir/saved.json" || { echo "binary_smoke: state not saved" >&2; exit 1; }
echo "binary_smoke: ok"
