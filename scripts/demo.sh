#!/usr/bin/env bash
# The main job on a default input: install what is needed, build, stamp a bundled fixture,
# verify the stamped copy and print the verdict. State goes to ./out/demo-home (not ~/.hallmark).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product hallmark
export HALLMARK_HOME="$PWD/out/demo-home"
mkdir -p out
input="${1:-Fixtures/motion-540p.mp4}"
# A development home: its verifier trusts its own development root (never do this in production).
[ -f "$HALLMARK_HOME/keys/root-ca.pem" ] || .build/release/hallmark keys init --dev
echo "== stamping $input for account demo-account"
.build/release/hallmark stamp "$input" -o out/demo-stamped.mp4 --account demo-account --label demo --preset veryfast
echo "== verifying out/demo-stamped.mp4"
.build/release/hallmark verify out/demo-stamped.mp4
