#!/usr/bin/env bash
# Load on `hallmark serve` over loopback, verifying a stamped 10 s 720p clip (rerunnable). For each
# instance count (default 1, 2 and 4), that many `serve` processes share one PostgreSQL registry
# and one home (the watermark key); clients are spread round-robin over them, standing in for a
# load balancer. Per instance count:
#   1. nominal: as many closed-loop clients as the instances admit at once (jobs each):
#      throughput and p50/p99 latency;
#   2. overload: 10x as many clients as the instances admit (jobs + queue each): the excess must
#      get 429 at once, admitted requests still finish, and every server's RSS stays bounded.
# Then one kill row: 2 instances under nominal load, one killed with SIGKILL a third of the way in;
# the survivor keeps answering.
#
#   bash scripts/load.sh [JOBS] [QUEUE] [SECONDS] [INSTANCE-COUNTS...]    defaults 1 2 60 1 2 4
#   (an instance count of 0 runs the kill row alone)
#
# Prints each run's JSON (from scripts/load.py) and a Markdown table. The PostgreSQL server is a
# throw-away one from scripts/start-postgres.sh on its own port, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${1:-1}" queue="${2:-2}" seconds="${3:-60}"
shift $(( $# < 3 ? $# : 3 ))
counts=("$@"); [ ${#counts[@]} -gt 0 ] || counts=(1 2 4)
hallmark=".build/release/hallmark"
[ -x "$hallmark" ] || swift build -c release --product hallmark
export HALLMARK_PG_PORT=${LOAD_PG_PORT:-55451}
export HALLMARK_PG_DIR=/tmp/hallmark-load-$HALLMARK_PG_PORT
work="$(mktemp -d)"
servers=()
stop_servers() {
    for pid in "${servers[@]+"${servers[@]}"}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    servers=()
}
cleanup() {
    stop_servers
    bash scripts/start-postgres.sh stop --purge >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

base_url=$(bash scripts/start-postgres.sh 2>/dev/null)
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
"$pg_bin/psql" "$base_url" -XAtq -c "CREATE DATABASE hallmark_load"
registry="${base_url%/*}/hallmark_load"

export HALLMARK_HOME="$work/home"
ffmpeg -loglevel error -f lavfi -i "testsrc2=size=1280x720:rate=30" -t 10 -c:v libx264 -preset veryfast -pix_fmt yuv420p "$work/clip.mp4"
"$hallmark" stamp "$work/clip.mp4" -o "$work/stamped.mp4" --account load-test --preset veryfast --registry "$registry" > /dev/null
token="load-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$token" > "$work/tokens"; chmod 600 "$work/tokens"

# Starts N instances; sets `urls` and `pids` (comma-separated) for load.py.
start_servers() {
    local n=$1 u=() i
    for i in $(seq 1 "$n"); do
        "$hallmark" serve --listen 127.0.0.1:0 --registry "$registry" --token-file "$work/tokens" \
            --jobs "$jobs" --queue "$queue" --timeout 300 > "$work/serve-$i.log" 2>&1 &
        servers+=($!)
    done
    for i in $(seq 1 "$n"); do
        for _ in $(seq 1 200); do grep -q '^listening on ' "$work/serve-$i.log" 2>/dev/null && break; sleep 0.05; done
        local url; url="$(sed -n 's/^listening on //p' "$work/serve-$i.log" | head -1)"
        [ -n "$url" ] || { cat "$work/serve-$i.log"; exit 1; }
        u+=("$url")
    done
    urls=$(IFS=,; echo "${u[*]}"); pids=$(IFS=,; echo "${servers[*]}")
}

echo "clip $(stat -c %s "$work/stamped.mp4") bytes, jobs $jobs queue $queue per instance, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
rows=()
for n in "${counts[@]}"; do
    [ "$n" -gt 0 ] || continue  # 0: only the kill row
    start_servers "$n"
    idle=$(for p in "${servers[@]}"; do awk '/VmRSS/ {print $2}' "/proc/$p/status"; done | sort -n | tail -1)
    nominal="$(python3 scripts/load.py "$urls" "$token" "$work/stamped.mp4" --clients $(( n * jobs )) --seconds "$seconds" --pid "$pids")"
    echo "$n instance(s), nominal:  $nominal"
    overload="$(python3 scripts/load.py "$urls" "$token" "$work/stamped.mp4" --clients $(( 10 * n * (jobs + queue) )) --seconds "$seconds" --pid "$pids")"
    echo "$n instance(s), overload: $overload"
    rows+=("nominal|$n|$idle|$nominal" "overload 10x|$n|$idle|$overload")
    stop_servers
done

# Kill row: SIGKILL one of two instances a third of the way into a nominal run.
start_servers 2
idle=$(awk '/VmRSS/ {print $2}' "/proc/${servers[0]}/status")
victim=${servers[0]}
( sleep "$(( seconds / 3 ))"; kill -9 "$victim" 2>/dev/null ) &
killer=$!
killed="$(python3 scripts/load.py "$urls" "$token" "$work/stamped.mp4" --clients $(( 2 * jobs )) --seconds "$seconds" --pid "$pids")"
echo "2 instances, one killed: $killed"
rows+=("one of 2 killed at ${seconds}/3 s|2|$idle|$killed")
wait "$killer" || true
stop_servers
marks=$("$pg_bin/psql" "$registry" -XAtq -c "SELECT count(*) FROM marks")
echo "registry after the runs: $marks mark row(s) (one stamped clip; verifies write no rows)"

python3 - "${rows[@]}" <<'PY'
import json, sys
f = lambda v: "-" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v))
print("\n| run | instances | clients | s | 200 | 429 | other | 200/s | p50 200 (s) | p99 200 (s) | p50 429 (s) | p99 429 (s) | idle RSS MiB | peak RSS MiB (largest instance) | alive after |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for row in sys.argv[1:]:
    name, n, idle, data = row.split("|", 3)
    r = json.loads(data); s = r["statuses"]
    others = {k: v for k, v in s.items() if k not in ("200", "429")}
    print(f"| {name} | {n} | {r['clients']} | {r['seconds']} | {s.get('200', 0)} | {s.get('429', 0)} | {sum(others.values())}{' ' + str(others) if others else ''} | "
          f"{r['throughput_ok_per_s']} | {f(r['latency_200']['p50'])} | {f(r['latency_200']['p99'])} | {f(r['latency_429']['p50'])} | {f(r['latency_429']['p99'])} | "
          f"{int(idle) / 1024:.1f} | {r['rss_peak_mib']} | {r['servers_alive']}/{n} |")
PY
