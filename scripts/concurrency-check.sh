#!/usr/bin/env bash
# Several stamping processes against one registry at once: 8 processes x 200 stamps of a tiny clip
# (no manifest, no visible mark: the registry is what is measured), then counts rows and distinct ids.
# Usage: bash scripts/concurrency-check.sh [REGISTRY]   (a SQLite path or postgres://..., default a new SQLite file)
set -euo pipefail
cd "$(dirname "$0")/.."
PROCESSES=${PROCESSES:-8}
STAMPS=${STAMPS:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
registry="${1:-$work/registry.sqlite}"
bin=.build/release/hallmark
[ -x "$bin" ] || swift build -c release --product hallmark >/dev/null
ffmpeg -v error -f lavfi -i testsrc2=s=128x72:r=10:d=0.3 -c:v libx264 -preset ultrafast "$work/tiny.mp4"
export HALLMARK_HOME="$work/home"
start=$(date +%s.%N)
for p in $(seq 1 "$PROCESSES"); do
    (for i in $(seq 1 "$STAMPS"); do
        "$bin" stamp "$work/tiny.mp4" -o "$work/out-$p.mp4" --account "proc-$p" --preset ultrafast \
            --visible none --no-manifest --registry "$registry" >> "$work/ids-$p.txt" || echo "FAILED $p $i"
    done) &
done
wait
end=$(date +%s.%N)
"$bin" registry export --format csv --registry "$registry" > "$work/marks.csv"
rows=$(($(wc -l < "$work/marks.csv") - 1))
distinct=$(tail -n +2 "$work/marks.csv" | cut -d, -f1 | sort -u | wc -l)
printed=$(cat "$work"/ids-*.txt | sort -u | wc -l)
echo "| backend | processes x stamps | rows | distinct mark ids | ids printed by stamp | seconds |"
echo "|---|---|---|---|---|---|"
case "$registry" in postgres*) backend=PostgreSQL ;; *) backend=SQLite ;; esac
printf '| %s | %s x %s | %s | %s | %s | %.1f |\n' "$backend" "$PROCESSES" "$STAMPS" "$rows" "$distinct" "$printed" "$(echo "$end - $start" | bc)"
