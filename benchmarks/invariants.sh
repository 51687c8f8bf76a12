#!/usr/bin/env bash
# The prediction invariants over many generated proposals (CI runs 48; this runs 1000 or $1).
# Usage: bash benchmarks/invariants.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
INVARIANT_PROPOSALS="${1:-1000}" swift test --filter PredictionInvariant 2>&1 | tail -n 5
