#!/usr/bin/env bash
# Reverse-search robustness: each transformation of issue 10, made with the ffmpeg CLI, on clips the
# project did not make (../shared/media and FFmpeg's synthetic sources), aligned against its source
# with `hallmark fingerprint compare`. Prints one Markdown table per source clip.
#
#   bash scripts/fingerprint-eval.sh [WORKDIR]      (default /tmp/hallmark-fp-eval; reuses made files)
#
# The transformed rows are excerpts starting at 2.3 s (3 s long, the excerpt row 1.5 s from 5.1 s),
# so "offset error" is |found offset - true start|. Probabilities are for an index of 10^5 clips.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-/tmp/hallmark-fp-eval}"
mkdir -p "$work"
hallmark="${HALLMARK:-.build/release/hallmark}"
references="${REFERENCES:-100000}"
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
enc=(-c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -an)

# Sources (10 s each unless the clip is shorter).
declare -A sources
if [ -f ../shared/media/ai-clip-1080p.mp4 ]; then sources[ai-clip-1080p]=../shared/media/ai-clip-1080p.mp4; fi
make_lavfi() {  # name, lavfi graph
    [ -f "$work/$1.mp4" ] || ff -f lavfi -i "$2" -t 10 "${enc[@]}" "$work/$1.mp4"
    sources[$1]="$work/$1.mp4"
}
make_lavfi testsrc2-480p "testsrc2=size=854x480:rate=30"
make_lavfi mandelbrot-640x272 "mandelbrot=size=640x272:rate=30"
make_lavfi life-480p "life=size=854x480:rate=30:mold=10:ratio=0.1:death_color=#202020:life_color=#e0e0e0,gblur=sigma=3"
make_lavfi cellauto-640x272 "cellauto=size=640x272:rate=30:rule=110,gblur=sigma=2"

start=2.3
declare -a rows=(
    "crf35|-ss $start -t 3|-vf null -crf 35"
    "360p|-ss $start -t 3|-vf scale=-2:360"
    "crop0.8|-ss $start -t 3|-vf crop=trunc(iw*0.4)*2:trunc(ih*0.4)*2"
    "brightness+0.2|-ss $start -t 3|-vf eq=brightness=0.2"
    "contrast1.5|-ss $start -t 3|-vf eq=contrast=1.5"
    "gamma1.6|-ss $start -t 3|-vf eq=gamma=1.6"
    "hflip|-ss $start -t 3|-vf hflip"
    "fps24|-ss $start -t 3|-vf fps=24"
    "fps25|-ss $start -t 3|-vf fps=25"
    "letterbox9:16|-ss $start -t 3|-vf scale=540:-2,pad=540:960:(ow-iw)/2:(oh-ih)/2"
    "pillarbox|-ss $start -t 3|-vf scale=-2:480,pad=1280:480:(ow-iw)/2:0"
    "caption-box|-ss $start -t 3|-vf drawbox=x=iw*0.05:y=ih*0.72:w=iw*0.7:h=ih*0.14:color=white@0.85:t=fill,drawbox=x=iw*0.1:y=ih*0.76:w=iw*0.5:h=ih*0.05:color=black:t=fill"
    "drawtext|-ss $start -t 3|-vf drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:text=REPOSTED_BY_SOMEONE:fontsize=h/10:fontcolor=white:borderw=3:x=(w-tw)/2:y=h*0.8"
    "logo|-ss $start -t 3|LOGO"
    "excerpt1.5s@5.1|-ss 5.1 -t 1.5|-vf null"
    "repost(crf30+360p+crop0.9+bright)|-ss $start -t 3|-vf crop=trunc(iw*0.45)*2:trunc(ih*0.45)*2,scale=-2:360,eq=brightness=0.1:contrast=1.2 -crf 30"
)

for name in $(printf '%s\n' "${!sources[@]}" | sort); do
    src="${sources[$name]}"
    echo
    echo "### $name"
    echo
    echo "| transformation | found | offset error (s) | similarity | flipped | crop | above captions | matched (s) | false-match p (index 1e5) |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for row in "${rows[@]}"; do
        IFS='|' read -r label cut filter <<<"$row"
        out="$work/$name.$label.mp4"
        truth=$(echo "$cut" | awk '{print $2}')
        if [ ! -f "$out" ]; then
            if [ "$filter" = "LOGO" ]; then
                # shellcheck disable=SC2086
                ff $cut -i "$src" -i Fixtures/logo.png -filter_complex "[1]scale=iw*2:-1[l];[0][l]overlay=W*0.6:H*0.08" "${enc[@]}" "$out"
            else
                # shellcheck disable=SC2086
                ff $cut -i "$src" "${enc[@]}" $filter "$out"
            fi
        fi
        json=$("$hallmark" fingerprint compare "$src" "$out" --references "$references")
        python3 - "$json" "$truth" "$label" <<'PY'
import json, sys
j = json.loads(sys.argv[1]); truth = float(sys.argv[2]); label = sys.argv[3]
if "similarity" not in j:
    print(f"| {label} | no | - | - | - | - | - | - | - |"); sys.exit()
lp = j["log10FalseMatch"]
found = lp <= -6
p = "below 1e-15" if lp < -15 else f"{10**lp:.2g}"
print(f"| {label} | {'yes' if found else 'no (near-miss)'} | {abs(j['offsetSeconds'] - truth):.3f} | {j['similarity']:.3f} | {j['flipped']} | {j['crop']} | {j['aboveCaptions']} | {j['pairs'] * 0.125:.2f} | {p} |")
PY
    done
done
