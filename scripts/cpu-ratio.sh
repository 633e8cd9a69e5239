#!/usr/bin/env bash
# CPU-time ratios of `hallmark stamp` / `hallmark verify` against the ffmpeg CLI baselines, with
# each pair run *at the same time*: on a shared machine whose speed drifts within seconds, two
# programs running side by side see the same drift, so the ratio of their CPU seconds is stable
# where sequential wall-clock ratios are not (`hallmark bench` shows how much those move).
#
#   bash scripts/cpu-ratio.sh [CLIP] [ROUNDS]     (default: ../shared/media/ai-clip-1080p.mp4, 2)
#
# Uses a throw-away home (key, registry) in a temporary directory. Needs GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
clip="${1:-../shared/media/ai-clip-1080p.mp4}"
rounds="${2:-2}"
hallmark="${HALLMARK:-.build/release/hallmark}"
[ -x "$hallmark" ] || swift build -c release --product hallmark >&2
[ -x /usr/bin/time ] || { echo "error: needs GNU time (apt-get install -y time)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$hallmark" keys init --home "$work/home" >/dev/null

cpu() { awk '{ print $1 + $2 }' "$1"; }
pair() {  # name, then the hallmark arguments; baseline: transcode or decode
    local name="$1" baseline="$2"; shift 2
    for round in $(seq 1 "$rounds"); do
        rm -f "$work"/out.mp4 "$work"/base.mp4
        if [ "$baseline" = transcode ]; then
            /usr/bin/time -f "%U %S" -o "$work/base.time" ffmpeg -v error -y -i "$clip" -c:v libx264 -crf 18 -preset medium -c:a copy "$work/base.mp4" &
        else
            /usr/bin/time -f "%U %S" -o "$work/base.time" ffmpeg -v error -i "$work/stamped.mp4" -f null - &
        fi
        /usr/bin/time -f "%U %S" -o "$work/ours.time" "$hallmark" "$@" >/dev/null
        wait
        awk -v name="$name" -v round="$round" -v base="$(cpu "$work/base.time")" -v ours="$(cpu "$work/ours.time")" \
            'BEGIN { printf "| %s | %d | %.1f | %.1f | %.2f |\n", name, round, base, ours, ours / base }' 
    done
}

echo "| hallmark step (vs ffmpeg baseline, run side by side) | round | baseline CPU s | hallmark CPU s | ratio |"
echo "|---|---|---|---|---|"
"$hallmark" stamp --home "$work/home" "$clip" -o "$work/stamped.mp4" --account bench >/dev/null
pair "stamp (visible + invisible + C2PA) / transcode" transcode stamp --home "$work/home" "$clip" -o "$work/out.mp4" --account bench
pair "stamp, invisible only / transcode" transcode stamp --home "$work/home" "$clip" -o "$work/out.mp4" --account bench --visible none --no-manifest
pair "verify / decode" decode verify --home "$work/home" "$work/stamped.mp4" --format json
