#!/usr/bin/env python3
"""One pass of `serve --once` over a mixed batch of proposals (every family of arm means,
several prior families, one costly proposal of 300 unequal arms first), against the same
number of normal-means proposals in the same run.

Usage: python3 benchmarks/mixed_proposals.py BINARY [--copies 3]
Prints the Markdown rows for BENCHMARKS.md. Target (issue 26): the mixed pass within a minute
on this machine, and no proposal held behind the costly one for more than its time budget.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import families  # noqa: E402  (the same proposals as the per-family benchmark)

COSTLY = """experiment: bench-costly
arms: 300
baseline: 0.31
sample_size: [{sizes}]
outcome: {{sd: 0.46}}
priors:
  sigma: {{distribution: log-normal, median: 0.15, log_sd: 0.4}}
  rho: {{distribution: uniform, min: 0.5, max: 0.9}}
  s: {{distribution: uniform, min: 0.002, max: 0.015}}
  prediction_error: 0.3
arm_means: {{distribution: t, degrees_of_freedom: 3}}
threshold: {{relative: 0.03}}
""".format(sizes=", ".join(str(200 + 3 * i) for i in range(300)))


def batch(mixed: bool, copies: int) -> list[tuple[str, str]]:
    out = []
    if mixed:
        out.append(("000-costly.yaml", COSTLY))
    for copy in range(copies):
        for p, (prior_name, prior_text) in enumerate(families.PRIORS.items()):
            for f, (family, text) in enumerate(families.ARM_MEANS.items()):
                if prior_name == "beta (rho) and log-normal":
                    continue  # s has no log-normal prior
                arm_means = text if mixed else families.ARM_MEANS["normal"]
                arms = 9 if (mixed and family.startswith("listed")) else 20
                body = families.proposal(arm_means, prior_text, arms).replace(
                    "experiment: bench-families", f"experiment: bench-{copy}-{p}-{f}"
                )
                out.append((f"{copy}-{p}-{f:02d}.yaml", body))
    return out


def one_pass(binary: str, config: str, proposals: list[tuple[str, str]]) -> tuple[float, dict]:
    work = tempfile.mkdtemp(prefix="advisor-mixed-")
    try:
        spool = os.path.join(work, "spool")
        os.makedirs(os.path.join(spool, "incoming"))
        for name, body in proposals:
            with open(os.path.join(spool, "incoming", name), "w") as f:
                f.write(body)
        start = time.monotonic()
        subprocess.run(
            [binary, "serve", "--once", "--config", config, "--spool", spool,
             "--state-dir", os.path.join(work, "state"), "--log-target", "stderr"],
            check=True, stderr=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - start
        reports = os.path.join(spool, "reports")
        answered = sum(
            1 for d in os.listdir(reports) if os.path.isdir(os.path.join(reports, d))
            for r in os.listdir(os.path.join(reports, d)) if r.endswith("-prediction.json")
        )
        rejected = len([n for n in os.listdir(os.path.join(spool, "rejected"))
                        if not n.endswith(".error.txt")]) if os.path.isdir(os.path.join(spool, "rejected")) else 0
        return seconds, {"answered": answered, "rejected": rejected}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--config", default="config/experiment-advisor.yaml")
    args = parser.parse_args()
    mixed = batch(True, args.copies)
    normal = batch(False, args.copies)
    normal_seconds, normal_counts = one_pass(args.binary, args.config, normal)
    mixed_seconds, mixed_counts = one_pass(args.binary, args.config, mixed)
    print("| `serve --once` pass | proposals | wall s | answered / rejected | per proposal | x normal batch |")
    print("|---|---|---|---|---|---|")
    print(f"| normal means only (baseline) | {len(normal)} | {normal_seconds:.1f} | {normal_counts['answered']} / {normal_counts['rejected']} | {1000 * normal_seconds / len(normal):.0f} ms | 1.0 |")
    print(f"| mixed: every family x prior family, costly 300-arm proposal first | {len(mixed)} | {mixed_seconds:.1f} | {mixed_counts['answered']} / {mixed_counts['rejected']} | {1000 * mixed_seconds / len(mixed):.0f} ms | {mixed_seconds / normal_seconds:.1f} |")


if __name__ == "__main__":
    main()
