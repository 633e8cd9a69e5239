#!/usr/bin/env bash
# Meta's TMK+PDQF video hash (ThreatExchange, tmk/cpp) on the clips and transformation rows of
# scripts/fingerprint-eval.sh, the same copies and unrelated pairs as scripts/fingerprint-vs-mpeg7.sh
# (issue 10: "measure, don't guess"). Each transformed copy is hashed with `tmk-hash-video` and
# scored against its source with `tmk-two-level-score`; "found" is TMK's own two-level rule with its
# default thresholds, untuned: level-1 (cosine of the time-averaged PDQF features) >= 0.7 and
# level-2 (best time-kernel score) >= 0.7 (DEFAULT_LEVEL_{1,2}_THRESHOLD in
# tmk/cpp/bin/tmk_default_thresholds.h). Then every source against the copies made from the other
# sources, to count false matches. TMK reports no time offset, so the offset columns are "n/a".
#
#   TMK_BIN=/path/to/ThreatExchange/tmk/cpp nice -n 19 bash scripts/fingerprint-vs-tmk.sh [WORKDIR]
#                                                              (default /tmp/hallmark-fp-eval)
#
# TMK_BIN is the directory holding the built tmk-hash-video and tmk-two-level-score (`make
# tmk-hash-video tmk-two-level-score` in tmk/cpp; it needs ../../pdq/cpp beside it). The copies
# are fingerprint-eval.sh's files in WORKDIR; if any is missing, fingerprint-eval.sh is run first
# (its tables go to WORKDIR/fingerprint-eval.md). Per-pair results are kept in WORKDIR/vs-tmk.tsv
# and the hashes in WORKDIR/tmk/, and reused, so an interrupted run resumes; delete both to
# measure afresh. If WORKDIR/vs-mpeg7.tsv (fingerprint-vs-mpeg7.sh's results) exists, its
# Hallmark and MPEG-7 figures for the same pairs are shown beside TMK's.
#   HALLMARK     hallmark executable, only for making the copies (default .build/release/hallmark)
#   FFMPEG       ffmpeg that tmk-hash-video runs (default: ffmpeg on PATH)
#   TMK_C1, TMK_C2  level-1 / level-2 thresholds (default 0.7 / 0.7, TMK's defaults)
#   UNRELATED=0  skip the unrelated pairs (5 x 4 x 16 = 320)
#   SOURCES="a b", ROWS="crf35 hflip"   only these sources / transformation rows (a quick try)
# Timing: a related pair is timed from scratch, like the mpeg7 script's comparisons (hash the
# source, hash the copy, score the two: one `bash -c` under GNU time, CPU = user + sys including
# ffmpeg); the hashes it made are kept. An unrelated pair scores the two stored hashes, so its
# time is that of the score alone (what an index lookup per candidate costs). Needs GNU time and
# python3.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-/tmp/hallmark-fp-eval}"
c1="${TMK_C1:-0.7}"
c2="${TMK_C2:-0.7}"
unrelated="${UNRELATED:-1}"
ffmpeg_bin="${FFMPEG:-$(command -v ffmpeg || true)}"
if [ -z "${TMK_BIN:-}" ] || [ ! -x "${TMK_BIN}/tmk-hash-video" ] || [ ! -x "${TMK_BIN}/tmk-two-level-score" ]; then
    echo "error: set TMK_BIN to the directory with the built tmk-hash-video and tmk-two-level-score (ThreatExchange tmk/cpp: make tmk-hash-video tmk-two-level-score)" >&2
    exit 1
fi
[ -x "$ffmpeg_bin" ] || { echo "error: no ffmpeg (set FFMPEG)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "error: needs GNU time (apt-get install -y time)" >&2; exit 1; }

# The sources, rows and copies of fingerprint-eval.sh.
source scripts/fingerprint-copies.sh

method="tmk+pdqf[c1=$c1,c2=$c2]"
results="$work/vs-tmk.tsv"   # kind method source copy truth found level1 level2 wall cpu
hashes="$work/tmk"
mkdir -p "$hashes"
touch "$results"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
timed() { /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$@"; }
times() { tail -n 1 "$tmp/time" | awk '{printf "%s\t%.2f", $1, $2 + $3}'; }   # wall, user + sys
hash_of() { local b; b=$(basename "$1"); echo "$hashes/${b%.mp4}.tmk"; }

# From scratch: hash both clips, score them. Scores are printed for every pair (--c1 -1); the
# default thresholds are applied below, exactly as tmk-two-level-score / tmk-query apply them.
pair_script='set -e
"$1/tmk-hash-video" -f "$2" -i "$3" -o "$5" >/dev/null 2>"$7.a"
"$1/tmk-hash-video" -f "$2" -i "$4" -o "$6" >/dev/null 2>"$7.b"
"$1/tmk-two-level-score" --c1 -1 "$5" "$6"'

decide() {  # tmk-two-level-score output -> found, level1, level2
    python3 - "$1" "$c1" "$c2" <<'PY'
import sys
out, c1, c2 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
lines = [l.split() for l in out.splitlines() if l.strip()]
if len(lines) != 1 or len(lines[0]) < 4: print("error\t-\t-"); sys.stderr.write(out[-2000:] + "\n"); sys.exit()
s1, s2 = float(lines[0][0]), float(lines[0][1])
print(("yes" if s1 >= c1 and s2 >= c2 else "no") + f"\t{s1:.4f}\t{s2:.4f}")
PY
}

related_pair() {  # source copy -> found, level1, level2 (and keeps both hashes)
    local out
    out=$(timed bash -c "$pair_script" _ "$TMK_BIN" "$ffmpeg_bin" "$1" "$2" "$tmp/a.tmk" "$tmp/b.tmk" "$tmp/err") || {
        cat "$tmp/err.a" "$tmp/err.b" 2>/dev/null | grep -v '^frame=' | tail -n 5 >&2 || true
        echo "error	-	-"; return; }
    cp "$tmp/a.tmk" "$(hash_of "$1")"; cp "$tmp/b.tmk" "$(hash_of "$2")"
    decide "$out"
}

ensure_hash() {  # clip -> its stored hash (made untimed if no related pair made it)
    local h; h=$(hash_of "$1")
    if [ ! -s "$h" ]; then
        "$TMK_BIN/tmk-hash-video" -f "$ffmpeg_bin" -i "$1" -o "$h.part" >/dev/null 2>"$tmp/err" || { tail -n 5 "$tmp/err" >&2; return 1; }
        mv "$h.part" "$h"
    fi
    echo "$h"
}

unrelated_pair() {  # source copy -> found, level1, level2 (score of the stored hashes only)
    local a b out
    a=$(ensure_hash "$1") && b=$(ensure_hash "$2") || { echo "error	-	-"; return; }
    out=$(timed "$TMK_BIN/tmk-two-level-score" --c1 -1 "$a" "$b" 2>"$tmp/err") || { cat "$tmp/err" >&2; echo "error	-	-"; return; }
    decide "$out"
}

run_pair() {  # kind source-name source copy truth
    local line
    if awk -F'\t' -v m="$method" -v s="$2" -v c="$4" '$2 == m && $3 == s && $4 == c {f = 1} END {exit !f}' "$results"; then
        return
    fi
    : >"$tmp/time"
    if [ "$1" = related ]; then line=$(related_pair "$3" "$4"); else line=$(unrelated_pair "$3" "$4"); fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$method" "$2" "$4" "$5" "$line" "$(times)" >>"$results"
}

run_all_pairs

python3 - "$results" "$method" "$work" "$unrelated" "${names[*]}" "$c1" "$c2" "${labels[@]}" <<'PY'
import collections, os, statistics, sys
path, tm, work, unrelated, names, c1, c2 = sys.argv[1:8]
unrelated, names, labels = unrelated == "1", names.split(), sys.argv[8:]
def load(p, fields):
    if not os.path.exists(p): return []
    return [dict(zip(fields, l.rstrip("\n").split("\t"))) for l in open(p) if l.strip()]
def copy_of(r): return r["copy"][len(work) + 1:-4].split(".", 1)   # [source name, label]
def keep(r): return (r["source"] in names and copy_of(r)[0] in names and copy_of(r)[1] in labels
                     and (unrelated or r["kind"] == "related"))
rows = [r for r in load(path, "kind method source copy truth found level1 level2 wall cpu".split())
        if r["method"] == tm and keep(r)]
# fingerprint-vs-mpeg7.sh's cached results for the same pairs, if it was run in this WORKDIR.
other = [r for r in load(os.path.join(work, "vs-mpeg7.tsv"), "kind method source copy truth found offset wall cpu".split()) if keep(r)]
hm = "hallmark"; m7 = sorted({r["method"] for r in other if r["method"].startswith("mpeg7")})
m7 = m7[0] if m7 else None
have_h = any(r["method"] == hm for r in other); have_m = m7 is not None
errors = [r for r in rows + other if r["found"] == "error"]
rel = collections.defaultdict(list)
for r in rows + other:
    if r["kind"] == "related": rel[(copy_of(r)[1], r["method"])].append(r)
def found(rs): return f"{sum(r['found'] == 'yes' for r in rs)}/{len(rs)}"
def placed(rs): return f"{sum(r['found'] == 'yes' and float(r['offset']) <= 0.2 for r in rs)}/{len(rs)}"
def scores(rs, k):
    v = sorted(float(r[k]) for r in rs if r[k] != "-")
    return "-" if not v else f"{statistics.median(v):.3f} ({v[0]:.3f})"
print(f"TMK+PDQF thresholds: level-1 >= {c1}, level-2 >= {c2} (TMK defaults); method key {tm}\n")
head = "| transformation | TMK found | TMK at true offset | TMK level-1, median (min) | TMK level-2, median (min) |"
if have_h: head += " Hallmark found | Hallmark at true offset (±0.2 s) |"
if have_m: head += " MPEG-7 found | MPEG-7 at true offset (±0.2 s) |"
print(head); print("|---" * (head.count("|") - 1) + "|")
def line(label, rs_t, rs_h, rs_m, bold=False):
    b = (lambda s: f"**{s}**") if bold else (lambda s: s)
    cells = [label, b(found(rs_t)), "n/a", scores(rs_t, "level1"), scores(rs_t, "level2")]
    if have_h: cells += [b(found(rs_h)), b(placed(rs_h))]
    if have_m: cells += [b(found(rs_m)), b(placed(rs_m))]
    print("| " + " | ".join(cells) + " |")
for label in labels: line(label, rel[(label, tm)], rel[(label, hm)], rel[(label, m7)])
def every(meth): return [r for k, v in rel.items() if k[1] == meth for r in v]
line("**all rows**", every(tm), every(hm), every(m7), bold=True)
un = {meth: [r for r in rows + other if r["kind"] == "unrelated" and r["method"] == meth] for meth in (tm, hm, m7)}
if unrelated:
    def mx(k):
        v = [float(r[k]) for r in un[tm] if r[k] != "-"]
        return f"max {max(v):.3f}" if v else "-"
    cells = ["**false matches, unrelated pairs**", f"**{found(un[tm])}**", "", mx("level1"), mx("level2")]
    if have_h: cells += [f"**{found(un[hm])}**", ""]
    if have_m: cells += [f"**{found(un[m7])}**", ""]
    print("| " + " | ".join(cells) + " |")

print("\nTMK misses by source (level-1 / level-2 score of each missed copy):\n")
srcs = sorted({r["source"] for r in rows})
print("| transformation | " + " | ".join(srcs) + " |"); print("|---" * (len(srcs) + 1) + "|")
for label in labels:
    cells = []
    for s in srcs:
        cells.append(", ".join(f"{r['found']} {r['level1']} / {r['level2']}" for r in rel[(label, tm)]
                               if r["source"] == s and r["found"] != "yes"))
    print(f"| {label} | " + " | ".join(cells) + " |")
fm = [f"{r['source']} vs {r['copy'][len(work) + 1:-4]} ({r['level1']} / {r['level2']})" for r in un[tm] if r["found"] == "yes"]
if fm: print("\nTMK false matches (level-1 / level-2): " + "; ".join(fm))
if errors: print(f"\n{len(errors)} comparisons failed (counted as not found): " + "; ".join(r["method"] + " " + r["source"] + " " + r["copy"] for r in errors))

print("\nTime per comparison (median, in seconds, with min-max):\n")
def q(rs, key):
    v = sorted(float(r[key]) for r in rs if r[key] not in ("", "-"))
    return "-" if not v else f"{statistics.median(v):.2f} ({v[0]:.2f}-{v[-1]:.2f})"
print("| pairs | what is timed | n | TMK wall | TMK CPU |"); print("|---|---|---|---|---|")
groups = [("all sources", lambda r: True), ("source ai-clip-1080p (1904x1080, 10.7 s)", lambda r: r["source"] == "ai-clip-1080p"),
          ("other sources (<= 854x480, 10 s)", lambda r: r["source"] != "ai-clip-1080p")]
for g, pred in groups:
    t = [r for r in rows if r["kind"] == "related" and pred(r)]
    print(f"| related, {g} | hash source + hash copy + score | {len(t)} | {q(t, 'wall')} | {q(t, 'cpu')} |")
t = [r for r in rows if r["kind"] == "unrelated"]
if t: print(f"| unrelated, all sources | score of two stored hashes | {len(t)} | {q(t, 'wall')} | {q(t, 'cpu')} |")
if other:
    print("\nFrom fingerprint-vs-mpeg7.sh's cached results, the same related pairs (both clips decoded and "
          "fingerprinted from scratch; measured in that script's run, not alternating with TMK's):\n")
    print("| pairs | n | Hallmark wall | Hallmark CPU | MPEG-7 wall | MPEG-7 CPU |"); print("|---|---|---|---|---|---|")
    for g, pred in groups:
        h = [r for r in other if r["kind"] == "related" and r["method"] == hm and pred(r)]
        m = [r for r in other if r["kind"] == "related" and r["method"] == m7 and pred(r)]
        print(f"| related, {g} | {len(h)} | {q(h, 'wall')} | {q(h, 'cpu')} | {q(m, 'wall')} | {q(m, 'cpu')} |")
PY
