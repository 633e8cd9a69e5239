#!/usr/bin/env bash
# Makes the small test clips in this folder from FFmpeg's synthetic (lavfi) sources.
# Run from anywhere: bash Fixtures/make-fixtures.sh   (needs the ffmpeg CLI)
set -euo pipefail
cd "$(dirname "$0")"
ff() { ffmpeg -v error -y "$@"; }
x264=(-c:v libx264 -preset veryfast -crf 26 -pix_fmt yuv420p -movflags +faststart)

# Natural-looking motion: a zooming fractal with film grain and a slow pan, with audio. 960x540, 4 s.
ff -f lavfi -i "mandelbrot=size=1100x620:rate=24:start_scale=2.5:end_scale=0.4" \
   -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 4 \
   -vf "crop=960:540:'70*t':'20*t',noise=alls=3:allf=t,eq=saturation=0.8" \
   "${x264[@]}" -c:a aac -b:a 64k motion-540p.mp4

# Synthetic test pattern with moving parts and a timecode. 1280x720, 3 s, no audio.
ff -f lavfi -i "testsrc2=size=1280x720:rate=30" -t 3 "${x264[@]}" testsrc-720p.mp4

# Broadcast bars: large flat areas. 1280x720, 3 s.
ff -f lavfi -i "smptehdbars=size=1280x720:rate=25" -t 3 "${x264[@]}" bars-720p.mp4

# Dark and nearly flat, with sensor-like noise. 960x540, 3 s.
ff -f lavfi -i "color=c=0x141414:size=960x540:rate=24" -t 3 -vf "noise=alls=4:allf=t" "${x264[@]}" dark-540p.mp4

# An odd size that is not a multiple of 16 (like the 1904x1080 AI clip), moving gradients. 718x404, 3 s.
ff -f lavfi -i "mandelbrot=size=718x404:rate=25:start_scale=1.5:end_scale=0.8:inner=period" -t 3 \
   -vf "hue=h=40*t" "${x264[@]}" odd-718x404.mp4

# A still logo with alpha for the visible mark.
ff -f lavfi -i "color=c=white@0.0:size=160x64,format=rgba" -frames:v 1 \
   -vf "drawbox=x=4:y=4:w=152:h=56:color=0x2060ff@0.9:t=fill,drawbox=x=20:y=20:w=120:h=24:color=white@1:t=fill" logo.png
ls -l
