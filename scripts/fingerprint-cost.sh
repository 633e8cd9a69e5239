#!/usr/bin/env bash
# What the content fingerprint costs stamp and verify: whole-process wall time of a baseline
# hallmark (built from the commit before reverse search) against this one, alternating within
# each pair (baseline first in odd rounds), median and min-max of the per-pair ratios.
#
#   BASE=/path/to/baseline/hallmark bash scripts/fingerprint-cost.sh [CLIP] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
clip="${1:-Fixtures/motion-540p.mp4}"; rounds="${2:-7}"
base="${BASE:?set BASE to a baseline hallmark executable}"; new="${NEW:-.build/release/hallmark}"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for which in base new; do HALLMARK_HOME="$work/$which" "${!which}" keys init --dev >/dev/null; done
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
declare -a stamp_ratio verify_ratio
for ((r = 1; r <= rounds; r++)); do
    for op in stamp verify; do
        run() {  # which
            local exe="${!1}"
            if [ "$op" = stamp ]; then t env HALLMARK_HOME="$work/$1" "$exe" stamp "$clip" -o "$work/$1-$r.mp4" --account a --preset veryfast
            else t env HALLMARK_HOME="$work/$1" "$exe" verify "$work/$1-1.mp4"; fi
        }
        if ((r % 2)); then b=$(run base); n=$(run new); else n=$(run new); b=$(run base); fi
        ratio=$(echo "scale=4; $n / $b" | bc)
        echo "round $r $op: base ${b}s new ${n}s ratio $ratio"
        if [ "$op" = stamp ]; then stamp_ratio+=("$ratio"); else verify_ratio+=("$ratio"); fi
    done
done
summary() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "median %.3f (min %.3f, max %.3f, %d pairs)\n", a[int((NR+1)/2)], a[1], a[NR], NR}'; }
echo "stamp  new/base wall time: $(summary "${stamp_ratio[@]}")"
echo "verify new/base wall time: $(summary "${verify_ratio[@]}")"
