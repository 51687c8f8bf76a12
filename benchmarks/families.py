#!/usr/bin/env python3
"""Times `predict` on one proposal per family of arm means and per prior family, each against
the normal-means proposal with the same priors, arms and sample size in the same run.

Usage: python3 benchmarks/families.py BINARY [--repeats 3] [--quick]
Prints Markdown rows for BENCHMARKS.md: user CPU seconds (median of the repeats, from
os.wait4), the ratio to normal means with the same priors, and the draws the report used.
Target (issue 26): every family within 5x of normal means; a proposal never past its budget.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ARM_MEANS = {
    "normal": "{distribution: normal}",
    "spike-and-slab 0.01": "{distribution: spike-and-slab, spike_probability: 0.01}",
    "spike-and-slab 0.5": "{distribution: spike-and-slab, spike_probability: 0.5}",
    "spike-and-slab 0.9": "{distribution: spike-and-slab, spike_probability: 0.9}",
    "spike-and-slab 0.97": "{distribution: spike-and-slab, spike_probability: 0.97}",
    "spike-and-slab 0.999": "{distribution: spike-and-slab, spike_probability: 0.999}",
    "t, nu 10": "{distribution: t, degrees_of_freedom: 10}",
    "t, nu 4": "{distribution: t, degrees_of_freedom: 4}",
    "t, nu 2.5": "{distribution: t, degrees_of_freedom: 2.5}",
    "t, nu 2.2": "{distribution: t, degrees_of_freedom: 2.2}",
    "t, nu 2.1": "{distribution: t, degrees_of_freedom: 2.1}",
    "listed means (9 arms)": "LIST",
}

# Prior families for sigma, rho, s and the prediction error (arm means t, nu 4, and normal).
PRIORS = {
    "uniform": """  sigma: {distribution: uniform, min: 0.08, max: 0.25}
  rho: {distribution: uniform, min: 0.5, max: 0.9}
  s: {distribution: uniform, min: 0.002, max: 0.015}
  prediction_error: {distribution: uniform, min: 0.2, max: 0.4}""",
    "normal": """  sigma: {distribution: normal, mean: 0.15, sd: 0.04}
  rho: {distribution: normal, mean: 0.7, sd: 0.1, min: 0, max: 1}
  s: {distribution: normal, mean: 0.007, sd: 0.003}
  prediction_error: {distribution: normal, mean: 0.3, sd: 0.05}""",
    "beta (rho) and log-normal": """  sigma: {distribution: log-normal, median: 0.15, log_sd: 0.4}
  rho: {distribution: beta, alpha: 7, beta: 3}
  s: {distribution: log-normal, median: 0.007, log_sd: 0.5}
  prediction_error: {distribution: log-normal, median: 0.3, log_sd: 0.2}""",
    "fixed": """  sigma: 0.15
  rho: 0.7
  s: 0.007
  prediction_error: 0.3""",
}


def proposal(arm_means: str, priors: str, arms: int) -> str:
    if arm_means == "LIST":
        values = ", ".join(f"{0.31 + 0.01 * ((i * 7) % 9 - 4) / 4:.4f}" for i in range(arms))
        arm_means = f"{{distribution: list, values: [{values}]}}"
    return f"""experiment: bench-families
arms: {arms}
baseline: 0.31
sample_size: 75000
outcome:
  binary: {{base_rate: 0.31}}
priors:
{priors}
arm_means: {arm_means}
threshold: {{relative: 0.03}}
"""


def run(binary: str, path: str) -> tuple[float, float, dict]:
    start = time.monotonic()
    proc = subprocess.Popen([binary, "predict", path, "--format", "json"], stdout=subprocess.PIPE)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    if status != 0:
        sys.exit(f"predict failed on {path}")
    return usage.ru_utime, wall, json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one prior family, fewer arm-mean families")
    args = parser.parse_args()
    priors = {"log-normal/uniform/normal (example-minimal)": """  sigma: {distribution: log-normal, median: 0.15, log_sd: 0.4}
  rho: {distribution: uniform, min: 0.5, max: 0.9}
  s: 0.007
  prediction_error: {distribution: normal, mean: 0.3, sd: 0.05}"""}
    if not args.quick:
        priors.update(PRIORS)
    families = ARM_MEANS if not args.quick else {k: ARM_MEANS[k] for k in ["normal", "spike-and-slab 0.9", "t, nu 2.1", "listed means (9 arms)"]}
    print("| priors | arm means | m | CPU s (median) | wall s | x normal (same priors) | prior / lever draws | notes |")
    print("|---|---|---|---|---|---|---|---|")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for prior_name, prior_text in priors.items():
            normal_cpu = None
            for family, text in families.items():
                arms = 9 if family.startswith("listed") else 20
                path = os.path.join(tmp, "p.yaml")
                with open(path, "w") as f:
                    f.write(proposal(text, prior_text, arms))
                runs = [run(args.binary, path) for _ in range(args.repeats)]
                cpu = statistics.median(r[0] for r in runs)
                wall = statistics.median(r[1] for r in runs)
                report = runs[0][2]
                if family == "normal":
                    normal_cpu = cpu
                ratio = cpu / normal_cpu if normal_cpu else float("nan")
                if family != "normal" and not family.startswith("listed"):
                    worst = max(worst, ratio)
                notes = "; ".join(n if isinstance(n, str) else json.dumps(n) for n in report.get("notes", []))
                draws = report["gain"]["draws"]
                print(f"| {prior_name} | {family} | {arms} | {cpu:.3f} | {wall:.3f} | {ratio:.1f} | {draws} | {notes[:80]} |")
    print(f"\nlargest ratio of an exchangeable family to normal means with the same priors: {worst:.1f}x")


if __name__ == "__main__":
    main()
