#!/usr/bin/env bash
# Installs the Debian packages Hallmark builds and tests with (needs root or sudo).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    pkg-config ffmpeg libavformat-dev libavcodec-dev libavfilter-dev libavutil-dev libswscale-dev \
    libssl-dev openssl ca-certificates libsqlite3-dev libpq-dev postgresql fonts-dejavu-core python3-venv chromium >/dev/null
