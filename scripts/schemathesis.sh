#!/usr/bin/env bash
# Checks the running `hallmark serve` against openapi/hallmark.yaml with schemathesis (PyPI,
# installed in .venv-schemathesis): every documented operation is called with generated valid
# and invalid inputs, and every answer must match the document (status codes, content types,
# schemas) and the server must not fail (5xx).
#
#   bash scripts/schemathesis.sh [extra schemathesis args]
#
# The server runs on a free loopback port with a temporary home (a key and one stamped clip, so
# mark and manifest lookups have something to find) and a temporary token file.
set -euo pipefail
cd "$(dirname "$0")/.."
version=4.32.5
if [ ! -x .venv-schemathesis/bin/schemathesis ]; then
    python3 -m venv .venv-schemathesis
    .venv-schemathesis/bin/pip install -q "schemathesis==$version"
fi
hallmark=".build/release/hallmark"
[ -x "$hallmark" ] || swift build -c release --product hallmark
work="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
export HALLMARK_HOME="$work/home"
token="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
printf '%s\n' "$token" > "$work/tokens"
chmod 600 "$work/tokens"
"$hallmark" stamp Fixtures/bars-720p.mp4 -o "$work/stamped.mp4" --account schemathesis --preset veryfast > "$work/markid"

"$hallmark" serve --listen 127.0.0.1:0 --token-file "$work/tokens" --max-upload-mb 4 --jobs 1 --queue 4 --timeout 30 \
    > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 200); do
    grep -q '^listening on ' "$work/serve.log" 2>/dev/null && break
    sleep 0.05
done
url="$(sed -n 's/^listening on //p' "$work/serve.log" | head -1)"
[ -n "$url" ] || { cat "$work/serve.log"; echo "serve did not start" >&2; exit 1; }
manifest_id="$("$hallmark" verify "$work/stamped.mp4" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["manifest"]["activeManifest"])')"
echo "server at $url (mark $(cat "$work/markid"), manifest $manifest_id)"

# Known ids for the lookups (else every generated id is a 404 and the found path is never
# checked). Bodies of the two video endpoints are schema-valid as any bytes, but only a decodable
# video is accepted (422 otherwise), which no schema can say: positive_data_acceptance is off there.
cat > "$work/schemathesis.toml" <<TOML
[[operations]]
include-name = "GET /v1/marks/{markId}"
parameters = { markId = "$(tr -d '[:space:]' < "$work/markid")" }

[[operations]]
include-name = "GET /manifests/{manifestId}"
parameters = { manifestId = "$manifest_id" }

[[operations]]
include-name = "POST /v1/verify"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "POST /matches/byContent"
checks.positive_data_acceptance.enabled = false
TOML

status=0
.venv-schemathesis/bin/schemathesis --config-file "$work/schemathesis.toml" run openapi/hallmark.yaml --url "$url" \
    --header "Authorization: Bearer $token" \
    --max-examples "${MAX_EXAMPLES:-50}" --request-timeout 60 "$@" || status=$?
if grep -q 'Fatal\|panic\|Crash' "$work/serve.log"; then
    echo "server log shows a crash:" >&2; tail -20 "$work/serve.log" >&2; status=1
fi
kill -0 "$server" 2>/dev/null || { echo "the server died during the run" >&2; status=1; }
exit $status
