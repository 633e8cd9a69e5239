#!/usr/bin/env bash
# What the invisible mark costs the encoder. x264 runs with the stamp's settings
# (`-c:v libx264 -crf 18 -preset medium`) on the same excerpt with and without the mark. Both
# copies are read from lossless intermediates, so only the picture differs. The two encodes run
# side by side, like in cpu-ratio.sh, so machine-speed drift cancels out of the ratio.
#
#   bash scripts/encoder-cost.sh [CLIP] [ROUNDS] [STRENGTH...]
#       (defaults: ../shared/media/ai-clip-1080p.mp4, 3 rounds, strengths 1 and 0.5)
#
# Set EXCERPT to change the excerpt length (default 3 seconds). Needs GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
clip="${1:-../shared/media/ai-clip-1080p.mp4}"
rounds="${2:-3}"
if [ $# -gt 2 ]; then strengths=("${@:3}"); else strengths=(1 0.5); fi
hallmark="${HALLMARK:-.build/release/hallmark}"
[ -x "$hallmark" ] || swift build -c release --product hallmark >&2
[ -x /usr/bin/time ] || { echo "error: needs GNU time (apt-get install -y time)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$hallmark" keys init --home "$work/home" >/dev/null

# The unmarked excerpt, losslessly; each marked copy is stamped from it, losslessly too.
ffmpeg -v error -i "$clip" -t "${EXCERPT:-3}" -an -c:v libx264 -crf 0 -preset ultrafast "$work/plain.mp4"
encode() { ffmpeg -v error -y -i "$1" -an -c:v libx264 -crf 18 -preset medium "$2"; }
cpu() { awk '{ print $1 + $2 }' "$1"; }

echo "| strength | round | unmarked: x264 CPU s | marked: x264 CPU s | CPU ratio | unmarked bytes | marked bytes | bytes ratio |"
echo "|---|---|---|---|---|---|---|---|"
for strength in "${strengths[@]}"; do
    "$hallmark" stamp --home "$work/home" "$work/plain.mp4" -o "$work/marked.mp4" --account bench \
        --visible none --no-manifest --crf 0 --preset ultrafast --strength "$strength" >/dev/null
    for round in $(seq 1 "$rounds"); do
        /usr/bin/time -f "%U %S" -o "$work/plain.time" bash -c "$(declare -f encode); encode '$work/plain.mp4' '$work/plain-out.mp4'" &
        /usr/bin/time -f "%U %S" -o "$work/marked.time" bash -c "$(declare -f encode); encode '$work/marked.mp4' '$work/marked-out.mp4'"
        wait
        plain_bytes=$(stat -c %s "$work/plain-out.mp4"); marked_bytes=$(stat -c %s "$work/marked-out.mp4")
        awk -v s="$strength" -v r="$round" -v a="$(cpu "$work/plain.time")" -v b="$(cpu "$work/marked.time")" \
            -v pa="$plain_bytes" -v pb="$marked_bytes" \
            'BEGIN { printf "| %s | %d | %.1f | %.1f | %.2f | %d | %d | %.2f |\n", s, r, a, b, b / a, pa, pb, pb / pa }'
    done
done
