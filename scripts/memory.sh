#!/usr/bin/env bash
# Peak memory against clip duration: does `hallmark verify` (and `stamp`) stay bounded on a long
# 1080p clip? Long clips are made cheaply by looping the AI clip with stream copy (no encode).
#
#   bash scripts/memory.sh [MINUTES...]      (default: 1 3 10)
#
# CLIP overrides the source (default ../shared/media/ai-clip-1080p.mp4); STAMP_PRESET the x264
# preset of the stamp (default ultrafast: memory, not speed, is measured, and a 10-minute medium
# encode takes long on a small machine). Peak RSS is GNU time's %M (the child's ru_maxrss).
# Clips longer than STAMP_MAX_MINUTES (default 3) are not stamped: verify then reads the clip
# stamped once and looped with stream copy (the same frames verify would see), stamp shows "-".
set -euo pipefail
cd "$(dirname "$0")/.."
clip="${CLIP:-../shared/media/ai-clip-1080p.mp4}"
if [ $# -gt 0 ]; then minutes=("$@"); else minutes=(1 3 10); fi
hallmark="${HALLMARK:-.build/release/hallmark}"
[ -x "$hallmark" ] || swift build -c release --product hallmark >&2
[ -x /usr/bin/time ] || { echo "error: needs GNU time (apt-get install -y time)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HALLMARK_HOME="$work/home"
"$hallmark" keys init --dev >/dev/null

echo "| clip | frames | stamp peak RSS | stamp wall s | verify peak RSS | verify wall s |"
echo "|---|---|---|---|---|---|"
for m in "${minutes[@]}"; do
    long="$work/long-$m.mp4"; stamped="$work/stamped-$m.mp4"
    if [ "$m" -le "${STAMP_MAX_MINUTES:-3}" ]; then
        ffmpeg -v error -y -stream_loop -1 -i "$clip" -t "$((m * 60))" -c copy "$long"
        /usr/bin/time -f "%M %e" -o "$work/stamp.time" "$hallmark" stamp "$long" -o "$stamped" --account memory \
            --preset "${STAMP_PRESET:-ultrafast}" >/dev/null
    else
        [ -f "$work/short.mp4" ] || "$hallmark" stamp "$clip" -o "$work/short.mp4" --account memory \
            --preset "${STAMP_PRESET:-ultrafast}" >/dev/null
        ffmpeg -v error -y -stream_loop -1 -i "$work/short.mp4" -t "$((m * 60))" -c copy "$stamped"
        echo "- -" > "$work/stamp.time"
    fi
    frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$stamped")
    # verify's exit code is its verdict's, not a failure of the run.
    /usr/bin/time -f "%M %e" -o "$work/verify.time" "$hallmark" verify "$stamped" >/dev/null || true
    read -r stamp_kb stamp_s < <(tail -1 "$work/stamp.time")
    read -r verify_kb verify_s < <(tail -1 "$work/verify.time")
    awk -v m="$m" -v f="$frames" -v a="$stamp_kb" -v b="$stamp_s" -v c="$verify_kb" -v d="$verify_s" \
        'function mb(k) { return k == "-" ? "-" : sprintf("%.0f MB", k * 1.024 / 1000) }
         function s(x) { return x == "-" ? "-" : sprintf("%.0f", x) }
         BEGIN { printf "| %s min | %d | %s | %s | %s | %s |\n", m, f, mb(a), s(b), mb(c), s(d) }'
    rm -f "$long" "$stamped"
done
