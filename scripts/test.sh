#!/usr/bin/env bash
# The test suite: install what is needed, start a throw-away PostgreSQL server and the reference
# C2PA reader (c2pa-python in .venv-c2pa) for the interop tests, then run every test in an
# optimised build (the media tests encode and decode real video; a debug build is ten times slower).
#
#   bash scripts/test.sh            everything (what CI runs)
#   bash scripts/test.sh --fast     leaves out the suites tagged .media and .endToEnd (real encodes,
#                                   the executable run as a user, many processes): under a minute
#                                   once built. Further arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
skip=()
if [ "${1:-}" = "--fast" ]; then
    shift
    # Swift 6.3's `swift test` cannot filter by tag yet, so the tagged suites are named here
    # (keep in step with `.tags(.media)` / `.tags(.endToEnd)` in Tests/HallmarkTests).
    skip=(--skip 'HallmarkTests\.(AttackTests|StampVerifyTests|ProvenanceTests|FaultTests|CommandLineTests|HTMLReportTests|CalibrationTests|AttributionTests|PipeStampTests|SourceSearchTests|SearchCommandTests|ScanWorkerTests|ServiceTests)')
fi
if [ ${#skip[@]} -eq 0 ] || ! pkg-config --exists libavformat libpq openssl 2>/dev/null; then
    bash scripts/install-deps.sh
fi
if [ ! -x .venv-c2pa/bin/python ] || ! .venv-c2pa/bin/python -c "import c2pa" 2>/dev/null; then
    echo "setting up c2pa-python 0.38.1 in .venv-c2pa (reference C2PA reader for interop tests)"
    python3 -m venv .venv-c2pa && .venv-c2pa/bin/pip install -q c2pa-python==0.38.1 \
        || echo "warning: c2pa-python could not be installed; the interop tests will skip"
fi
if [ -z "${HALLMARK_TEST_POSTGRES_URL:-}" ]; then
    if url="$(bash scripts/start-postgres.sh)" && [ -n "$url" ]; then
        export HALLMARK_TEST_POSTGRES_URL="$url"
    else
        echo "warning: no PostgreSQL server could be started; the PostgreSQL tests will skip"
    fi
fi
swift test -c release -Xswiftc -enable-testing "${skip[@]+"${skip[@]}"}" "$@"
