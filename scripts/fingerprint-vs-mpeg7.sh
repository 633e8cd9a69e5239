#!/usr/bin/env bash
# Hallmark's content fingerprint against the MPEG-7 video signature (ISO/IEC 15938-3 Amd. 4, as
# FFmpeg ships it: the `signature` filter), on the clips and transformation rows of
# scripts/fingerprint-eval.sh (issue 10: "measure, don't guess"). Each transformed copy is matched
# against its own source by both (`hallmark fingerprint compare`, and `ffmpeg -i SRC -i COPY
# -filter_complex signature=nb_inputs=2:detectmode=full`), then every source against the copies
# made from the other sources, to count false matches. Prints Markdown tables: found n/5 and
# offset error per transformation, false matches among the unrelated pairs, and the wall and CPU
# time of one comparison (both decode both clips and compute both fingerprints from scratch).
#
#   nice -n 19 bash scripts/fingerprint-vs-mpeg7.sh [WORKDIR]     (default /tmp/hallmark-fp-eval)
#
# The copies are fingerprint-eval.sh's files in WORKDIR; if any is missing, fingerprint-eval.sh is
# run first (its tables go to WORKDIR/fingerprint-eval.md). Per-pair results are kept in
# WORKDIR/vs-mpeg7.tsv and reused, so an interrupted run resumes; delete it to measure afresh.
#   HALLMARK     hallmark executable (default .build/release/hallmark; the script never builds)
#   MPEG7_OPTS   signature filter thresholds (default FFmpeg's own defaults, untuned:
#                th_d=9000:th_dc=60000:th_xh=116:th_di=0:th_it=0.5)
#   UNRELATED=0  skip the unrelated pairs (5 x 4 x 16 = 320 per method)
#   SOURCES="a b", ROWS="crf35 hflip"   only these sources / transformation rows (a quick try)
# Decisions: Hallmark "found" is fingerprint-eval.sh's rule, false-match probability <= 1e-6 for
# an index of 1e5 clips; MPEG-7 "found" is the filter logging "matching of video 0 at X and 1 at
# Y", and its offset is X - Y. The true offset is the excerpt start (2.3 s; 5.1 s for the excerpt
# row); "at true offset" counts the found copies aligned within 0.2 s of it. The full run is
# 400 pairs x 2 methods, about 20 minutes on two shared cores. The two methods run alternately,
# pair by pair, so their times are comparable within one run; a cached result keeps the time of
# the run that made it. Needs GNU time and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-/tmp/hallmark-fp-eval}"
hallmark="${HALLMARK:-.build/release/hallmark}"
mpeg7_opts="${MPEG7_OPTS:-th_d=9000:th_dc=60000:th_xh=116:th_di=0:th_it=0.5}"
unrelated="${UNRELATED:-1}"
references=100000
[ -x "$hallmark" ] || { echo "error: no hallmark at $hallmark (set HALLMARK)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "error: needs GNU time (apt-get install -y time)" >&2; exit 1; }
export HALLMARK="$hallmark"

# The sources, rows and copies of fingerprint-eval.sh.
source scripts/fingerprint-copies.sh

results="$work/vs-mpeg7.tsv"   # kind method source copy truth found offset wall cpu
touch "$results"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
timed() { /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$@"; }
times() { tail -n 1 "$tmp/time" | awk '{printf "%s\t%.2f", $1, $2 + $3}'; }   # wall, user + sys

hallmark_pair() {  # source copy truth -> found, offset error
    local json
    json=$(timed "$hallmark" fingerprint compare "$1" "$2" --references "$references") || json=failed
    python3 - "$json" "$3" <<'PY'
import json, sys
if sys.argv[1] == "failed": print("error\t-"); sys.exit()
j = json.loads(sys.argv[1]); truth = float(sys.argv[2])
if "similarity" not in j: print("no\t-")
else: print(("yes" if j["log10FalseMatch"] <= -6 else "no") + f"\t{abs(j['offsetSeconds'] - truth):.3f}")
PY
}

mpeg7_pair() {  # source copy truth -> found, offset error
    timed ffmpeg -hide_banner -nostats -loglevel info -i "$1" -i "$2" -an -filter_complex \
        "[0:v][1:v]signature=nb_inputs=2:detectmode=full:$mpeg7_opts" -f null - 2>"$tmp/log" || true
    python3 - "$tmp/log" "$3" <<'PY'
import re, sys
log = open(sys.argv[1]).read(); truth = float(sys.argv[2])
m = re.search(r"matching of video 0 at ([-\d.]+) and 1 at ([-\d.]+), (\d+) frames matching", log)
if m: print(f"yes\t{abs(float(m[1]) - float(m[2]) - truth):.3f}")
elif "no matching of video 0 and 1" in log: print("no\t-")
else: print("error\t-"); sys.stderr.write(log[-2000:])
PY
}

run_pair() {  # kind source-name source copy truth
    local method line
    for method in hallmark "mpeg7[$mpeg7_opts]"; do
        if awk -F'\t' -v m="$method" -v s="$2" -v c="$4" '$2 == m && $3 == s && $4 == c {f = 1} END {exit !f}' "$results"; then
            continue
        fi
        if [ "$method" = hallmark ]; then line=$(hallmark_pair "$3" "$4" "$5"); else line=$(mpeg7_pair "$3" "$4" "$5"); fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$method" "$2" "$4" "$5" "$line" "$(times)" >>"$results"
    done
}

run_all_pairs

python3 - "$results" "hallmark" "mpeg7[$mpeg7_opts]" "$work" "$unrelated" "${names[*]}" "${labels[@]}" <<'PY'
import collections, statistics, sys
path, hm, m7, work, unrelated, names, labels = sys.argv[1:5] + [sys.argv[5] == "1", sys.argv[6].split(), sys.argv[7:]]
rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
rows = [dict(zip("kind method source copy truth found offset wall cpu".split(), r)) for r in rows]
def copy_of(r): return r["copy"][len(work) + 1:-4].split(".", 1)   # [source name, label]
def label_of(r): return copy_of(r)[1]
rows = [r for r in rows if r["method"] in (hm, m7) and r["source"] in names and copy_of(r)[0] in names
        and label_of(r) in labels and (unrelated or r["kind"] == "related")]
errors = [r for r in rows if r["found"] == "error"]
rel = collections.defaultdict(list)
for r in rows:
    if r["kind"] == "related": rel[(label_of(r), r["method"])].append(r)
def found(rs): return f"{sum(r['found'] == 'yes' for r in rs)}/{len(rs)}"
def placed(rs): return f"{sum(r['found'] == 'yes' and float(r['offset']) <= 0.2 for r in rs)}/{len(rs)}"
def offsets(rs):
    e = sorted(float(r["offset"]) for r in rs if r["found"] == "yes")
    return "-" if not e else f"{statistics.median(e):.3f} / {e[-1]:.3f}"
print(f"MPEG-7 thresholds: {m7[6:-1]}\n")
print("| transformation | Hallmark found | at true offset (±0.2 s) | offset error, median / max (s) "
      "| MPEG-7 found | at true offset (±0.2 s) | offset error, median / max (s) |")
print("|---|---|---|---|---|---|---|")
for label in labels:
    h, m = rel[(label, hm)], rel[(label, m7)]
    print(f"| {label} | {found(h)} | {placed(h)} | {offsets(h)} | {found(m)} | {placed(m)} | {offsets(m)} |")
allh = [r for k, v in rel.items() if k[1] == hm for r in v]; allm = [r for k, v in rel.items() if k[1] == m7 for r in v]
print(f"| **all rows** | **{found(allh)}** | **{placed(allh)}** | {offsets(allh)} | **{found(allm)}** | **{placed(allm)}** | {offsets(allm)} |")
un = {meth: [r for r in rows if r["kind"] == "unrelated" and r["method"] == meth] for meth in (hm, m7)}
if unrelated: print(f"| **false matches, unrelated pairs** | **{found(un[hm])}** | | | **{found(un[m7])}** | | |")

print("\nMisses by source (H = Hallmark, M = MPEG-7; \"off\" = found more than 0.2 s from the true offset):\n")
sources = sorted({r["source"] for r in rows})
print("| transformation | " + " | ".join(sources) + " |"); print("|---" * (len(sources) + 1) + "|")
for label in labels:
    cells = []
    for s in sources:
        mine = [(t, r) for meth, t in ((hm, "H"), (m7, "M")) for r in rel[(label, meth)] if r["source"] == s]
        missed = "".join(t for t, r in mine if r["found"] != "yes")
        off = ", ".join(f"{t} off {r['offset']} s" for t, r in mine if r["found"] == "yes" and float(r["offset"]) > 0.2)
        cells.append(", ".join(x for x in (missed and f"missed {missed}", off) if x))
    print(f"| {label} | " + " | ".join(cells) + " |")
for meth, t in ((hm, "Hallmark"), (m7, "MPEG-7")):
    fm = [f"{r['source']} vs {r['copy'][len(work) + 1:-4]} (offset {r['offset']})" for r in un[meth] if r["found"] == "yes"]
    if fm: print(f"\n{t} false matches: " + "; ".join(fm))

if errors: print(f"\n{len(errors)} comparisons failed (counted as not found): " + "; ".join(r["method"] + " " + r["copy"] for r in errors))

print("\nTime per comparison (both clips decoded and fingerprinted; median, in seconds, with min-max):\n")
print("| pairs | n | Hallmark wall | Hallmark CPU | MPEG-7 wall | MPEG-7 CPU |"); print("|---|---|---|---|---|---|")
def q(rs, key):
    v = sorted(float(r[key]) for r in rs)
    return "-" if not v else f"{statistics.median(v):.2f} ({v[0]:.2f}-{v[-1]:.2f})"
groups = [("all", lambda r: True), ("source ai-clip-1080p (1904x1080, 10.7 s)", lambda r: r["source"] == "ai-clip-1080p"),
          ("other sources (<= 854x480, 10 s)", lambda r: r["source"] != "ai-clip-1080p")]
for g, pred in groups:
    h = [r for r in rows if r["method"] == hm and pred(r)]; m = [r for r in rows if r["method"] == m7 and pred(r)]
    print(f"| {g} | {len(h)} | {q(h, 'wall')} | {q(h, 'cpu')} | {q(m, 'wall')} | {q(m, 'cpu')} |")
PY
