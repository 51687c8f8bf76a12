#!/usr/bin/env bash
# The Spark path for real, in Spark local mode: installs what it needs (Debian's Java 17 runtime;
# PyPI pyspark, xgboost, scikit-learn, pyarrow, pyyaml), writes synthetic drops with the binary,
# analyzes each on one machine (`analyze --summary-out`) and with spark/advisor_job.py, decides
# from both summaries and checks that they agree (EstimatingParameters.md, "The analysis
# summary"): the same split to the unit, the same verdict, the T-learner's gain and σ̂, ρ̂, σ̂_ε
# within one joint standard error, ŝ to rounding. Then the job's own errors.
# Usage: bash scripts/spark-test.sh [BINARY] [UNITS]   (20,000 units by default: about 3 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/system-packages.sh
ensure_swift
ensure_packages
ensure_spark
bin="${1:-$(swift build --show-bin-path)/experiment-advisor}"
[ -x "$bin" ] || swift build --product experiment-advisor >/dev/null
units="${2:-20000}"
work=$(mktemp -d /tmp/advisor-spark.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

job() { python3 spark/advisor_job.py --master "local[2]" "$@" 2>"$work/job.log"; }

# A continuous drop with a text covariate and missing cells; a 0/1 drop whose manifest says
# smaller is better.
"$bin" synthesize --units "$units" --arms 4 --sigma 0.3 --rho 0.3 --seed 3 --output "$work/cont.csv" >/dev/null
"$bin" synthesize --units "$((units * 3 / 2))" --arms 3 --sigma 0.1 --rho 0.5 --binary --seed 4 \
    --output "$work/bin.csv" >/dev/null
python3 - "$work/cont.csv" <<'EOF'
import sys
import numpy as np
import pandas as pd
path = sys.argv[1]
df = pd.read_csv(path)
rng = np.random.default_rng(5)
df["region"] = np.where(df["x0"] > 0, "north", "south")
df.loc[rng.random(len(df)) < 0.05, "region"] = "NA"
df["x1"] = df["x1"].astype(object)
df.loc[rng.random(len(df)) < 0.05, "x1"] = ""
df.to_csv(path, index=False)
EOF
printf 'experiment: spark-continuous\n' >"$work/cont.manifest.yaml"
printf 'experiment: spark-binary\nlarger_is_better: false\n' >"$work/bin.manifest.yaml"

for name in cont bin; do
    "$bin" analyze "$work/$name.csv" --quiet --format json --summary-out "$work/$name.local.summary.json" \
        >"$work/$name.local.json"
    start=$SECONDS
    job --input "$work/$name.csv" --manifest "$work/$name.manifest.yaml" --out "$work/$name.spark.summary.json" \
        || { tail -20 "$work/job.log"; exit 1; }
    echo "spark job on $name ($(($(wc -l <"$work/$name.csv") - 1)) rows): $((SECONDS - start)) s" >&2
    "$bin" analyze "$work/$name.spark.summary.json" --format json >"$work/$name.spark.json"
    "$bin" analyze "$work/$name.spark.summary.json" --format html >"$work/$name.spark.html"
    python3 - "$work" "$name" <<'EOF'
import json
import math
import sys
work, name = sys.argv[1:3]
load = lambda path: json.load(open(f"{work}/{path}"))
local, spark = load(f"{name}.local.json"), load(f"{name}.spark.json")
ls, ss = load(f"{name}.local.summary.json"), load(f"{name}.spark.summary.json")
problems = []
def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        problems.append(what)
# The same split: the unit hash places every unit alike.
check(ls["data"]["training_units"] == ss["data"]["training_units"]
      and ls["data"]["holdout_units"] == ss["data"]["holdout_units"],
      f"split {ls['data']['training_units']}/{ls['data']['holdout_units']} vs "
      f"{ss['data']['training_units']}/{ss['data']['holdout_units']}")
sizes = lambda s: dict(zip([a["arm"] for a in s["data"]["arms"]], s["training_sizes"]))
check(sizes(ls) == sizes(ss), "training units per arm")
check(local["best_uniform_arm"] == spark["best_uniform_arm"], f"benchmark arm {spark['best_uniform_arm']}")
# The verdict decided from each summary (the local one chooses among more policies: compare
# its own T-learner too).
check(local["verdict"] == spark["verdict"], f"verdict {local['verdict']} vs {spark['verdict']}")
lp = next(p for p in local["policies"] if p["name"] == "xgboost-t-learner")
sp = spark["policies"][0]
def within(label, a, sa, b, sb, k=1.0):
    joint = math.hypot(sa, sb)
    check(abs(a - b) <= k * joint, f"{label}: {a:.5f} ± {sa:.5f} vs {b:.5f} ± {sb:.5f} (|Δ| ≤ {k:g} joint SE)")
within("AIPW gain", lp["aipw"]["gain"], lp["aipw"]["standard_error"], sp["aipw"]["gain"], sp["aipw"]["standard_error"])
within("IPW gain", lp["ipw"]["gain"], lp["ipw"]["standard_error"], sp["ipw"]["gain"], sp["ipw"]["standard_error"])
le, se = local["estimates"], spark["estimates"]
# The verdict's estimates are of the models its chosen policy uses; the job fits XGBoost only,
# so they are comparable when the local choice follows the XGBoost models.
source = local["predicted"].get("estimates_from", "xgboost-t-learner")
if source == "xgboost-t-learner":
    for key, error in [("sigma", "sigma"), ("rho", "rho"), ("prediction_error", "prediction_error")]:
        within(key, le[key], le["standard_errors"][error], se[key], se["standard_errors"][error])
    within("σ̂_ε (model error)", le["model_error"]["prediction_error"], le["standard_errors"]["model_error"],
           se["model_error"]["prediction_error"], se["standard_errors"]["model_error"])
    lpred, spred = local["predicted"], spark["predicted"]
    within("predicted gain", lpred["gain"], lpred["standard_error"], spred["gain"], spred["standard_error"])
else:
    print(f"skip estimates and predicted gain: the local verdict's are of the {source} models")
check(abs(le["s"] - se["s"]) < 1e-9, f"ŝ {le['s']:.6f} vs {se['s']:.6f} (all units' arm means: the same sums)")
shares = lambda p: {s["arm"]: s["share"] for s in p["arm_shares"]}
# Two fits of the same models differ a little, and the argmax flips units between arms whose
# predictions are close (a 0/1 outcome's most): the shares move more than the gain does.
# Within 0.1, and the same arm most assigned.
gap = max(abs(shares(lp)[a] - shares(sp)[a]) for a in shares(lp))
check(gap < 0.1 and max(shares(lp), key=shares(lp).get) == max(shares(sp), key=shares(sp).get),
      f"arm shares within 0.1 (largest gap {gap:.3f}), the same arm most assigned")
check(set(d["covariate"] for d in lp["drivers"][:2]) <= set(d["covariate"] for d in sp["drivers"]),
      "the two leading drivers are among the job's")
check(spark["provenance"]["engine"] == "spark/advisor_job.py", "the verdict names the Spark job")
html = open(f"{work}/{name}.spark.html").read()
check("The analysis ran in spark/advisor_job.py (version 1)" in html, "the page says where the analysis ran")
if problems:
    sys.exit(f"{name}: {len(problems)} disagreements")
EOF
done

# The job's errors name the file, the field and the fix, and exit 2.
printf 'experiment: x\noutcomes:\n  - column: refunds\n' >"$work/guarded.manifest.yaml"
if job --input "$work/cont.csv" --manifest "$work/guarded.manifest.yaml" --out "$work/x.json"; then
    echo "FAIL a manifest with guardrails was accepted" >&2; exit 1
fi
grep -q "field 'outcomes': guardrail outcomes are analyzed on one machine only" "$work/job.log" \
    || { echo "FAIL guardrail error: $(tail -1 "$work/job.log")" >&2; exit 1; }
cut -d, -f2- "$work/cont.csv" >"$work/noid.csv"
if job --input "$work/noid.csv" --out "$work/x.json"; then echo "FAIL data without unit_id was accepted" >&2; exit 1; fi
grep -q "field 'unit_id': no column 'unit_id' in the header" "$work/job.log" \
    || { echo "FAIL unit_id error: $(tail -1 "$work/job.log")" >&2; exit 1; }
echo "ok   the job refuses guardrails and data without unit ids, naming the field"
echo "spark-test: passed"
