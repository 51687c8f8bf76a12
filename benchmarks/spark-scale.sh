#!/usr/bin/env bash
# The scale benchmark of issue #15: a 10-million-row, 20-arm, 12-covariate drop (8 continuous and
# 4 binary covariates, continuous outcome) (a) through `analyze` on this machine, wall time and
# peak RSS, and (b) through spark/advisor_job.py in Spark local mode on the same machine, wall
# time and the job's stage timings; then the two summaries side by side. Each is the other's
# baseline, in the same run on the same file.
# Usage: bash benchmarks/spark-scale.sh [ROWS]   (10,000,000 by default: 20 to 25 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
ensure_swift
ensure_packages
ensure_spark
swift build -c release --product experiment-advisor >/dev/null
bin=$(swift build -c release --show-bin-path)/experiment-advisor
rows="${1:-10000000}"
dir=/var/tmp/experiment-advisor-scale
mkdir -p "$dir"
data="$dir/drop-$rows.csv"
[ -s "$data" ] || "$bin" synthesize --units "$rows" --arms 20 --sigma 0.2 --rho 0.5 --s 0.02 --baseline 1 \
    --noise 1 --continuous-covariates 8 --binary-covariates 4 --seed 1 --output "$data" >/dev/null
printf 'experiment: scale\n' >"$dir/drop-$rows.manifest.yaml"
echo "data: $rows rows, $(stat -c %s "$data") bytes, $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB" >&2

# (a) One machine: the whole analysis (both T-learners, the trees, the refits, the prediction).
# The job time limit does not apply to `analyze`.
/usr/bin/time -v "$bin" analyze "$data" --quiet --format json --summary-out "$dir/local.summary.json" \
    >"$dir/local.json" 2>"$dir/local.time"
# (b) Spark local mode on the same cores, the driver given room for the cached columns.
start=$SECONDS
python3 spark/advisor_job.py --master "local[$(nproc)]" --driver-memory 16g --input "$data" \
    --manifest "$dir/drop-$rows.manifest.yaml" --out "$dir/spark.summary.json" 2>"$dir/spark.log"
spark_seconds=$((SECONDS - start))
grep -E '^cached:' "$dir/spark.log" >&2 || true # what the job's cache held, for the cluster sizing
"$bin" analyze "$dir/spark.summary.json" --format json >"$dir/spark.json"
python3 - "$dir" "$rows" "$spark_seconds" <<'EOF'
import json, re, sys
d, rows, spark_seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = open(f"{d}/local.time").read()
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
parts = [float(x) for x in wall.split(":")]
local_seconds = sum(v * 60 ** i for i, v in enumerate(reversed(parts)))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024**2
local, spark = json.load(open(f"{d}/local.json")), json.load(open(f"{d}/spark.json"))
ls, ss = json.load(open(f"{d}/local.summary.json")), json.load(open(f"{d}/spark.summary.json"))
print(f"| path | wall | peak RSS | ratio to one machine |")
print(f"|---|---|---|---|")
print(f"| `analyze` (one machine) | {local_seconds:.0f} s | {rss:.2f} GiB | 1.00x |")
print(f"| `spark/advisor_job.py`, local[2] | {spark_seconds} s | (JVM, not measured) | {spark_seconds / local_seconds:.2f}x |")
print()
print("one machine, seconds per stage:", {k: round(v, 1) for k, v in local["timings"].items()})
print("spark job, seconds per stage:", {k: round(v, 1) for k, v in ss["timings"].items()})
print("per row (Spark):", {k: f"{v / rows * 1e6:.2f} µs" for k, v in ss["timings"].items()})
lp = next(p for p in local["policies"] if p["name"] == "xgboost-t-learner")
sp = spark["policies"][0]
print(f"split {ls['data']['training_units']}/{ls['data']['holdout_units']} vs {ss['data']['training_units']}/{ss['data']['holdout_units']}")
print(f"verdict {local['verdict']} vs {spark['verdict']}; xgboost AIPW gain {lp['aipw']['gain']:.5f} ± {lp['aipw']['standard_error']:.5f} vs {sp['aipw']['gain']:.5f} ± {sp['aipw']['standard_error']:.5f}")
for k in ["sigma", "rho", "s"]:
    print(f"{k}: {local['estimates'][k]:.5f} vs {spark['estimates'][k]:.5f}")
print(f"σ̂_ε: {local['estimates']['model_error']['prediction_error']:.5f} vs {spark['estimates']['model_error']['prediction_error']:.5f}")
print(f"predicted {local['predicted']['gain']:.5f} vs {spark['predicted']['gain']:.5f}")
EOF
