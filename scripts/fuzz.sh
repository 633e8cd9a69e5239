#!/usr/bin/env bash
# libFuzzer runs of the parsers of untrusted bytes (the Fuzz/ package; see its Package.swift).
#
#   bash scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]   one target, e.g. FuzzCBOR 600
#   bash scripts/fuzz.sh all SECONDS [libFuzzer options...]      every target, SECONDS each
#   bash scripts/fuzz.sh list                                    the targets
#
# Builds the targets (release, fuzzer + address sanitizer) if needed, seeds a corpus from
# Fixtures/ and ../shared/c2pa-fixtures (when present) on first use, and keeps the working
# corpus, crashers and logs under Fuzz/work/ (not committed). Prints, per target, the
# executions, exec/s, corpus size, peak RSS and crashers. Exits 1 if any target found a crasher.
#
# FUZZ_ASAN=0 builds without AddressSanitizer (in Fuzz/.build-noasan): Swift's own checks still
# trap on every out-of-bounds index, overflow and bad unwrap, at 5-20x the executions per second
# of the ASan build on these allocation-heavy parsers; ASan adds the checks on unsafe pointers.
# Both builds share one corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
targets=(FuzzBMFF FuzzJUMBF FuzzCBOR FuzzCOSE FuzzX509 FuzzTimeStamp FuzzBMFFHash FuzzManifestStore FuzzManifest)
if [ "${1:-}" = list ]; then printf '%s\n' "${targets[@]}"; exit 0; fi
[ $# -ge 2 ] || { echo "usage: $0 TARGET|all SECONDS [libFuzzer options...]" >&2; exit 64; }
target=$1; seconds=$2; shift 2
if [ "$target" = all ]; then run=("${targets[@]}"); else
    printf '%s\n' "${targets[@]}" | grep -qx "$target" || { echo "unknown target $target (try: $0 list)" >&2; exit 64; }
    run=("$target")
fi

work=$root/Fuzz/work
if [ "${FUZZ_ASAN:-1}" = 0 ]; then
    build=(swift build -c release --sanitize=fuzzer -Xswiftc -enable-testing --package-path Fuzz --scratch-path Fuzz/.build-noasan)
else
    build=(swift build -c release --sanitize=fuzzer --sanitize=address -Xswiftc -enable-testing --package-path Fuzz)
fi
bin=$("${build[@]}" --show-bin-path)
# Build only when a binary is missing or older than a source: an incremental rebuild of binaries
# that were up to date once relinked them without coverage counters (cause not found).
stale=0
for t in "${run[@]}"; do
    if [ ! -x "$bin/$t" ] || [ -n "$(find Sources Fuzz/Sources -name '*.swift' -newer "$bin/$t" -print -quit)" ]; then stale=1; fi
done
if [ $stale = 1 ]; then nice -n 10 "${build[@]}" 2>&1 | grep -Ev '^\[|Cannot export local symbol' >&2 || true; fi
for t in "${run[@]}"; do
    [ -x "$bin/$t" ] || { echo "build failed: no $bin/$t" >&2; exit 1; }
    # A binary without coverage counters would let libFuzzer run blind (see the build above).
    # (readelf's whole output is read first: with pipefail, grep -q quitting early fails the pipe.)
    if command -v readelf >/dev/null && ! grep -q sancov <<<"$(readelf -S "$bin/$t")"; then
        echo "$bin/$t has no coverage instrumentation: rm -rf the build folder's release directory and run again" >&2; exit 1
    fi
done

# Seeds, once: every fixture (and the reference SDK's), each also stamped; a time-stamp token
# from a throw-away openssl TSA; the sub-parsers' bytes cut out by the seed extractor.
if [ ! -f "$work/seeds/.done" ]; then
    rm -rf "$work/seeds"; mkdir -p "$work/seeds"
    list=$work/seeds/inputs.txt; : > "$list"
    for f in Fixtures/*.mp4 ../shared/c2pa-fixtures/*.{mp4,mov,m4s} ../shared/c2pa-fixtures/certs/*.pub; do
        [ -f "$f" ] && realpath "$f" >> "$list"
    done
    if command -v openssl >/dev/null; then
        tsa=$(mktemp -d)
        (   cd "$tsa"
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tsa.key -out tsa.pem -days 30 \
                -subj /CN=fuzz-tsa -addext extendedKeyUsage=critical,timeStamping -addext keyUsage=critical,digitalSignature
            echo 01 > serial
            printf '[ tsa ]\ndefault_tsa = t\n[ t ]\nserial = %s/serial\ncrypto_device = builtin\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256\ness_cert_id_alg = sha256\n' "$tsa" > ts.cnf
            printf seed > data
            openssl ts -query -data data -sha256 -cert -out q.tsq
            openssl ts -reply -config ts.cnf -queryfile q.tsq -signer tsa.pem -inkey tsa.key -token_out -out token.tst
            openssl ts -reply -config ts.cnf -queryfile q.tsq -signer tsa.pem -inkey tsa.key -out response.tsr
        ) >/dev/null 2>&1 || echo "warning: no time-stamp token seed (openssl ts failed)" >&2
        for f in "$tsa"/token.tst "$tsa"/response.tsr "$tsa"/tsa.pem; do
            [ -f "$f" ] && cp "$f" "$work/seeds/" && echo "$work/seeds/$(basename "$f")" >> "$list"
        done
        rm -rf "$tsa"
    fi
    HALLMARK_FUZZ_SEED_OUT=$work/seeds HALLMARK_FUZZ_SEED_LIST=$list "$bin/FuzzManifest" -runs=0 >&2
    touch "$work/seeds/.done"
fi

status=0
printf '%-18s %12s %8s %8s %9s %8s\n' target executions exec/s corpus peak_MB crashers
for t in "${run[@]}"; do
    corpus=$work/corpus/$t; artifacts=$work/crashes/$t; log=$work/logs/$t.log
    mkdir -p "$corpus" "$artifacts" "$work/logs" "$work/seeds/$t"
    # New inputs go to the first directory; the seeds are read from the second. The Swift runtime's
    # backtracer is off: it catches a trap (SIGILL) before libFuzzer can save the input. ASan records no
    # allocation stacks (malloc_context_size=0: 3-4x the speed on the allocation-heavy parsers;
    # rerun a crasher with ASAN_OPTIONS=detect_leaks=0 for them) and leak checking is off.
    ( cd "$work" && SWIFT_BACKTRACE=enable=no HALLMARK_FUZZ_ANCHORS=$work/seeds/anchors.pem ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:malloc_context_size=0} \
        nice -n 10 "$bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -dict="$root/Fuzz/hallmark.dict" -artifact_prefix="$artifacts/" -print_final_stats=1 "$@" \
        "$corpus" "$work/seeds/$t" ) > "$log" 2>&1 || true
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    size=$(find "$corpus" -type f | wc -l)
    crashers=$(find "$artifacts" -type f | wc -l)
    if grep -q 'Is the code instrumented for coverage' "$log"; then echo "warning: $t ran without coverage feedback" >&2; status=1; fi
    printf '%-18s %12s %8s %8s %9s %8s\n' "$t" "$execs" "$speed" "$size" "$rss" "$crashers"
    [ "$crashers" -eq 0 ] || status=1
done
echo "logs: $work/logs; crashers: $work/crashes" >&2
exit $status
