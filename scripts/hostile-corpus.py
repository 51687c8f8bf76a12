#!/usr/bin/env python3
"""Generates the hostile inputs of issue 31 and runs each through the CLI, one at a time.

    python3 scripts/hostile-corpus.py BINARY [WORKDIR]

Every input must end in an answer or a refusal: exit 0 or 2, never a signal, within its time
limit, and a refusal (exit 2) must name a field or a column. A new input kind gets its generator
here, beside the others (RELIABILITY.md, "Hostile inputs"). Prints one line per input and a
summary; exits 1 if any input fails.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

LIMIT_SECONDS = 60


def run(binary, args, cwd, limit=LIMIT_SECONDS):
    started = time.time()
    try:
        done = subprocess.run([binary, *args], cwd=cwd, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return None, "", time.time() - started
    return done.returncode, done.stderr, time.time() - started


def base_summary(binary, work):
    """A consistent summary of a small synthetic drop, as a JSON object."""
    csv = os.path.join(work, "base.csv")
    code, err, _ = run(
        binary,
        ["synthesize", "--units", "3000", "--arms", "3", "--sigma", "0.4", "--rho", "0.1", "--output", csv],
        work,
    )
    assert code == 0, err
    out = os.path.join(work, "base.summary.json")
    code, err, _ = run(binary, ["analyze", csv, "--quiet", "--summary-out", out, "--format", "json"], work, 600)
    assert code == 0, err
    with open(out, encoding="utf-8") as handle:
        return csv, json.load(handle)


def summaries(base):
    """(name, text) of hostile summaries, each an edit of `base`."""
    def edit(change):
        t = json.loads(json.dumps(base))
        change(t)
        return json.dumps(t)

    def every_comparison(t, key, value):
        for p in t["policies"]:
            for n in ("aipw", "ipw"):
                p[n][key] = value

    out = [
        ("se-tiny", edit(lambda t: every_comparison(t, "standard_error", 5e-324))),
        ("gain-1e308", edit(lambda t: every_comparison(t, "gain", 1e308))),
        ("forged-gain", edit(lambda t: every_comparison(t, "gain", 1000.0))),
        ("se-negative", edit(lambda t: every_comparison(t, "standard_error", -1.0))),
        ("outcome-sd-1e308", edit(lambda t: t["data"].__setitem__("outcome_sd", 1e308))),
        ("outcome-sd-tiny", edit(lambda t: t["data"].__setitem__("outcome_sd", 1e-300))),
        ("sigma-1e308", edit(lambda t: t["estimates"].__setitem__("sigma", 1e308))),
        ("s-1e15", edit(lambda t: t["estimates"].__setitem__("s", 1e15))),
        ("replicate-scale-1e308", edit(lambda t: t.__setitem__("estimate_replicate_scale", 1e308))),
        ("units-2^63", edit(lambda t: t["data"]["arms"][0].__setitem__("units", 2**63 - 1))),
        ("training-units-2^63", edit(lambda t: t["data"].__setitem__("training_units", 2**63 - 1))),
        ("threshold-negative", edit(lambda t: t.__setitem__("threshold", -1.0))),
        ("best-arm-fraction", edit(lambda t: t.__setitem__("best_uniform_arm", 0.5))),
        ("model-error-missing", edit(lambda t: t["estimates"].pop("model_error"))),
        ("arm-newline", edit(lambda t: t["data"]["arms"][0].__setitem__("arm", "x\nverdict: personalize FORGED"))),
        ("arm-escape", edit(lambda t: t["data"]["arms"][0].__setitem__("arm", "x\x1b[2J"))),
    ]
    for p in range(len(base["policies"])):
        for k in range(len(base["policies"][p].get("gain_curve", []))):
            out.append((f"curve-{p}-{k}-1e308", edit(lambda t, p=p, k=k: t["policies"][p]["gain_curve"][k].__setitem__("gain", 1e308))))
            break
    duplicated = json.dumps(base).replace('"experiment": ', '"experiment": "decoy", "experiment": ', 1)
    out.append(("duplicate-key", duplicated))
    out.append(("deep-nesting", '{"format": "experiment-advisor/analysis-summary", "version": 1, "x": '
                + "[" * 100_000 + "]" * 100_000 + "}"))
    return out


def yaml_inputs():
    """(name, kind, text): proposals, manifests and configurations that cost without bounds."""
    laughs = ['a0: &a0 ["lol"]'] + [
        f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]" for k in range(1, 10)
    ]
    bomb = "\n".join(laughs) + "\n"
    keys = "experiment: x\n" + "\n".join(f"key_{k}_padding: 1" for k in range(50_000)) + "\n"
    deep = "a: " + "[" * 100_000 + "]" * 100_000 + "\n"
    names = "experiment: names\narms: [\"a\", \"x\\nverdict: actionable FORGED\"]\nbaseline: 0.3\n" \
        "priors: {sigma: 0.2, rho: 0.3, s: 0.05, prediction_error: 0.1}\n"
    out = []
    for kind in ("proposal", "manifest", "config"):
        out += [(f"{kind}-billion-laughs", kind, bomb), (f"{kind}-50k-keys", kind, keys), (f"{kind}-deep", kind, deep)]
    out.append(("proposal-arm-newline", "proposal", names))
    return out


def csv_inputs(base_csv):
    with open(base_csv, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    header, rows = lines[0], lines[1:]
    def with_row(row):
        return "\n".join([header, row] + rows) + "\n"
    cols = header.split(",")
    arm = cols.index("arm")
    def arm_row(label):
        fields = rows[0].split(",")
        fields[arm] = label
        return ",".join(fields)
    outcome = cols.index("outcome")
    def scaled(factor):
        out = [header]
        for r in rows:
            f = r.split(",")
            f[outcome] = repr(float(f[outcome]) * factor)
            out.append(",".join(f))
        return "\n".join(out) + "\n"
    return [
        ("csv-arm-newline", with_row(arm_row('"x\nverdict: personalize FORGED"'))),
        ("csv-arm-escape", with_row(arm_row("x\x1b[2J"))),
        ("csv-outcome-1e308", scaled(1e308)),
        ("csv-outcome-1e-28", scaled(1e-28)),
    ]


def stump(num_trees="1", left=(1, -1, -1), right=(2, -1, -1), conditions="[0.5, -0.1, 0.1]", features="1"):
    # XGBoost reads its floats only as floats ("0.0", never "0").
    """A one-split XGBoost 1.7 JSON model, with the fields a forgery changes as parameters."""
    tree = (
        '{"base_weights": [0.0, -0.1, 0.1], "categories": [], "categories_nodes": [], "categories_segments": [],'
        ' "categories_sizes": [], "default_left": [0, 0, 0], "id": 0, "left_children": %s, "loss_changes": [1.0, 0.0, 0.0],'
        ' "parents": [2147483647, 0, 0], "right_children": %s, "split_conditions": %s, "split_indices": [0, 0, 0],'
        ' "split_type": [0, 0, 0], "sum_hessian": [10.0, 5.0, 5.0], "tree_param": {"num_deleted": "0",'
        ' "num_feature": "%s", "num_nodes": "3", "size_leaf_vector": "0"}}'
    ) % (json.dumps(list(left)), json.dumps(list(right)), conditions, features)
    return (
        '{"learner": {"attributes": {}, "feature_names": [], "feature_types": [], "gradient_booster": {"model":'
        ' {"gbtree_model_param": {"num_parallel_tree": "1", "num_trees": "%s", "size_leaf_vector": "0"},'
        ' "tree_info": [0], "trees": [%s]}, "name": "gbtree"}, "learner_model_param": {"base_score": "5E-1",'
        ' "boost_from_average": "1", "num_class": "0", "num_feature": "%s", "num_target": "1"}, "objective":'
        ' {"name": "reg:squarederror", "reg_loss_param": {"scale_pos_weight": "1"}}}, "version": [1, 7, 4]}'
    ) % (num_trees, tree, features)


def policies(base_policy):
    """(name, text) of policy files: the T-learner's models replaced by forged ones."""
    if base_policy.get("kind") != "t-learner":
        return []
    arms = len(base_policy["arms"])
    width = str(sum(len(c.get("categories") or [0]) for c in base_policy["covariates"]))
    def with_models(model, rounds=1):
        p = json.loads(json.dumps(base_policy))
        p["models"] = [{"kind": "xgboost", "xgboost_model": model, "rounds": rounds} for _ in range(arms)]
        return json.dumps(p)
    def ridge(coefficient):
        p = json.loads(json.dumps(base_policy))
        for m in p["models"]:
            if m.get("coefficients"):
                m["coefficients"][0] = coefficient
        return json.dumps(p)
    out = [
        ("policy-stump", with_models(stump(features=width))),
        ("policy-child-out-of-range", with_models(stump(left=(99_999, -1, -1), features=width))),
        ("policy-shared-child", with_models(stump(left=(2, -1, -1), features=width))),
        ("policy-feature-out-of-range", with_models(stump(features="1000000"))),
        ("policy-num-trees-2e9", with_models(stump(num_trees="2000000000", features=width))),
        ("policy-nan-leaf", with_models(stump(conditions="[0.5, NaN, 0.1]", features=width))),
        ("policy-rounds-past-trees", with_models(stump(features=width), rounds=1_000_000)),
        ("policy-model-deep", with_models("[" * 100_000 + "]" * 100_000)),
        ("policy-tree-deep", json.dumps({"format": "experiment-advisor-policy", "version": 1})[:-1]
         + ', "tree": ' + '{"children": [' * 100_000 + "]}" * 100_000 + "}"),
    ]
    if any(m.get("coefficients") for m in base_policy.get("models") or []):
        out += [("policy-ridge-1e308", ridge(1e308)), ("policy-ridge-minus-1e308", ridge(-1e308))]
    return out


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="hostile-corpus-")
    os.makedirs(work, exist_ok=True)
    base_csv, base = base_summary(binary, work)
    cases = []
    for name, text in summaries(base):
        path = os.path.join(work, f"{name}.summary.json")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        cases.append((name, ["analyze", path, "--format", "html", "--quiet"]))
    for name, kind, text in yaml_inputs():
        suffix = {"proposal": ".yaml", "manifest": ".manifest.yaml", "config": ".config.yaml"}[kind]
        path = os.path.join(work, name + suffix)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        if kind == "proposal":
            cases.append((name, ["predict", path]))
        elif kind == "manifest":
            cases.append((name, ["analyze", base_csv, "--manifest", path, "--quiet"]))
        else:
            cases.append((name, ["check-config", path]))
    policy_path = os.path.join(work, "base.policy.json")
    code, err, _ = run(binary, ["analyze", base_csv, "--quiet", "--policy-out", policy_path], work, 600)
    assert code == 0, err
    with open(policy_path, encoding="utf-8") as handle:
        base_policy = json.load(handle)
    for name, text in policies(base_policy):
        path = os.path.join(work, f"{name}.json")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        cases.append((name, ["assign", "--policy", path, base_csv, "--output", os.path.join(work, name + ".out.csv")]))
    for name, text in csv_inputs(base_csv):
        path = os.path.join(work, name + ".csv")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        cases.append((name, ["analyze", path, "--format", "html", "--quiet"]))
    failures = 0
    for name, args in cases:
        code, err, seconds = run(binary, args, work)
        first = err.strip().splitlines()[0] if err.strip() else ""
        if code is None:
            verdict = f"FAIL: no answer in {LIMIT_SECONDS} s"
        elif code < 0 or code > 2:
            verdict = f"FAIL: exit {code} (a signal or a crash)"
        elif code == 2 and "field '" not in first and "column" not in first:
            verdict = "FAIL: a refusal that names no field"
        elif "\x1b" in err or "\nverdict:" in err:
            verdict = "FAIL: a control character reached the terminal"
        else:
            verdict = "ok"
        failures += verdict != "ok"
        print(f"{verdict:45} {name:32} exit {code} in {seconds:5.1f} s: {first[:150]}")
    print(f"{len(cases)} inputs, {failures} failed ({work})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
