#!/usr/bin/env bash
# The spool's fault harness at full size (CI runs it small): ROUNDS random kill -9 rounds of the
# daemon, and SIGKILL at the k-th rename, fsync and unlink of the daemon or a worker for
# k = 1..STEPS, each followed by a clean start; every invariant of RELIABILITY.md is checked.
# Also the full disk and the worker limits. Prints the figures RELIABILITY.md records.
# Usage: bash scripts/fault-harness.sh [ROUNDS [STEPS]]     (defaults 200 and 24; about 15 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
ensure_swift
ensure_packages
swift build --build-tests >/dev/null
ADVISOR_FAULT_ROUNDS="${1:-200}" ADVISOR_FAULT_STEPS="${2:-24}" \
    swift test --skip-build --filter 'FaultTests|DiskFullTests|WorkerProcessTests' 2>&1 |
    grep -E '^fault harness:|✘|✔ Test|Test run'
