#!/usr/bin/env bash
# Post-experiment analysis benchmark: a drop the size of the paper's Walmart study
# (700,000 rows, 23 arms, 12 covariates: 5 continuous and 7 binary, binary outcome), analyzed by
# the Swift code and by the pandas + xgboost + numpy pipeline in benchmarks/analysis_pandas.py,
# in the same run, with the same XGBoost settings. Prints the Markdown rows for BENCHMARKS.md.
# Usage: bash benchmarks/analysis.sh      (about a minute after the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
ensure_swift
ensure_packages
python3 -c 'import pandas, xgboost' 2>/dev/null || pip install --quiet pandas "xgboost==1.7.4"
swift build -c release --product experiment-advisor >/dev/null
# The benchmarks are their own package (benchmarks/Package.swift), so the product's build never compiles them.
swift build --package-path benchmarks -c release --product advisor-analysis-benchmark >/dev/null
bin=$(swift build -c release --show-bin-path)
bench=$(swift build --package-path benchmarks -c release --show-bin-path)
data=/var/tmp/experiment-advisor-bench/walmart-like.csv
mkdir -p "$(dirname "$data")"
[ -s "$data" ] || "$bin/experiment-advisor" synthesize --units 700000 --arms 23 --sigma 0.078 --rho 0.61 --s 0.007 \
    --baseline 0.312 --binary --continuous-covariates 5 --binary-covariates 7 --seed 1 --output "$data"
swift_json=$("$bench/advisor-analysis-benchmark" "$data")
python_json=$(python3 benchmarks/analysis_pandas.py "$data")
python3 - "$swift_json" "$python_json" "$(stat -c %s "$data")" <<'PY'
import json, sys
s, p, size = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
print(f"data: {s['rows']} rows, {s['arms']} arms, {s['covariates']} covariates, {size/1e6:.1f} MB; xgboost {p['xgboost_version']}, pandas {p['pandas_version']}, numpy {p['numpy_version']}")
print()
print("| stage | Swift | Python (same run) | ratio |")
print("|---|---|---|---|")
def row(label, key):
    print(f"| {label} | {s[key]:.2f} s | {p[key]:.2f} s | {p[key]/s[key]:.1f}x |")
row("ingest (CSV to columns; median of 3 reads)", "ingest_seconds")
row("XGBoost training + prediction (23 arms)", "xgboost_seconds")
row("T-learner outside XGBoost (split, gather rows)", "tlearner_other_seconds")
row("ridge T-learner", "ridge_seconds")
row("estimates + 30 bootstrap resamples", "estimates_seconds")
row("IPW/AIPW, 2 policies, 500 paired resamples", "evaluation_seconds")
print(f"| σ̂_ε's variance part: two half-size XGBoost refits per arm (Swift only) | {s['model_error_seconds']:.2f} s | - | - |")
print(f"| drivers of both policies (Swift only) | {s['drivers_seconds']:.2f} s | - | - |")
print(f"| policy tree + distilled tree: cross-fitted scores, two depth-2 searches (Swift only) | {s['policy_trees_seconds']:.2f} s | - | - |")
print(f"| finite-sample prediction + levers (Swift only) | {s['prediction_and_levers_seconds']:.2f} s | - | - |")
print(f"| end to end | {s['total_seconds']:.2f} s | {p['total_seconds']:.2f} s | {p['total_seconds']/s['total_seconds']:.2f}x |")
same = s['outside_xgboost_seconds'] - s['prediction_and_levers_seconds'] - s['drivers_seconds'] - s['policy_trees_seconds'] - s['model_error_seconds']
print(f"| outside XGBoost, same stages | {same:.2f} s | {p['outside_xgboost_seconds']:.2f} s | {p['outside_xgboost_seconds']/same:.2f}x |")
print(f"| peak resident memory | {s['peak_rss_mib']:.0f} MiB | {p['peak_rss_mib']:.0f} MiB | {p['peak_rss_mib']/s['peak_rss_mib']:.2f}x less |")
print(f"| ingest speed | {size/1e6/s['ingest_seconds']:.0f} MB/s | {size/1e6/p['ingest_seconds']:.0f} MB/s | |")
ingest_peak = s['peak_rss_after_ingest_mib'] - s['rss_at_start_mib']
print(f"| ingest's peak memory (peak RSS after ingest minus RSS at start) / numeric data | {ingest_peak:.0f} MiB / {s['numeric_data_mib']:.0f} MiB = {ingest_peak/s['numeric_data_mib']:.2f}x | | |")
print()
print("| estimate | Swift | Python | difference / SE |")
print("|---|---|---|---|")
for k in ("sigma", "rho", "prediction_error", "realized_gain"):
    se = s.get(k + "_se") or p.get(k + "_se") or 0
    print(f"| {k} | {s[k]:.4f} ± {s.get(k+'_se', 0):.4f} | {p[k]:.4f} ± {p.get(k+'_se', 0):.4f} | {abs(s[k]-p[k])/max(se,1e-12):.1f} |")
print(f"| s | {s['s']:.5f} | {p['s']:.5f} | (same formula, all units) |")
PY
