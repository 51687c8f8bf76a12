#!/usr/bin/env bash
# Coverage of the verdict's 90% predictive interval over seeds of synthetic designs with known
# truth (EstimatingParameters.md, "The predictive interval"). Prints one JSON line per design.
# Usage: bash benchmarks/interval.sh [SEEDS]      (30 by default: about ten minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
bin=$(benchmark_binary advisor-interval-benchmark)
"$bin/advisor-interval-benchmark" "${1:-30}"
