#!/usr/bin/env bash
# The policy-tree search against its targets and a same-run peer: depth 2 binned at n = 100,000
# and exact at n = 10,000 (p = 30, m = 20), and EconML's greedy PolicyTree on the same binned
# scores. Prints the Markdown rows for BENCHMARKS.md.
# Usage: bash benchmarks/tree.sh [SCALE [EXACT_SCALE]]    (1 and 1: the full sizes)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
python3 -c 'import econml' 2>/dev/null || pip install --quiet econml
bin=$(benchmark_binary advisor-tree-benchmark)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swift_json=$("$bin/advisor-tree-benchmark" "${1:-1}" "${2:-${1:-1}}" "$work/problem")
rows=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["binned_units"])' "$swift_json")
econml_json=$(python3 benchmarks/tree_econml.py "$work/problem" "$rows" 30 20)
python3 - "$swift_json" "$econml_json" <<'PY'
import json, sys
s, e = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("| search | Swift | EconML PolicyTree, same scores, same run | target |")
print("|---|---|---|---|")
print(f"| depth 2, binned (64 quantiles), n = {s['binned_units']}, p = 30, m = 20 | {s['binned_seconds']:.2f} s, reward {s['binned_reward']:.2f} (exact over the bins) | {e['seconds']:.2f} s, reward {e['reward']:.2f} (greedy) | < 10 s |")
print(f"| `assign` with the depth-2 tree, after ingest (the tree's arm per unit) | {s['assign_units_per_second']/1e6:.1f} million units/s | - | >= 1 million/s |")
print(f"| depth 2, exact (every distinct value), n = {s['exact_units']}, p = 30, m = 20 | {s['exact_seconds']:.2f} s, reward {s['exact_reward']:.2f} | - | < 60 s at n = 10,000 |")
print(f"| depth 2, exact, n = {s['small_units']}, p = 4, m = 5, against a brute force written plainly | {s['small_seconds']:.4f} s, reward {s['small_reward']!r} | brute force: {s['brute_force_seconds']:.2f} s, reward {s['brute_force_reward']!r} | equal to the last digit: **{'yes' if s['small_reward'] == s['brute_force_reward'] else 'NO'}** |")
PY
