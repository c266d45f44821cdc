#!/usr/bin/env bash
# The man page the `man` target builds: it renders without a warning (groff,
# and man -l as a user opens it), and every command airpg has — each command
# path of the completion script, generated from the same definitions — has its
# section in it. Usage: man_page_test.sh AIRPG MAN_FILE
set -euo pipefail
airpg=$1
page=$2
[ -s "$page" ] || { echo "no man page at $page (build the man target)"; exit 1; }

warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
[ -z "$warnings" ] || { echo "groff warnings:"; echo "$warnings"; exit 1; }
# Plain text: no SGR or overstrike; minus signs and hyphens back to '-'.
text=$(groff -man -Tutf8 -P-c -P-b -P-u -P-o "$page" | sed 's/−/-/g; s/‐/-/g')
MANPAGER=cat MANWIDTH=100 man -l "$page" >/dev/null

# The page is the binary's: `airpg man` prints the same text.
diff <("$airpg" man) "$page" >/dev/null || { echo "$page is not what \`airpg man\` prints"; exit 1; }

paths=$("$airpg" completion bash | grep -o "'airpg [a-z -]*'" | tr -d "'" | sort -u)
[ -n "$paths" ] || { echo "no command paths in the completion script"; exit 1; }
missing=0
while IFS= read -r path; do
  if ! grep -qx "   $path" <<<"$text"; then
    echo "missing from the man page: $path"
    missing=1
  fi
done <<<"$paths"
[ $missing -eq 0 ]
echo "man page: $(wc -l <<<"$paths") commands, renders cleanly"
