#!/usr/bin/env bash
# The README's test command: installs what a fresh Debian 12 machine lacks, makes sure a real
# journald is listening (the journal tests read their entries back), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
ensure_swift
ensure_packages
ensure_journald
swift test 2>&1
