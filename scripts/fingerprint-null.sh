#!/usr/bin/env bash
# The reverse-search false-match null: unrelated clips (../shared/media, the project's fixtures,
# FFmpeg synthetic sources of different kinds, noise and dark clips), excerpts of each aligned
# against every other (`hallmark fingerprint null`). Prints the pair count, the similarity
# quantiles, the model probability's empirical tail and the best near-miss.
#
#   bash scripts/fingerprint-null.sh [WORKDIR]      (default /tmp/hallmark-fp-null; reuses made files)
#
# Clips that are copies of one another are not in the set: FFmpeg's testsrc2 and the mandelbrot
# sources appear once each (Fixtures/testsrc-720p.mp4 and Fixtures/motion-540p.mp4 are them).
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-/tmp/hallmark-fp-null}"
mkdir -p "$work"
hallmark="${HALLMARK:-.build/release/hallmark}"
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
enc=(-c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -an)
clips=()
make() {  # name, lavfi graph
    [ -f "$work/$1.mp4" ] || ff -f lavfi -i "$2" -t 10 "${enc[@]}" "$work/$1.mp4"
    clips+=("$work/$1.mp4")
}
[ -f ../shared/media/ai-clip-1080p.mp4 ] && clips+=(../shared/media/ai-clip-1080p.mp4)
clips+=(Fixtures/motion-540p.mp4 Fixtures/bars-720p.mp4 Fixtures/dark-540p.mp4 Fixtures/testsrc-720p.mp4)
make life-blur "life=size=640x360:rate=30:mold=10:ratio=0.1:death_color=#202020:life_color=#e0e0e0,gblur=sigma=3"
make life-sharp "life=size=480x480:rate=25:ratio=0.3:seed=7"
make cellauto110 "cellauto=size=640x272:rate=30:rule=110,gblur=sigma=2"
make cellauto30 "cellauto=size=854x480:rate=24:rule=30:seed=3"
make noise "color=c=gray:size=640x360:rate=30,noise=alls=60:allf=t+u"
make dark-noise "color=c=0x0c0c0c:size=854x480:rate=25,noise=alls=8:allf=t"
make black "color=c=black:size=640x360:rate=30"
make gradients "gradients=size=640x360:rate=30:speed=0.02:seed=11"
make gradients2 "gradients=size=854x480:rate=25:speed=0.05:seed=99:nb_colors=5"
make mptestsrc "mptestsrc=rate=30"
make sierpinski "sierpinski=size=640x360:rate=30:jump=4"
make colorspectrum "colorspectrum=size=640x360:rate=30,hue=H=2*PI*t/10"
make rgbtestsrc "rgbtestsrc=size=640x360:rate=30,rotate=a=0.2*t"
make yuvtestsrc "yuvtestsrc=size=640x360:rate=30,zoompan=z=1+0.02*on:d=1:s=640x360"
"$hallmark" fingerprint null "${clips[@]}" --lengths 1.5,3,6 --hop 0.25 --tsv "$work/null.tsv" "$@"
