#!/usr/bin/env bash
# The README's test command. Installs what a fresh Debian 12 machine lacks, then runs the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v swift >/dev/null 2>&1; then
    echo "swift is not on PATH: this project needs the Swift 6.3 toolchain (/opt/swift on these machines)" >&2
    exit 1
fi
swift test 2>&1
