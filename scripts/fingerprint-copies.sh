# Sourced by scripts/fingerprint-vs-mpeg7.sh and scripts/fingerprint-vs-tmk.sh (not run on its own):
# the sources and transformation rows of scripts/fingerprint-eval.sh, read from it so the scripts
# cannot drift apart, narrowed by SOURCES / ROWS, and the copies in $work made by it when missing.
# Expects `work` set; sets `sources` (name -> file), `names`, `labels`, `truths` (true offsets),
# `eval_script`, and defines `run_all_pairs`. Making the copies needs the hallmark executable: HALLMARK or .build/release/hallmark.
eval_script=scripts/fingerprint-eval.sh
start=2.3
eval "$(sed -n '/^declare -a rows=(/,/^)/p' "$eval_script")"
declare -A sources
if [ -f ../shared/media/ai-clip-1080p.mp4 ]; then sources[ai-clip-1080p]=../shared/media/ai-clip-1080p.mp4; fi
for name in $(sed -n 's/^make_lavfi \([^ ]*\) .*/\1/p' "$eval_script"); do sources[$name]="$work/$name.mp4"; done
names=(); for name in $(printf '%s\n' "${!sources[@]}" | sort); do
    [[ -z "${SOURCES:-}" || " $SOURCES " == *" $name "* ]] || continue
    names+=("$name")
done
labels=(); truths=()
for row in "${rows[@]}"; do
    IFS='|' read -r label cut _ <<<"$row"
    [[ -z "${ROWS:-}" || " $ROWS " == *" $label "* ]] || continue
    labels+=("$label"); truths+=("$(echo "$cut" | awk '{print $2}')")
done

missing=0
for name in "${names[@]}"; do
    [ -f "${sources[$name]}" ] || missing=1
    for label in "${labels[@]}"; do [ -f "$work/$name.$label.mp4" ] || missing=1; done
done
if [ "$missing" = 1 ]; then
    HALLMARK="${HALLMARK:-.build/release/hallmark}"
    [ -x "$HALLMARK" ] || { echo "error: copies missing and no hallmark at $HALLMARK to make them (set HALLMARK)" >&2; exit 1; }
    export HALLMARK
    echo "making the copies: bash $eval_script $work > $work/fingerprint-eval.md" >&2
    mkdir -p "$work"
    bash "$eval_script" "$work" >"$work/fingerprint-eval.md"
fi

# Every related pair (each source and its own copies), then with UNRELATED=1 (the default) every
# unrelated one (each source against the other sources' copies), through the caller's
# `run_pair KIND SOURCE-NAME SOURCE-FILE COPY-FILE TRUE-OFFSET`.
run_all_pairs() {
    total=$(( ${#names[@]} * ${#labels[@]} )); n=0
    for name in "${names[@]}"; do
        for i in "${!labels[@]}"; do
            n=$((n + 1)); echo "related $n/$total: $name ${labels[$i]}" >&2
            run_pair related "$name" "${sources[$name]}" "$work/$name.${labels[$i]}.mp4" "${truths[$i]}"
        done
    done
    if [ "$unrelated" = 1 ]; then
        total=$(( ${#names[@]} * (${#names[@]} - 1) * ${#labels[@]} )); n=0
        for name in "${names[@]}"; do
            for other in "${names[@]}"; do
                [ "$other" = "$name" ] && continue
                for i in "${!labels[@]}"; do
                    n=$((n + 1)); echo "unrelated $n/$total: $name vs $other ${labels[$i]}" >&2
                    run_pair unrelated "$name" "${sources[$name]}" "$work/$other.${labels[$i]}.mp4" "${truths[$i]}"
                done
            done
        done
    fi
}
