#!/usr/bin/env bash
# GET /manifests/{manifestId} on a registry of N records (default 100000), timed with curl:
#   1. on a registry written before labels were indexed (every row a store, no label): the server
#      labels every row when it starts (the one-time backfill), then lookups use the index;
#   2. an unknown id (a miss), at once and after the backfill interval (10 s);
#   3. on a registry whose rows carry their labels (what stamps write): index lookups only.
#
#   bash scripts/manifest-lookup.sh [N]
# Needs a release build (swift build -c release) and python3. Everything goes in a temporary
# directory, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-100000}
bin=$PWD/.build/release/hallmark
[ -x "$bin" ] || { echo "build first: swift build -c release" >&2; exit 1; }
work=$(mktemp -d); trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
server=

"$bin" keys init --dev --home "$work/home" >/dev/null
"$bin" stamp Fixtures/bars-720p.mp4 -o "$work/stamped.mp4" --account bench --home "$work/home" >/dev/null
label=$(python3 - "$work/home/registry.sqlite" "$rows" <<'PY'
import sqlite3, sys, random
db = sqlite3.connect(sys.argv[1]); rows = int(sys.argv[2])
(label, manifest, created) = db.execute("SELECT manifest_label, manifest, created_at FROM marks").fetchone()
random.seed(1)
# Each copy gets its own label (the UUID in the store's manifest label, same length), as real
# stores have: the signature no longer matches, which the lookup does not check.
uuid = label.removeprefix("urn:c2pa:").encode()
assert bytes(manifest).count(uuid) >= 1
def copy(i):
    other = str(__import__("uuid").UUID(int=random.getrandbits(128), version=4)).encode()
    return (random.randrange(1, 2**63), created - 1000 - i, bytes(manifest).replace(uuid, other), other.decode())
db.executemany("INSERT INTO marks (mark_id, account, created_at, manifest, manifest_label, delivery) VALUES (?, 'bench', ?, ?, 'urn:c2pa:' || ?, 'delivered')",
               (copy(i) for i in range(rows - 1)))
db.commit()
print(label)
sys.stderr.write(f"{rows} records, manifest store {len(manifest)} bytes each\n")
PY
)
printf 'token-%s\n' "$RANDOM$RANDOM" > "$work/tokens"; chmod 600 "$work/tokens"

serve() {
    "$bin" serve --listen 127.0.0.1:0 --home "$work/home" --token-file "$work/tokens" > "$work/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do
        port=$(grep -o '127.0.0.1:[0-9]*' "$work/serve.log" | head -1 | cut -d: -f2 || true)
        [ -n "$port" ] && return; sleep 0.1
    done
    echo "the server did not start" >&2; cat "$work/serve.log" >&2; exit 1
}
get() {  # prints status and seconds
    curl -s -o /dev/null -w "%{http_code} %{time_total}" "http://127.0.0.1:$port/manifests/$1"
}
row() { local what=$1 answer=$2; printf "| %s | %s | %s s |\n" "$what" "${answer% *}" "${answer#* }"; }

missing=urn:c2pa:00000000-0000-0000-0000-000000000000
echo "| registry | request | status | time |"
echo "|---|---|---|---|"
python3 -c "import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); db.execute('UPDATE marks SET manifest_label = NULL'); db.commit()" "$work/home/registry.sqlite"
started=$(date +%s.%N)
serve
sleep 1
during=$(curl -s -o /dev/null -w "%{http_code} %{time_total}" "http://127.0.0.1:$port/healthz")
for _ in $(seq 600); do grep -q "labelled the manifest stores" "$work/serve.log" && break; sleep 0.1; done
grep -q "labelled the manifest stores" "$work/serve.log" || { echo "no backfill logged" >&2; cat "$work/serve.log" >&2; exit 1; }
row "unlabelled (legacy) | backfill at start (server start to log line)" "- $(python3 -c "import sys,time; print(round(time.time() - float(sys.argv[1]), 2))" "$started")"
row "unlabelled (legacy) | GET /healthz 1 s after start, during the backfill" "$during"
row "unlabelled (legacy) | first lookup" "$(get "$label")"
row "unlabelled (legacy) | second lookup" "$(get "$label")"
row "unlabelled (legacy) | unknown id" "$(get $missing)"
sleep 10.5
row "unlabelled (legacy) | unknown id, 10 s later" "$(get $missing)"
kill $server; wait $server 2>/dev/null || true
serve
row "labelled | first lookup" "$(get "$label")"
row "labelled | unknown id" "$(get $missing)"
