#!/usr/bin/env bash
# Several outcomes against one: the same 700,000-row, 23-arm drop (the analysis benchmark's
# Walmart-sized shape) analyzed end to end by `experiment-advisor analyze`, once with a manifest
# naming two guardrails and once with the primary outcome alone (the baseline), back to back in
# the same run. Prints the Markdown rows for BENCHMARKS.md. Target: under 1.5x the baseline.
# Usage: bash benchmarks/guardrails.sh [UNITS]      (700000: the full size)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
ensure_swift
ensure_packages
swift build -c release --product experiment-advisor >/dev/null
bin=$(swift build -c release --show-bin-path)
units=${1:-700000}
work=/var/tmp/experiment-advisor-bench/guardrails-$units
mkdir -p "$work"
data=$work/guarded.csv
# Two guardrails, smaller is better: one in conflict with the primary's heterogeneity (0.8), one not (0).
[ -s "$data" ] || "$bin/experiment-advisor" synthesize --units "$units" --arms 23 --sigma 0.078 --rho 0.61 --s 0.007 \
    --baseline 0.312 --binary --continuous-covariates 5 --binary-covariates 7 --seed 1 \
    --guardrail unsubscribed:0.8:0.005 --guardrail tickets:0:0.01 --output "$data"
single=$work/single.manifest.yaml
printf 'outcomes:\n  primary: outcome\nignore_columns: [unsubscribed, tickets]\n' >"$single"
run() {  # prints "seconds peak_kib verdict guardrails_pass"
    local out=$work/$1.json
    /usr/bin/time -f '%e %M' -o "$work/$1.time" "$bin/experiment-advisor" analyze "$data" --manifest "$2" --format json >"$out"
    python3 - "$out" "$(cat "$work/$1.time")" <<'PY'
import json, sys
v = json.load(open(sys.argv[1])); seconds, kib = sys.argv[2].split()
print(seconds, kib, v["verdict"], v["guardrails_pass"], v["policy"], len(v["outcomes"]) - 1, v["timings"].get("guardrail_models", 0))
PY
}
read -r s_sec s_kib s_verdict _ s_policy _ _ < <(run single "$single")
read -r g_sec g_kib g_verdict g_pass g_policy g_count g_models < <(run guarded "${data%.csv}.manifest.yaml")
python3 - "$units" "$s_sec" "$s_kib" "$s_verdict" "$s_policy" "$g_sec" "$g_kib" "$g_verdict" "$g_pass" "$g_policy" "$g_count" "$g_models" <<'PY'
import sys
units, s_sec, s_kib, s_verdict, s_policy, g_sec, g_kib, g_verdict, g_pass, g_policy, g_count, g_models = sys.argv[1:]
s_sec, g_sec = float(s_sec), float(g_sec)
print(f"data: {int(units)} rows, 23 arms, 12 covariates, binary primary outcome, {g_count} guardrails")
print()
print("| analyze, end to end | time | peak RSS | verdict | ratio |")
print("|---|---|---|---|---|")
print(f"| primary outcome alone (baseline, guardrail columns ignored) | {s_sec:.1f} s | {int(s_kib)/1024:.0f} MiB | {s_verdict} ({s_policy}) | 1.00x |")
print(f"| primary + {g_count} guardrails | {g_sec:.1f} s | {int(g_kib)/1024:.0f} MiB | {g_verdict} ({g_policy}), guardrails pass: {g_pass} | {g_sec/s_sec:.2f}x (target < 1.5x) |")
print(f"| of which the guardrails' ridge T-learners | {float(g_models):.1f} s | | | |")
PY
