#!/usr/bin/env bash
# Rendering time per report (HTML, text, JSON) in a release build: a 23-arm verdict, the bundled
# predictions and a 500-experiment index; the baseline is the same report's JSON (the index's:
# its text), measured in the same run. Prints one JSON line per report.
# Usage: bash benchmarks/render.sh [REPETITIONS]      (200 by default: about a minute)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
bin=$(benchmark_binary advisor-render-benchmark)
"$bin/advisor-render-benchmark" "$PWD" "${1:-200}"
