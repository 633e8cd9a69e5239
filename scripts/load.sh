#!/usr/bin/env bash
# Load on one `hallmark serve` over loopback, verifying a stamped 10 s 720p clip (rerunnable):
#   1. nominal: as many closed-loop clients as --jobs: throughput and p50/p99 latency;
#   2. overload: 10x as many clients as the server admits (jobs + queue): the excess must get
#      429 at once, admitted requests still finish, and the server's RSS stays bounded.
#
#   bash scripts/load.sh [JOBS] [QUEUE] [SECONDS]      defaults 1 2 60
#
# Prints the two result lines (JSON, from scripts/load.py) and a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${1:-1}" queue="${2:-2}" seconds="${3:-60}"
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
ffmpeg -loglevel error -f lavfi -i "testsrc2=size=1280x720:rate=30" -t 10 -c:v libx264 -preset veryfast -pix_fmt yuv420p "$work/clip.mp4"
"$hallmark" stamp "$work/clip.mp4" -o "$work/stamped.mp4" --account load-test --preset veryfast > /dev/null
token="load-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$token" > "$work/tokens"; chmod 600 "$work/tokens"

"$hallmark" serve --listen 127.0.0.1:0 --token-file "$work/tokens" --jobs "$jobs" --queue "$queue" --timeout 300 > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 200); do grep -q '^listening on ' "$work/serve.log" 2>/dev/null && break; sleep 0.05; done
url="$(sed -n 's/^listening on //p' "$work/serve.log" | head -1)"
[ -n "$url" ] || { cat "$work/serve.log"; exit 1; }
size=$(stat -c %s "$work/stamped.mp4")
echo "server $url pid $server, jobs $jobs queue $queue, clip $size bytes, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
idle_rss=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")

nominal="$(python3 scripts/load.py "$url" "$token" "$work/stamped.mp4" --clients "$jobs" --seconds "$seconds" --pid "$server")"
echo "nominal:  $nominal"
overload_clients=$(( 10 * (jobs + queue) ))
overload="$(python3 scripts/load.py "$url" "$token" "$work/stamped.mp4" --clients "$overload_clients" --seconds "$seconds" --pid "$server")"
echo "overload: $overload"
curl -s "$url/metrics" | grep -E '^hallmark_(verifies_total|verify_rejected_total)' || true

python3 - "$nominal" "$overload" "$idle_rss" <<'PY'
import json, sys
rows = [("nominal", json.loads(sys.argv[1])), ("overload 10x", json.loads(sys.argv[2]))]
idle = int(sys.argv[3]) / 1024
f = lambda v: "-" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v))
print(f"\nidle RSS {idle:.1f} MiB")
print("| run | clients | s | 200 | 429 | other | 200/s | p50 200 (s) | p99 200 (s) | p50 429 (s) | p99 429 (s) | peak RSS MiB | alive |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for name, r in rows:
    s = r["statuses"]; other = sum(v for k, v in s.items() if k not in ("200", "429"))
    print(f"| {name} | {r['clients']} | {r['seconds']} | {s.get('200', 0)} | {s.get('429', 0)} | {other} {'' if not other else {k: v for k, v in s.items() if k not in ('200','429')}} | "
          f"{r['throughput_ok_per_s']} | {f(r['latency_200']['p50'])} | {f(r['latency_200']['p99'])} | {f(r['latency_429']['p50'])} | {f(r['latency_429']['p99'])} | {r['rss_peak_mib']} | {r['server_alive']} |")
PY
