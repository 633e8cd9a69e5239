#!/usr/bin/env bash
# Archive scans under faults: a scan of N files drained by W `hallmark worker` processes on one
# PostgreSQL registry, in three scenarios, and a table of what came out:
#
#   baseline      no fault
#   kill -9       one worker killed with SIGKILL while it holds a file
#   pg restart    the PostgreSQL server restarted (pg_ctl restart -m fast) mid-scan
#   both          a worker killed and the server restarted in the same scan
#   busy          no fault, but more verifies than cores and a lease shorter than a verify:
#                 the heartbeats must keep every lease (reclaimed 0)
#
# For each: files, results (lines of `scan results --format json`), duplicates (files with more
# than one line), lost (files without one), completions written (every worker's own count of
# results it wrote, plus the rows the killed worker wrote before it died: equal to files when no
# file was completed twice), reclaimed (files claimed more than once), retried calls (the
# workers' one-line messages about a failed queue or registry call they tried again, or a file
# they gave back), the workers' exit codes, and the wall time.
#
#   bash scripts/scan-faults.sh [FILES] [WORKERS]     (default 24 files, 3 workers)
#   SCENARIOS="kill restart" SCAN_FAULTS_VERBOSE=1 bash scripts/scan-faults.sh   (some, with worker logs)
#
# It runs its own throw-away PostgreSQL server (port $SCAN_FAULTS_PG_PORT, default 55441, files
# under /tmp), never the test server others may be using, and stops it at the end. Leases are
# $LEASE seconds (default 4) so that a killed worker's file comes back quickly.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=${1:-24}
WORKERS=${2:-3}
LEASE=${LEASE:-4}
export HALLMARK_PG_PORT=${SCAN_FAULTS_PG_PORT:-55441}
export HALLMARK_PG_DIR=/tmp/hallmark-scan-faults-$HALLMARK_PG_PORT
bin=${HALLMARK_BIN:-.build/release/hallmark}
[ -x "$bin" ] || swift build -c release --product hallmark >/dev/null

work=$(mktemp -d)
cleanup() {
    for pid in $(jobs -p); do kill -9 "$pid" 2>/dev/null || true; done
    bash scripts/start-postgres.sh stop --purge >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

base_url=$(bash scripts/start-postgres.sh 2>/dev/null)
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
as_owner() { if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
sql() { "$pg_bin/psql" "$1" -XAtq -c "$2"; }

export HALLMARK_HOME="$work/home"
stamp_registry="${base_url%/*}/hallmark_faults_marks"
sql "$base_url" "CREATE DATABASE hallmark_faults_marks"
"$bin" stamp Fixtures/bars-720p.mp4 -o "$work/stamped.mp4" --account archive-owner --preset ultrafast \
    --registry "$stamp_registry" >/dev/null

# One scenario: a fresh database (the scan queue and a copy of the marks), FILES copies of a stamped clip.
run_scenario() {
    local name=$1 kill_worker=$2 restart_pg=$3 jobs=${4:-1} lease=${5:-$LEASE} clip=${6:-$work/stamped.mp4} FILES=${7:-$FILES}
    local db="hallmark_faults_$RANDOM$RANDOM"
    sql "$base_url" "CREATE DATABASE $db TEMPLATE hallmark_faults_marks"
    local url="${base_url%/*}/$db"
    local dir="$work/$db"
    mkdir -p "$dir/files"
    for i in $(seq 1 "$FILES"); do cp "$clip" "$dir/files/clip-$i.mp4"; done

    local start scan
    start=$(date +%s.%N)
    scan=$("$bin" scan submit "$dir/files" --registry "$url")
    local pids=()
    for w in $(seq 1 "$WORKERS"); do
        "$bin" worker --registry "$url" --jobs "$jobs" --lease "$lease" --exit-when-idle --poll-interval 0.25 \
            2>"$dir/worker-$w.log" >/dev/null &
        pids+=($!)
    done

    local victim="" victim_name=""
    if [ "$kill_worker" = yes ] || [ "$restart_pg" = yes ]; then
        # Mid-scan: a quarter of the files done.
        until [ "$(sql "$url" "SELECT count(*) FROM scan_jobs WHERE state IN ('done','failed')")" -ge $((FILES / 4)) ]; do sleep 0.1; done
    fi
    if [ "$kill_worker" = yes ]; then
        victim=${pids[0]}
        victim_name="%:$victim"
        # Wait until it holds a file, then kill it without warning.
        until [ "$(sql "$url" "SELECT count(*) FROM scan_jobs WHERE state = 'running' AND worker LIKE '$victim_name'")" -ge 1 ]; do sleep 0.02; done
        kill -9 "$victim"
    fi
    if [ "$restart_pg" = yes ]; then
        as_owner "$pg_bin/pg_ctl" -D "$HALLMARK_PG_DIR" restart -m fast -w -l "$HALLMARK_PG_DIR/log" -o "-p $HALLMARK_PG_PORT -k '$HALLMARK_PG_DIR' -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null
    fi
    local exit_codes=""
    for pid in "${pids[@]}"; do
        if wait "$pid"; then exit_codes+="0 "; else exit_codes+="$? "; fi
    done
    local end
    end=$(date +%s.%N)

    "$bin" scan results "$scan" --registry "$url" --format json >"$dir/results.ndjson" 2>"$dir/results.err" || true
    local lines unique duplicates lost reclaimed written killed_wrote reconnects
    lines=$(wc -l <"$dir/results.ndjson")
    unique=$(python3 -c 'import json,sys; print(len({json.loads(l)["file"] for l in open(sys.argv[1]) if l.strip()}))' "$dir/results.ndjson")
    duplicates=$((lines - unique))
    lost=$((FILES - unique))
    reclaimed=$(sql "$url" "SELECT count(*) FROM scan_jobs WHERE scan_id = '$scan' AND attempts > 1")
    written=0
    for log in "$dir"/worker-*.log; do
        local n
        n=$(sed -n 's/.* \([0-9]*\) verified, \([0-9]*\) failed, .*/\1 \2/p' "$log" | awk '{s += $1 + $2} END {print s + 0}')
        written=$((written + n))
    done
    killed_wrote=0
    if [ -n "$victim_name" ]; then
        killed_wrote=$(sql "$url" "SELECT count(*) FROM scan_jobs WHERE scan_id = '$scan' AND state IN ('done','failed') AND worker LIKE '$victim_name'")
        written=$((written + killed_wrote))
    fi
    # Queue or registry calls that failed and were tried again (one stderr line each).
    reconnects=$(cat "$dir"/worker-*.log | grep -c "retrying in\|trying again in\|gave it back" || true)
    printf '| %s | %d | %d | %d | %d | %d | %d | %d | %s | %s | %.1f |\n' "$name" "$FILES" "$lines" "$duplicates" "$lost" \
        "$written" "$reclaimed" "$reconnects" "$exit_codes" "${victim:+killed $victim}" "$(python3 -c "print($end - $start)")"
    local busy_failed=no
    if [ "$kill_worker" = no ] && [ "$restart_pg" = no ] && [ "$reclaimed" -ne 0 ]; then busy_failed=yes; fi
    if [ "$duplicates" -ne 0 ] || [ "$lost" -ne 0 ] || [ "$written" -ne "$FILES" ] || [ "$busy_failed" = yes ]; then
        echo "FAILED: $name (logs in $dir)" >&2
        cat "$dir"/worker-*.log >&2
        failures=$((failures + 1))
    fi
    if [ -n "${SCAN_FAULTS_VERBOSE:-}" ]; then cat "$dir"/worker-*.log >&2; fi
}

failures=0
echo "| scenario | files | results | duplicates | lost | completions written | reclaimed | retried calls | worker exits | killed | seconds |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for scenario in ${SCENARIOS:-baseline kill restart both busy}; do
    case "$scenario" in
        baseline) run_scenario "baseline" no no ;;
        kill) run_scenario "kill -9 one worker" yes no ;;
        restart) run_scenario "pg restart" no yes ;;
        both) run_scenario "kill -9 + pg restart" yes yes ;;
        # Heartbeats on a busy machine: 2 files per worker (more verifies than cores), a 1.5 s
        # lease, clips that take longer than the lease: reclaimed must stay 0.
        busy) run_scenario "busy: --jobs 2, lease 1.5 s, 4 s 540p clips" no no 2 1.5 Fixtures/motion-540p.mp4 8 ;;
        *) echo "unknown scenario $scenario (baseline, kill, restart, both)" >&2; exit 64 ;;
    esac
done
echo "($WORKERS workers, --jobs 1 (busy: 2), --lease $LEASE s (busy: 1.5 s); $(nproc) cores; worker exits: the survivors' exit codes, 137 the killed one)"
[ "$failures" -eq 0 ]
