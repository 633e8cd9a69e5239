#!/usr/bin/env bash
# The test suite: install what is needed, start a throw-away PostgreSQL server and the reference
# C2PA reader (c2pa-python in .venv-c2pa) for the interop tests, then run every test in an
# optimised build (the media tests encode and decode real video; a debug build is ten times slower).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
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
swift test -c release -Xswiftc -enable-testing "$@"
