#!/usr/bin/env bash
# Runs every gain-engine benchmark and its numpy baseline in one session, then prints the
# Markdown rows for BENCHMARKS.md. Usage: bash benchmarks/engine.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import numpy' 2>/dev/null || pip install --quiet numpy
# The benchmarks are their own package (benchmarks/Package.swift), so the product's build never compiles them.
swift build --package-path benchmarks -c release --product advisor-benchmark >/dev/null
swift_json=$("$(swift build --package-path benchmarks -c release --show-bin-path)/advisor-benchmark" benchmarks/penn-geisinger-priors.yaml)
numpy_equal=$(python3 benchmarks/algorithm2_numpy.py --individuals 5000 --replications 200 --seed 1)
numpy_target=$(python3 benchmarks/algorithm2_numpy.py --individuals 5000 --replications 100 --target-relative-se 0.005 --seed 2)
python3 - "$swift_json" "$numpy_equal" "$numpy_target" <<'PY'
import json, sys, platform, os
s, ne, nt = (json.loads(a) for a in sys.argv[1:4])
print(f"machine: {os.cpu_count()} cores, {platform.machine()}, python {platform.python_version()}")
print("| benchmark | Swift | baseline (same run) | ratio | target |")
print("|---|---|---|---|---|")
print(f"| (a) full `predict` report, m = 20, {s['report_prior_draws']} prior draws, all levers + arm curve (median of 15) | {s['report_seconds_median']*1000:.1f} ms (max {s['report_seconds_max']*1000:.1f}) | 100 ms budget | {100/(s['report_seconds_median']*1000):.1f}x under budget | < 100 ms |")
print(f"| (b) time to SE <= 0.5% of the gain, Penn-Geisinger (sigma 0.267, rho 0.80, s 0.007, m 20, sigma_eps 0.39) | exact engine: first call in a fresh process {s['exact_first_call_seconds']*1e3:.2f} ms (computes e_20), then {s['exact_seconds_per_call']*1e6:.2f} us/call, SE = 0 | numpy Algorithm 2, n = 5000: {nt['seconds']:.2f} s for {nt['replications']} replications (SE {nt['standard_error']:.2e}) | {nt['seconds']/s['exact_first_call_seconds']:.0f}x (cold first call) | >= 1000x |")
print(f"| (c) literal simulator, n = 5000, R = 200, same parameters (median of 3) | {s['simulator_seconds_median']:.3f} s, gain {s['simulator_mean_gain']:.5f} +/- {s['simulator_standard_error']:.5f} | numpy: {ne['seconds']:.3f} s, gain {ne['mean_gain']:.5f} +/- {ne['standard_error']:.5f} | {ne['seconds']/s['simulator_seconds_median']:.1f}x | >= 3x |")
print(f"\nexact population gain {s['exact_gain']:.5f}; exact expectation of Algorithm 2 at n = 5000: {s['exact_paper_algorithm_n5000']:.5f}")
PY
# Every family of arm means and of priors against normal means with the same priors (issue 26),
# and one `serve --once` pass over a mixed batch against a batch of normal-means proposals.
swift build -c release --product experiment-advisor >/dev/null
bin="$(swift build -c release --show-bin-path)/experiment-advisor"
echo
python3 benchmarks/families.py "$bin" --repeats "${REPEATS:-3}"
echo
python3 benchmarks/mixed_proposals.py "$bin" --copies "${COPIES:-3}"
