#!/usr/bin/env bash
# The test suite: install what is needed, then run every test in an optimised build
# (the media tests encode and decode real video; a debug build is ten times slower).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift test -c release -Xswiftc -enable-testing "$@"
