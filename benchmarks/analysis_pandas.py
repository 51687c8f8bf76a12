#!/usr/bin/env python3
"""The post-experiment analysis in pandas + xgboost + numpy: the baseline for
advisor-analysis-benchmark (BENCHMARKS.md, issue 4). Same steps, same settings:

  ingest (pandas.read_csv, one-hot text columns; median of three reads) -> seeded 70/30
  split -> per arm an XGBoost model (hist, depth 4, eta 0.1, subsample 0.8, colsample 0.8, min_child_weight 1, lambda 1,
  at most 300 rounds, early stopping after 20 on the last 20% of the arm's training units) and a
  ridge model (standardized, lambda 1e-3 per unit) -> section 5.2 estimates (deciles of the
  prediction per arm, cell means, rho over arm pairs, s, sigma_eps) with a 30-resample
  m-out-of-n bootstrap (m = 20,000) -> IPW and AIPW of both policies against the best
  training arm with a 500-resample paired bootstrap. Ridge, the estimates and the evaluation are
  each timed as the median of three runs (as in the Swift benchmark); the XGBoost loop runs once.

The split is the Swift code's: the same SplitMix64 stream (ported below to numpy) sends the
same units to the holdout, so both pipelines fit their models on the same units. The bootstrap
resamples use numpy's generator and differ, so standard errors agree in size, not to the digit.
Prints one JSON object.
"""
import json, resource, sys, time

import numpy as np
import pandas as pd
import xgboost as xgb

SEED = 20240601
HOLDOUT, VALIDATION, CELLS = 0.3, 0.2, 10
BOOTSTRAP, ESTIMATE_BOOTSTRAP, SUBSAMPLE = 500, 30, 20_000


def splitmix_uniforms(seed, n):
    """The first n draws of the Swift code's SplitMix64(seed: seed).nextOpenUnit(): output k
    mixes the state seed + k * 0x9E3779B97F4A7C15 (mod 2^64); (top 53 bits + 0.5) / 2^53."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + np.uint64(0x9E3779B97F4A7C15) * np.arange(1, n + 1, dtype=np.uint64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


def now():
    return time.perf_counter()


def median_seconds(body):
    """The median time of three runs and the last run's value (as the Swift benchmark)."""
    times, value = [], None
    for _ in range(3):
        value = None
        t = now()
        value = body()
        times.append(now() - t)
    return value, sorted(times)[1]


def main(path):
    # Three reads, median counts (as in the Swift benchmark); the rest of the stage once.
    reads = []
    for _ in range(3):
        t = now()
        df = pd.read_csv(path)
        reads.append(now() - t)
    t = now() - sorted(reads)[1]
    arm_codes, arm_names = pd.factorize(df["arm"])
    y = df["outcome"].to_numpy(dtype=np.float64)
    covariates = df.drop(columns=[c for c in ("unit_id", "arm", "outcome", "propensity") if c in df.columns])
    covariates = pd.get_dummies(covariates, dtype=np.float32)
    X = covariates.to_numpy(dtype=np.float32)
    n, m = len(y), len(arm_names)
    propensity = np.full(n, 1.0 / m)
    ingest = now() - t

    binary = bool(np.isin(y, (0.0, 1.0)).all())
    params = {
        "objective": "binary:logistic" if binary else "reg:squarederror",
        "eval_metric": "logloss" if binary else "rmse",
        "tree_method": "hist", "max_depth": 4, "eta": 0.1, "subsample": 0.8, "colsample_bytree": 0.8,
        "min_child_weight": 1, "lambda": 1, "seed": SEED % (2**31 - 1), "verbosity": 0,
    }

    # The split (once, like the Swift benchmark's T-learner stage, which interleaves XGBoost).
    t = now()
    is_holdout = splitmix_uniforms(SEED, n) < HOLDOUT
    holdout = np.flatnonzero(is_holdout)
    training = np.flatnonzero(~is_holdout)
    groups = [training[arm_codes[training] == a] for a in range(m)]
    X_hold = X[holdout]
    xgb_seconds = 0.0
    predictions = np.empty((m, len(holdout)))
    train_means = np.empty(m)
    for a in range(m):
        group = groups[a]
        cut = int(len(group) * (1 - VALIDATION))
        fit_rows, valid_rows = group[:cut], group[cut:]
        train_means[a] = y[group].mean()
        Xf, yf, Xv, yv = X[fit_rows], y[fit_rows], X[valid_rows], y[valid_rows]
        s = now()
        dtrain, dvalid, dhold = xgb.DMatrix(Xf, label=yf), xgb.DMatrix(Xv, label=yv), xgb.DMatrix(X_hold)
        booster = xgb.train(params, dtrain, num_boost_round=300, evals=[(dvalid, "valid")],
                            early_stopping_rounds=20, verbose_eval=False)
        predictions[a] = booster.predict(dhold, iteration_range=(0, booster.best_iteration + 1))
        xgb_seconds += now() - s
    tlearner = now() - t

    def ridge_all():
        out = np.empty((m, len(holdout)))
        for a in range(m):
            group = groups[a]
            Xr, yr = X[group].astype(np.float64), y[group]
            mean = np.nanmean(Xr, axis=0)
            Xr = np.where(np.isnan(Xr), mean, Xr) - mean
            scale = np.sqrt((Xr ** 2).mean(axis=0))
            scale[scale == 0] = 1
            Z = Xr / scale
            b = np.linalg.solve(Z.T @ Z + (1e-3 * len(yr) + 1e-12) * np.eye(Z.shape[1]), Z.T @ (yr - yr.mean()))
            Zh = (np.where(np.isnan(X_hold), mean, X_hold) - mean) / scale
            out[a] = yr.mean() + Zh @ b
        return out

    ridge_predictions, ridge_seconds = median_seconds(ridge_all)

    def estimates_stage():
        arm_hold = arm_codes[holdout]
        y_hold = y[holdout]
        cells = np.empty((m, len(holdout)), dtype=np.int64)
        for a in range(m):
            own = np.sort(predictions[a][arm_hold == a])
            cuts = own[[min(len(own) - 1, q * len(own) // CELLS) for q in range(1, CELLS)]]
            cells[a] = np.searchsorted(cuts, predictions[a], side="right")
        counts = np.bincount(arm_codes, minlength=m)
        arm_means = np.bincount(arm_codes, weights=y, minlength=m) / counts
        arm_vars = np.bincount(arm_codes, weights=y * y, minlength=m) / counts - arm_means ** 2
        spread_var = arm_means.var(ddof=1)
        spread_noise = (arm_vars * counts / (counts - 1) / counts).mean()

        def estimate(sample):
            a_s, y_s = arm_hold[sample], y_hold[sample]
            own_cells = cells[a_s, sample]
            key = a_s * CELLS + own_cells
            cnt = np.bincount(key, minlength=m * CELLS).reshape(m, CELLS)
            sm = np.bincount(key, weights=y_s, minlength=m * CELLS).reshape(m, CELLS)
            sq = np.bincount(key, weights=y_s * y_s, minlength=m * CELLS).reshape(m, CELLS)
            with np.errstate(invalid="ignore", divide="ignore"):
                cm = np.where(cnt > 0, sm / cnt, 0.0)
                var = np.where(cnt > 1, (sq / cnt - cm ** 2) * cnt / (cnt - 1), 0.0)
            filled = cnt > 1
            raw = corrected = 0.0
            used = 0
            for a in range(m):
                f = filled[a]
                if f.sum() < 2:
                    continue
                used += 1
                spread = cm[a][f].var()
                raw += spread
                corrected += max(0.0, spread - (var[a][f] / cnt[a][f]).sum() / f.sum())
            within = (var * np.maximum(cnt - 1, 0))[filled].sum() / np.maximum(cnt - 1, 0)[filled].sum()
            assigned = np.take_along_axis(cm, cells[:, sample], axis=1)
            corr = np.corrcoef(assigned)
            rho = corr[np.triu_indices(m, 1)].mean()
            residual = y_s - predictions[a_s, sample]
            return {
                "sigma": np.sqrt(corrected / max(used, 1)), "rho": rho,
                "prediction_error": residual.std(), "within": within,
            }

        main_estimate = estimate(np.arange(len(holdout)))
        boot = np.random.default_rng(SEED + 2)
        draws = [estimate(boot.integers(0, len(holdout), min(len(holdout), SUBSAMPLE))) for _ in range(ESTIMATE_BOOTSTRAP)]
        scale = np.sqrt(min(len(holdout), SUBSAMPLE) / len(holdout))
        se = {k: scale * np.std([d[k] for d in draws], ddof=1) for k in ("sigma", "rho", "prediction_error")}
        s_hat = np.sqrt(max(0.0, spread_var - spread_noise))
        refined = np.sqrt(max(0.0, main_estimate["prediction_error"] ** 2 - main_estimate["within"]))
        return main_estimate, se, s_hat, refined

    (main_estimate, se, s_hat, refined), estimating = median_seconds(estimates_stage)

    def evaluation_stage():
        arm_hold = arm_codes[holdout]
        y_hold = y[holdout]
        best = int(np.argmax(train_means))
        e_hold = propensity[holdout]
        rows = np.arange(len(holdout))

        def evaluate(pred, seed):
            assign = pred.argmax(axis=0)
            hit = arm_hold == assign
            ipw_policy = np.where(hit, y_hold / e_hold, 0.0)
            ipw_uniform = np.where(arm_hold == best, y_hold / e_hold, 0.0)
            p_pol = pred[assign, rows]
            dr_policy = p_pol + np.where(hit, (y_hold - p_pol) / e_hold, 0.0)
            dr_uniform = pred[best] + np.where(arm_hold == best, (y_hold - pred[best]) / e_hold, 0.0)
            out = {}
            r = np.random.default_rng(seed)
            for name, diff in (("ipw", ipw_policy - ipw_uniform), ("aipw", dr_policy - dr_uniform)):
                reps = np.array([diff[r.integers(0, len(diff), len(diff))].mean() for _ in range(BOOTSTRAP)])
                out[name] = (diff.mean(), reps.std(ddof=1))
            return out

        xgb_eval = evaluate(predictions, SEED)
        ridge_eval = evaluate(ridge_predictions, SEED + 1)
        return xgb_eval, ridge_eval

    (xgb_eval, ridge_eval), evaluating = median_seconds(evaluation_stage)

    total = ingest + tlearner + ridge_seconds + estimating + evaluating
    print(json.dumps({
        "rows": n, "arms": m, "covariates": X.shape[1],
        "ingest_seconds": ingest, "xgboost_seconds": xgb_seconds, "tlearner_other_seconds": tlearner - xgb_seconds,
        "ridge_seconds": ridge_seconds, "estimates_seconds": estimating, "evaluation_seconds": evaluating,
        "total_seconds": total, "outside_xgboost_seconds": total - xgb_seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "sigma": main_estimate["sigma"], "sigma_se": se["sigma"], "rho": main_estimate["rho"], "rho_se": se["rho"],
        "s": s_hat, "prediction_error": main_estimate["prediction_error"], "prediction_error_se": se["prediction_error"],
        "prediction_error_refined": refined,
        "realized_gain": xgb_eval["aipw"][0], "realized_gain_se": xgb_eval["aipw"][1],
        "ipw_gain": xgb_eval["ipw"][0], "ipw_gain_se": xgb_eval["ipw"][1], "ridge_realized_gain": ridge_eval["aipw"][0],
        "xgboost_version": xgb.__version__, "pandas_version": pd.__version__, "numpy_version": np.__version__,
    }))


if __name__ == "__main__":
    main(sys.argv[1])
