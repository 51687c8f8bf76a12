#!/usr/bin/env python3
"""experiment-advisor's post-experiment analysis on Apache Spark.

Reads a finished test's unit-level data where it lives (CSV or Parquet), fits the per-arm
outcome models with XGBoost's Spark estimator, and writes the analysis summary the daemon
decides from (NAME.summary.json; EstimatingParameters.md, "The analysis summary"). Only
aggregates leave the executors: every pass over the units is a mapInPandas that returns one
row of partial sums per partition, added up on the driver.

    spark-submit spark/advisor_job.py --input PATH --format csv|parquet \\
        --manifest M.yaml --out NAME.summary.json

What it computes, and where the single-machine analysis computes the same:

- the split: Spark's xxhash64(lit(seed), xxhash64(unit_id)), as TLearnerSplit ("The split");
- per-arm XGBoost models with the daemon's settings (BoostingParameters.swift), early-stopped
  on the arm's validation units;
- the T-learner's argmax policy against the best training-split arm on the holdout, AIPW and
  IPW, standard errors from Poisson-weighted bootstrap replicates ("Realized gain");
- the personalization curve at approximate benefit quantiles ("The personalization curve");
- σ̂, ρ̂, ŝ, σ̂_ε from the section-5.2 quantile cells, ρ̂ through the cells' co-occurrence counts
  (the same algebra as ParameterEstimates.meanCorrelation), σ̂_ε's variance part from two
  half-size local refits per arm ("σ, ρ, s, σ_ε", "An honest σ_ε");
- the drivers and the fragility inputs.

What differs from one machine, by design: cut points come from percentile_approx (relative
error 1/accuracy), the models from XGBoost's distributed histogram, the bootstrap weights are
Poisson(1) per unit rather than a multinomial resample of at most 20,000 holdout units. The
policy trees, the ridge T-learner and
guardrails run on one machine only: a manifest with guardrails is refused.
"""

import argparse
import json
import math
import socket
import sys
import time

import numpy as np
import yaml

JOB_VERSION = "1"
SUMMARY_FORMAT = "experiment-advisor/analysis-summary"
SUMMARY_VERSION = 1
POLICY = "xgboost-t-learner"
# The daemon's defaults (AnalysisSettings, BoostingParameters, ModelErrorEstimate).
SEED = 20_240_601
HOLDOUT_SHARE = 0.3
VALIDATION_SHARE = 0.2
BOOTSTRAP = 500
ESTIMATE_BOOTSTRAP = 30
CELLS = 10
CURVE_POINTS = 10
HALF_UNITS = 5_000
PREDICTED_UNITS = 20_000
SIGNAL_FLOOR = 0.05
MAX_CATEGORIES = 64  # IngestLimits.maxCategories
BOOSTING = dict(
    max_depth=4,
    learning_rate=0.1,
    subsample=0.8,
    colsample_bytree=0.8,
    min_child_weight=1.0,
    reg_lambda=1.0,
    n_estimators=300,
    early_stopping_rounds=20,
)
MISSING_TOKENS = ["", "NA", "NaN", "nan", "null", "NULL", "N/A", "None", "#N/A"]
MANIFEST_KEYS = [
    "experiment", "columns", "ignore_columns", "missing_values", "control_arm",
    "assignment_probabilities", "larger_is_better", "threshold", "description", "outcomes",
]


class InputError(Exception):
    """A problem with the input, said as the daemon says it: file, field, problem, fix."""

    def __init__(self, file, field, problem, fix):
        super().__init__(f"{file}: " + (f"field '{field}': " if field else "") + f"{problem}. Fix: {fix}")


def read_manifest(path):
    if path is None:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = yaml.safe_load(handle) or {}
    except OSError as error:
        raise InputError(path, None, f"cannot be read ({error.strerror})", "give --manifest an existing file")
    except yaml.YAMLError as error:
        raise InputError(path, None, f"is not YAML ({error})", "fix the YAML syntax")
    if not isinstance(manifest, dict):
        raise InputError(path, None, "is not a mapping of keys", "write key: value lines, as for the daemon")
    for key in manifest:
        if key not in MANIFEST_KEYS:
            raise InputError(path, key, "is not a manifest key", "use " + ", ".join(MANIFEST_KEYS))
    if manifest.get("outcomes"):
        raise InputError(
            path, "outcomes", "guardrail outcomes are analyzed on one machine only",
            "analyze the drop with `experiment-advisor analyze`, or drop the guardrails for this run",
        )
    return manifest


def experiment_id(manifest, input_path):
    if manifest.get("experiment"):
        return str(manifest["experiment"])
    name = input_path.rstrip("/").split("/")[-1]
    for suffix in [".parquet", ".gz", ".csv"]:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "-" for c in name)
    return cleaned if cleaned and not cleaned.startswith(".") else "data-" + cleaned.lstrip(".")


def arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", required=True, help="the data: a CSV file or directory, or Parquet")
    parser.add_argument("--format", choices=["csv", "parquet"], default="csv")
    parser.add_argument("--manifest", help="NAME.manifest.yaml, as for a data drop")
    parser.add_argument("--out", required=True, help="where to write NAME.summary.json")
    parser.add_argument("--seed", type=int, default=SEED, help="the split seed (the daemon's analysis.seed)")
    parser.add_argument("--master", help="Spark master when not run by spark-submit (e.g. local[2])")
    parser.add_argument("--driver-memory", help="the driver's heap when not run by spark-submit (e.g. 8g)")
    parser.add_argument("--workers", type=int, default=0, help="XGBoost workers (default: Spark's parallelism)")
    parser.add_argument("--bootstrap", type=int, default=BOOTSTRAP)
    parser.add_argument("--estimate-bootstrap", type=int, default=ESTIMATE_BOOTSTRAP)
    parser.add_argument("--partitions", type=int, default=0, help="repartition the input (default: as read)")
    return parser.parse_args(argv)


def spark_session(master, driver_memory):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("experiment-advisor")
    if master:
        builder = builder.master(master)
    if driver_memory:
        builder = builder.config("spark.driver.memory", driver_memory)
    session = (
        builder.config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def to_double(column):
    """A number or null: never an error for text (Spark 4 casts under ANSI rules and throws)."""
    return column.try_cast("double") if hasattr(column, "try_cast") else column.cast("double")


def load(spark, args, manifest):
    """The data as oriented columns: arm index, y, propensity, covariates (NaN when missing),
    the split draw u; and what was read."""
    from pyspark.sql import functions as F

    columns = manifest.get("columns") or {}
    arm_col = columns.get("arm", "arm")
    outcome_col = columns.get("outcome", "outcome")
    unit_col = columns.get("unit_id", "unit_id")
    propensity_col = columns.get("propensity", "propensity")
    ignored = set(manifest.get("ignore_columns") or [])
    missing = set(MISSING_TOKENS) | {str(t).strip() for t in (manifest.get("missing_values") or [])}
    if args.format == "csv":
        df = spark.read.option("header", True).option("inferSchema", False).csv(args.input)
    else:
        df = spark.read.parquet(args.input)
        df = df.select([F.col(c).cast("string").alias(c) for c in df.columns])
    if args.partitions:
        df = df.repartition(args.partitions)
    header = df.columns
    for role, name in [("arm", arm_col), ("outcome", outcome_col), ("unit_id", unit_col)]:
        if name not in header:
            raise InputError(
                args.input, role, f"no column '{name}' in the header",
                "the Spark job splits by unit_id: give each row its unit's id (columns.unit_id in the manifest names it)"
                if role == "unit_id" else f"name the {role} column in the manifest's columns block",
            )

    def cleaned(name):
        c = F.trim(F.col(name))
        return F.when(c.isin(list(missing)) | c.isNull(), None).otherwise(c)

    covariates = [c for c in header if c not in {arm_col, outcome_col, unit_col, propensity_col} | ignored]
    base = df.select(
        cleaned(arm_col).alias("arm_label"),
        to_double(cleaned(outcome_col)).alias("y_raw"),
        cleaned(outcome_col).alias("y_text"),
        F.col(unit_col).alias("unit_id"),
        (to_double(cleaned(propensity_col)) if propensity_col in header else F.lit(None).cast("double")).alias(
            "propensity"
        ),
        *[cleaned(c).alias(f"c{j}") for j, c in enumerate(covariates)],
    )
    # One pass: rows read, rows kept, text covariates (a value that is not a number), arms.
    checks = base.agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum(F.when(F.col("y_text").isNotNull() & F.col("y_raw").isNull(), 1).otherwise(0)).alias("bad_outcomes"),
        F.sum(F.when(F.col("arm_label").isNull() | F.col("y_raw").isNull(), 1).otherwise(0)).alias("dropped"),
        *[
            F.sum(F.when(F.col(f"c{j}").isNotNull() & to_double(F.col(f"c{j}")).isNull(), 1).otherwise(0)).alias(
                f"text{j}"
            )
            for j in range(len(covariates))
        ],
    ).collect()[0]
    rows = checks["rows"]
    if rows == 0:
        raise InputError(args.input, None, "holds no rows", "point --input at the experiment's unit-level data")
    if checks["bad_outcomes"] > 0:
        raise InputError(
            args.input, outcome_col, f"{checks['bad_outcomes']} rows hold an outcome that is not a number",
            "the outcome must be a number in every row (0/1 for a yes/no outcome)",
        )
    kept = base.filter(F.col("arm_label").isNotNull() & F.col("y_raw").isNotNull())
    arm_names = sorted(r["arm_label"] for r in kept.select("arm_label").distinct().collect())
    if len(arm_names) < 2:
        raise InputError(args.input, arm_col, f"holds {len(arm_names)} arm(s)", "a test compares at least two arms")
    text = [j for j in range(len(covariates)) if checks[f"text{j}"] > 0]
    categories = {}
    for j in text:
        values = [r[0] for r in kept.select(f"c{j}").distinct().limit(MAX_CATEGORIES + 1).collect() if r[0] is not None]
        if len(values) > MAX_CATEGORIES:
            raise InputError(
                args.input, covariates[j], f"more than {MAX_CATEGORIES} distinct text values",
                "bucket the column, or list it under ignore_columns in the manifest",
            )
        categories[j] = sorted(values)
    feature_names, feature_exprs = [], []
    for j, name in enumerate(covariates):
        c = F.col(f"c{j}")
        if j in categories:
            for value in categories[j]:
                feature_names.append(f"{name}={value}")
                feature_exprs.append(
                    F.when(c.isNull(), float("nan")).when(c == value, 1.0).otherwise(0.0)
                )
        else:
            feature_names.append(name)
            feature_exprs.append(F.coalesce(to_double(c), F.lit(float("nan"))))
    y_values = kept.select("y_raw").distinct().limit(3).collect()
    binary = len(y_values) <= 2 and all(r[0] in (0.0, 1.0) for r in y_values)
    larger = manifest.get("larger_is_better", True)
    y = F.col("y_raw") if larger else (1 - F.col("y_raw") if binary else -F.col("y_raw"))
    m = len(arm_names)
    arm_index = F.create_map(*[x for i, name in enumerate(arm_names) for x in (F.lit(name), F.lit(i))])
    probabilities = manifest.get("assignment_probabilities")
    if probabilities:
        unknown = [a for a in probabilities if a not in arm_names]
        if unknown:
            raise InputError(
                args.manifest, "assignment_probabilities", f"'{unknown[0]}' is not an arm in the data",
                "give each arm's label exactly as in the arm column",
            )
        propensity = F.create_map(*[x for a, p in probabilities.items() for x in (F.lit(a), F.lit(float(p)))])[
            F.col("arm_label")
        ]
    else:
        propensity = F.lit(1.0 / m)
    seed_key = F.lit(args.seed).cast("long")
    h = F.xxhash64(seed_key, F.xxhash64(F.col("unit_id")))
    frame = kept.select(
        arm_index[F.col("arm_label")].alias("t"),
        y.alias("y"),
        F.coalesce(F.col("propensity"), propensity).alias("e"),
        (F.shiftrightunsigned(h, 11).cast("double") / float(2**53)).alias("u"),
        *[expr.alias(f"x{k}") for k, expr in enumerate(feature_exprs)],
    )
    empty_ids = kept.filter(F.col("unit_id").isNull() | (F.trim(F.col("unit_id")) == "")).count()
    if empty_ids:
        raise InputError(
            args.input, unit_col, f"{empty_ids} rows have no unit id",
            "the Spark job places each unit in the split by its id: give every row its unit's id",
        )
    # Rows repeating a unit id read before them (a unit logged twice counts twice; the verdict warns).
    duplicates = kept.count() - kept.select("unit_id").distinct().count()
    bad_e = frame.filter((F.col("e") <= 0) | (F.col("e") > 1) | F.col("e").isNull()).count()
    if bad_e:
        raise InputError(
            args.input, propensity_col, f"{bad_e} rows have a propensity outside (0, 1]",
            "give each unit the probability it had of its own arm",
        )
    return dict(
        frame=frame, arms=arm_names, features=feature_names, binary=binary, rows=rows,
        dropped=checks["dropped"], outcome=outcome_col, larger=larger, duplicates=duplicates,
    )


def partial_sums(frame, columns, reducer):
    """mapInPandas over `frame` with `reducer(pandas_frame, partition) -> dict of arrays`, one
    row of partial sums per partition, added up on the driver."""
    import pickle

    from pyspark import TaskContext

    def run(batches):
        import pandas as pd

        context = TaskContext.get()
        partition = context.partitionId() if context else 0
        total = None
        for batch in batches:
            part = reducer(batch, partition)
            total = part if total is None else {k: total[k] + part[k] for k in total}
        if total is not None:
            yield pd.DataFrame({"blob": [pickle.dumps(total)]})

    rows = frame.select(*columns).mapInPandas(run, "blob binary").collect()
    result = None
    for row in rows:
        part = pickle.loads(row["blob"])
        result = part if result is None else {k: result[k] + part[k] for k in result}
    return result


def fit_models(frame, m, features, binary, workers):
    """One XGBoost model per arm on its fitted-on units, early-stopped on its validation units."""
    from pyspark.ml.feature import VectorAssembler
    from pyspark.sql import functions as F
    from xgboost.spark import SparkXGBRegressor

    bound = HOLDOUT_SHARE + (1 - HOLDOUT_SHARE) * VALIDATION_SHARE
    assembled = VectorAssembler(
        inputCols=[f"x{k}" for k in range(len(features))], outputCol="features", handleInvalid="keep"
    ).transform(frame)
    models = []
    for a in range(m):
        training = assembled.filter((F.col("t") == a) & (F.col("u") >= HOLDOUT_SHARE)).withColumn(
            "is_validation", F.col("u") < bound
        )
        estimator = SparkXGBRegressor(
            features_col="features",
            label_col="y",
            validation_indicator_col="is_validation",
            objective="binary:logistic" if binary else "reg:squarederror",
            eval_metric="logloss" if binary else "rmse",
            num_workers=workers,
            missing=float("nan"),
            seed=SEED,
            verbosity=0,
            **BOOSTING,
        )
        models.append(estimator.fit(training))
    scored = assembled.filter(F.col("u") < bound)
    for a, model in enumerate(models):
        scored = model.transform(scored).withColumnRenamed("prediction", f"mu{a}")
    return models, scored.drop("features")


def model_variance(frame, models, m, features, binary):
    """σ̂_ε's variance part per arm (ModelErrorEstimate.variance): two half-size refits on
    alternate units of a sample of at most 2·HALF_UNITS fitted-on units, early-stopped on the
    arm's validation units, predicted on at most PREDICTED_UNITS holdout units. Local XGBoost on
    the driver: the samples are small by construction."""
    import xgboost as xgb
    from pyspark.sql import functions as F

    bound = HOLDOUT_SHARE + (1 - HOLDOUT_SHARE) * VALIDATION_SHARE
    names = [f"x{k}" for k in range(len(features))]
    holdout = frame.filter(F.col("u") < HOLDOUT_SHARE)
    holdout_count = holdout.count()
    targets = (
        holdout.sample(False, min(1.0, 1.2 * PREDICTED_UNITS / max(holdout_count, 1)), SEED)
        .limit(PREDICTED_UNITS)
        .select(*names)
        .toPandas()
        .to_numpy(dtype=float)
    )
    params = {
        "objective": "binary:logistic" if binary else "reg:squarederror",
        "eval_metric": "logloss" if binary else "rmse",
        "max_depth": BOOSTING["max_depth"],
        "eta": BOOSTING["learning_rate"],
        "subsample": BOOSTING["subsample"],
        "colsample_bytree": BOOSTING["colsample_bytree"],
        "min_child_weight": BOOSTING["min_child_weight"],
        "lambda": BOOSTING["reg_lambda"],
        "seed": SEED,
        "nthread": 0,
    }
    variances = []
    for a in range(m):
        arm = frame.filter(F.col("t") == a)
        fitted_on = arm.filter(F.col("u") >= bound)
        n_fit = fitted_on.count()
        if n_fit < 4:
            variances.append(0.0)
            continue
        sample = (
            fitted_on.sample(False, min(1.0, 1.2 * 2 * HALF_UNITS / n_fit), SEED + a)
            .orderBy("u")
            .limit(2 * HALF_UNITS)
            .select("y", *names)
            .toPandas()
        )
        validation = (
            arm.filter((F.col("u") >= HOLDOUT_SHARE) & (F.col("u") < bound))
            .limit(4 * HALF_UNITS)
            .select("y", *names)
            .toPandas()
        )
        dval = xgb.DMatrix(validation[names].to_numpy(dtype=float), label=validation["y"].to_numpy(), missing=np.nan)
        predictions = []
        halves = [sample.iloc[0::2], sample.iloc[1::2]]
        for half in halves:
            dtrain = xgb.DMatrix(half[names].to_numpy(dtype=float), label=half["y"].to_numpy(), missing=np.nan)
            booster = xgb.train(
                params, dtrain, num_boost_round=BOOSTING["n_estimators"], evals=[(dval, "validation")],
                early_stopping_rounds=BOOSTING["early_stopping_rounds"], verbose_eval=False,
            )
            predictions.append(
                booster.predict(xgb.DMatrix(targets, missing=np.nan), iteration_range=(0, booster.best_iteration + 1))
            )
        half_variance = float(np.mean((predictions[0] - predictions[1]) ** 2) / 2)
        variances.append(half_variance * len(halves[0]) / n_fit)
    return variances


def main(argv):
    args = arguments(argv)
    started = time.time()
    timings = {}
    manifest = read_manifest(args.manifest)
    experiment = experiment_id(manifest, args.input)
    spark = spark_session(args.master, args.driver_memory)
    from pyspark.sql import functions as F

    workers = args.workers or max(1, spark.sparkContext.defaultParallelism)
    data = load(spark, args, manifest)
    frame = data["frame"].cache()
    m = len(data["arms"])
    p = len(data["features"])
    timings["split"] = time.time() - started

    # All units and the training split: per-arm counts, sums, squares; |y| for the top 1%.
    top = frame.select(F.percentile_approx(F.abs("y"), 0.99, 10_000).alias("q")).collect()[0]["q"] or 0.0

    def totals(batch, _partition):
        t = batch["t"].to_numpy()
        y = batch["y"].to_numpy()
        train = batch["u"].to_numpy() >= HOLDOUT_SHARE
        out = {}
        for name, mask in [("all", np.ones(len(t), bool)), ("train", train)]:
            out[name + "_n"] = np.bincount(t[mask], minlength=m).astype(float)
            out[name + "_sum"] = np.bincount(t[mask], weights=y[mask], minlength=m)
            out[name + "_sq"] = np.bincount(t[mask], weights=y[mask] ** 2, minlength=m)
        magnitude = np.abs(y)
        above = magnitude > top
        out["abs"] = np.array([magnitude.sum(), magnitude[above].sum(), float(above.sum())])
        return out

    tot = partial_sums(frame, ["t", "y", "u"], totals)
    data["top"] = float(top)
    units = int(tot["all_n"].sum())
    training_units = int(tot["train_n"].sum())
    train_means = np.where(tot["train_n"] > 0, tot["train_sum"] / np.maximum(tot["train_n"], 1), -np.inf)
    u_arm = int(np.argmax(train_means))

    started_models = time.time()
    models, scored = fit_models(frame, m, data["features"], data["binary"], workers)
    scored = scored.cache()
    timings["outcome_models"] = time.time() - started_models
    started_variance = time.time()
    variance = model_variance(frame, models, m, data["features"], data["binary"])
    timings["model_error"] = time.time() - started_variance

    started_estimates = time.time()
    mu_cols = [f"mu{a}" for a in range(m)]
    holdout = scored.filter(F.col("u") < HOLDOUT_SHARE)
    # Cut points per arm from its own holdout units' predictions (section 5.2), and the
    # benefit quantiles the personalization curve ranks by.
    fractions = [q / CELLS for q in range(1, CELLS)]
    own = F.element_at(F.array(*[F.col(c) for c in mu_cols]), F.col("t") + 1)
    cut_rows = holdout.groupBy("t").agg(F.percentile_approx(own, fractions, 10_000).alias("cut")).collect()
    # An arm without holdout units puts everyone in cell 0 (it then adds no spread).
    cuts = [np.full(CELLS - 1, np.inf) for _ in range(m)]
    for row in cut_rows:
        cuts[row["t"]] = np.array(row["cut"], dtype=float)
    benefit = F.greatest(*[F.col(c) for c in mu_cols]) - F.col(f"mu{u_arm}")
    shares = [1 - s / CURVE_POINTS for s in range(1, CURVE_POINTS)]
    benefit_cuts = holdout.select(F.percentile_approx(benefit, shares, 10_000).alias("b")).collect()[0]["b"]
    benefit_cuts = [np.inf] + list(benefit_cuts) + [-np.inf]
    B = args.bootstrap
    R = args.estimate_bootstrap
    seed = args.seed

    def holdout_sums(batch, partition):
        part = batch["part"].to_numpy()
        hold = part == 0
        t = batch["t"].to_numpy()
        y = batch["y"].to_numpy()
        e = batch["e"].to_numpy()
        mu = batch[mu_cols].to_numpy(dtype=float)
        n = len(t)
        rows = np.arange(n)
        own = (t[:, None] == np.arange(m)[None, :])
        gamma = mu + own * ((y - mu[rows, t]) / e)[:, None]
        ipw = own * (y / e)[:, None]
        pi = np.argmax(mu, axis=1)
        out = {}
        # The policy choice's value on the validation parts (one candidate here).
        val = ~hold
        out["validation"] = np.array([gamma[rows[val], pi[val]].sum(), float(val.sum())])
        g = gamma[hold]
        w_ipw = ipw[hold]
        ph = pi[hold]
        th = t[hold]
        yh = y[hold]
        muh = mu[hold]
        nh = len(th)
        r = np.arange(nh)
        d_aipw = g[r, ph] - g[:, u_arm]
        d_ipw = w_ipw[r, ph] - w_ipw[:, u_arm]
        out["eval"] = np.array([
            float(nh), d_aipw.sum(), g[r, ph].sum(), g[:, u_arm].sum(), (g[:, u_arm] ** 2).sum(),
            d_ipw.sum(), w_ipw[r, ph].sum(), w_ipw[:, u_arm].sum(),
        ])
        out["shares"] = np.bincount(ph, minlength=m).astype(float)
        rng = np.random.default_rng([seed, partition, 1])
        weights = rng.poisson(1.0, size=(nh, B)).astype(float) if B > 0 else np.zeros((nh, 0))
        out["boot"] = np.stack([weights.sum(axis=0), d_aipw @ weights, d_ipw @ weights], axis=1)
        b = muh[r, ph] - muh[:, u_arm]
        curve = np.zeros((CURVE_POINTS + 1, 2))
        for s in range(1, CURVE_POINTS + 1):
            taken = b >= benefit_cuts[s] if s < CURVE_POINTS else np.ones(nh, bool)
            curve[s] = [d_aipw[taken].sum(), (d_aipw[taken] ** 2).sum()]
        out["curve"] = curve
        # Quantile cells: unit k's cell under arm a is the number of arm a's cut points at or
        # below its prediction (HoldoutCells).
        cell = np.stack([np.searchsorted(cuts[a], muh[:, a], side="right") for a in range(m)], axis=1)
        own_cell = cell[r, th]
        index = th * CELLS + own_cell
        out["cell_n"] = np.bincount(index, minlength=m * CELLS).astype(float)
        out["cell_sum"] = np.bincount(index, weights=yh, minlength=m * CELLS)
        out["cell_sq"] = np.bincount(index, weights=yh**2, minlength=m * CELLS)
        # The cells' co-occurrence (units per cell under a and cell under c), for ρ̂, and the same
        # under each replicate's weights.
        rng = np.random.default_rng([seed, partition, 2])
        rw = rng.poisson(1.0, size=(nh, R)).astype(float)
        co = np.zeros((m, m, CELLS * CELLS))
        r_co = np.zeros((R, m, m, CELLS * CELLS))
        for a in range(m):
            for c in range(a, m):
                pair = cell[:, a] * CELLS + cell[:, c]
                co[a, c] = np.bincount(pair, minlength=CELLS * CELLS)
                for j in range(R):
                    r_co[j, a, c] = np.bincount(pair, weights=rw[:, j], minlength=CELLS * CELLS)
        out["co"] = co
        out["r_co"] = r_co
        p_own = muh[r, th]
        resid = yh - p_own
        out["resid"] = np.array([resid.sum(), (resid**2).sum()])
        moments = np.stack([
            np.bincount(th, minlength=m).astype(float),
            np.bincount(th, weights=yh, minlength=m),
            np.bincount(th, weights=p_own, minlength=m),
            np.bincount(th, weights=yh**2, minlength=m),
            np.bincount(th, weights=p_own**2, minlength=m),
            np.bincount(th, weights=yh * p_own, minlength=m),
        ], axis=1)
        out["moments"] = moments
        # The estimates' replicates: the same sums under Poisson(1) weights per unit.
        out["r_cell_n"] = np.stack([np.bincount(index, weights=rw[:, j], minlength=m * CELLS) for j in range(R)])
        out["r_cell_sum"] = np.stack(
            [np.bincount(index, weights=rw[:, j] * yh, minlength=m * CELLS) for j in range(R)]
        )
        out["r_cell_sq"] = np.stack(
            [np.bincount(index, weights=rw[:, j] * yh**2, minlength=m * CELLS) for j in range(R)]
        )
        out["r_all_cells"] = np.stack([
            np.stack([np.bincount(cell[:, a], weights=rw[:, j], minlength=CELLS) for a in range(m)])
            for j in range(R)
        ])
        out["r_resid"] = np.stack([rw.T @ resid, rw.T @ resid**2, rw.sum(axis=0)], axis=1)
        out["r_moments"] = np.stack([
            np.stack([
                np.bincount(th, weights=rw[:, j], minlength=m),
                np.bincount(th, weights=rw[:, j] * yh, minlength=m),
                np.bincount(th, weights=rw[:, j] * p_own, minlength=m),
                np.bincount(th, weights=rw[:, j] * yh**2, minlength=m),
                np.bincount(th, weights=rw[:, j] * p_own**2, minlength=m),
                np.bincount(th, weights=rw[:, j] * yh * p_own, minlength=m),
            ], axis=1)
            for j in range(R)
        ])
        # Drivers: per covariate, its correlation with every arm's centred prediction.
        centred = muh - muh.mean(axis=1, keepdims=True)
        x = batch[[f"x{k}" for k in range(p)]].to_numpy(dtype=float)[hold] if p else np.zeros((nh, 0))
        present = ~np.isnan(x)
        xz = np.where(present, x, 0.0)
        out["drv"] = np.stack([
            present.sum(axis=0).astype(float), xz.sum(axis=0), (xz**2).sum(axis=0)
        ], axis=1) if p else np.zeros((0, 3))
        out["drv_y"] = present.T.astype(float) @ centred if p else np.zeros((0, m))
        out["drv_yy"] = present.T.astype(float) @ centred**2 if p else np.zeros((0, m))
        out["drv_xy"] = xz.T @ centred if p else np.zeros((0, m))
        return out

    part = F.when(F.col("u") < HOLDOUT_SHARE, 0).otherwise(1).alias("part")
    sums = partial_sums(
        scored.select(part, "t", "y", "e", *mu_cols, *[f"x{k}" for k in range(p)]),
        ["part", "t", "y", "e", *mu_cols, *[f"x{k}" for k in range(p)]],
        holdout_sums,
    )
    summary = reduce_summary(
        args, data, experiment, manifest, tot, sums, variance, u_arm, units, training_units, timings
    )
    timings["estimates"] = time.time() - started_estimates
    summary["timings"] = {k: round(v, 6) for k, v in timings.items()}
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=1, sort_keys=True, allow_nan=False)
        handle.write("\n")
    print(f"wrote {args.out}: {units} units, {m} arms, in {time.time() - started:.1f} s", file=sys.stderr)
    # What the cached columns took, for sizing a cluster (README, "When the data lives in a
    # warehouse"): the drop's columns and the scored holdout and validation units.
    cached = sum(info.memSize() + info.diskSize() for info in spark.sparkContext._jsc.sc().getRDDStorageInfo())
    print(f"cached: {cached} bytes, {cached / max(units, 1):.0f} per unit", file=sys.stderr)
    spark.stop()


def comparison(policy_value, uniform_value, gain, standard_error):
    return {
        "policy_value": policy_value,
        "uniform_value": uniform_value,
        "gain": gain,
        "standard_error": standard_error,
        "relative_gain": gain / uniform_value if uniform_value > 0 else None,
    }


def cell_estimates(m, n, s, sq, resid, moments, co, all_cells, variance):
    """σ̂, ρ̂, σ̂_ε from cell sums (HoldoutCells.estimates; EstimatingParameters.md, "σ, ρ, s,
    σ_ε"). `co[a][b]`: units per (cell under a, cell under b), for ρ̂ by the identity
    Σ_u S(u)² = Σ_{a,b} Σ_{q,r} N_ab(q,r)·z_a(q)·z_b(r); `all_cells[a]`: units per cell under a."""
    n = n.reshape(m, CELLS)
    s = s.reshape(m, CELLS)
    sq = sq.reshape(m, CELLS)
    arm_n = n.sum(axis=1)
    arm_mean = np.where(arm_n > 0, s.sum(axis=1) / np.maximum(arm_n, 1e-300), 0)
    cell_mean = np.where(n > 0, s / np.maximum(n, 1e-300), arm_mean[:, None])
    raw = corrected = 0.0
    within_sum = within_weight = 0.0
    used = 0
    for a in range(m):
        filled = np.where(n[a] > 1)[0]
        if len(filled) < 2:
            continue
        used += 1
        means = cell_mean[a, filled]
        counts = n[a, filled]
        variances = np.maximum(0, sq[a, filled] / counts - means**2) * counts / (counts - 1)
        within_sum += (variances * (counts - 1)).sum()
        within_weight += (counts - 1).sum()
        noise = (variances / counts).sum()
        spread = ((means - means.mean()) ** 2).mean()
        raw += spread
        corrected += max(0.0, spread - noise / len(filled))
    total = all_cells.sum(axis=1)
    z = np.zeros((m, CELLS))
    varying = 0
    for a in range(m):
        units = max(total[a], 1e-300)
        mean = (all_cells[a] * cell_mean[a]).sum() / units
        mean_square = (all_cells[a] * cell_mean[a] ** 2).sum() / units
        v = mean_square - mean**2
        if v > 1e-10 * mean_square:
            varying += 1
            z[a] = (cell_mean[a] - mean) / math.sqrt(v)
    rho = 0.0
    if varying >= 2:
        units = max(total.max(), 1e-300)
        s_squared = 0.0
        for a in range(m):
            for b in range(a, m):
                pair = co[a, b].reshape(CELLS, CELLS)
                term = (pair * np.outer(z[a], z[b])).sum()
                s_squared += term if a == b else 2 * term
        rho = (s_squared / units - varying) / (varying * (varying - 1))
    count = max(resid[2] if len(resid) > 2 else n.sum(), 1e-300)
    resid_mean = resid[0] / count
    resid_variance = max(0.0, resid[1] / count - resid_mean**2)
    noise = within_sum / within_weight if within_weight > 0 else 0.0
    divisor = max(used, 1)
    model = model_error(moments, variance)
    return dict(
        sigma=math.sqrt(corrected / divisor),
        sigma_uncorrected=math.sqrt(raw / divisor),
        rho=min(1.0, max(-1.0, rho)),
        prediction_error=math.sqrt(resid_variance),
        prediction_error_refined=math.sqrt(max(0.0, resid_variance - noise)),
        irreducible_noise=math.sqrt(noise),
        model_error=model,
        smallest_cell=int(n.min()),
    )


def model_error(moments, variance):
    """ModelErrorEstimate.combine: the bias part from each arm's holdout moments with its
    variance part."""
    total_v = total_b = arms = 0.0
    for a, (n, y, p, yy, pp, yp) in enumerate(moments):
        if n <= 2:
            continue
        mean_y, mean_p = y / n, p / n
        q = max(0.0, pp / n - mean_p**2) * n / (n - 1)
        c = (yp / n - mean_y * mean_p) * n / (n - 1)
        outcome_variance = max(0.0, yy / n - mean_y**2) * n / (n - 1)
        v = variance[a]
        tracked = max(q - v, SIGNAL_FLOOR * q, 1e-300)
        offset = max(0.0, (mean_p - mean_y) ** 2 - outcome_variance / n)
        total_v += v
        total_b += (tracked - c) ** 2 / tracked + offset
        arms += 1
    arms = max(arms, 1)
    v, b = total_v / arms, total_b / arms
    return {"prediction_error": math.sqrt(v + b), "variance": v, "bias": b}


def reduce_summary(args, data, experiment, manifest, tot, sums, variance, u_arm, units, training_units, timings):
    m = len(data["arms"])
    arms = data["arms"]
    ev = sums["eval"]
    nh = ev[0]
    boot = sums["boot"]
    replicate_aipw = boot[:, 1] / np.maximum(boot[:, 0], 1e-300)
    replicate_ipw = boot[:, 2] / np.maximum(boot[:, 0], 1e-300)

    def sd(x):
        return float(np.std(x, ddof=1)) if len(x) > 1 else 0.0

    aipw = comparison(ev[2] / nh, ev[3] / nh, ev[1] / nh, sd(replicate_aipw))
    ipw = comparison(ev[6] / nh, ev[7] / nh, ev[5] / nh, sd(replicate_ipw))
    curve = [{"share": 0.0, "gain": 0.0, "standard_error": 0.0}]
    for s in range(1, CURVE_POINTS + 1):
        total, squares = sums["curve"][s]
        mean = total / nh
        var = max(0.0, (squares - nh * mean**2) / max(nh - 1, 1))
        curve.append({"share": s / CURVE_POINTS, "gain": mean, "standard_error": math.sqrt(var / nh)})
    drivers = []
    for k, name in enumerate(data["features"]):
        count, sx, sxx = sums["drv"][k]
        if count <= 2:
            continue
        mean_x = sx / count
        var_x = sxx - count * mean_x**2
        correlations = []
        for a in range(m):
            sy, syy, sxy = sums["drv_y"][k, a], sums["drv_yy"][k, a], sums["drv_xy"][k, a]
            cross = sxy - mean_x * sy
            var_y = syy / count - (sy / count) ** 2
            ok = var_x > 0 and var_y > 1e-14 * syy / count
            correlations.append((cross / count) / math.sqrt(var_x / count * var_y) if ok else 0.0)
        correlations = np.array(correlations)
        drivers.append({"covariate": name, "score": float(np.sqrt(((correlations - correlations.mean()) ** 2).mean()))})
    drivers = sorted(drivers, key=lambda d: -d["score"])[:5]
    # ŝ from all units' arm means, less their sampling variance (armMeanSpread).
    counts = tot["all_n"]
    means = np.where(counts > 0, tot["all_sum"] / np.maximum(counts, 1), 0)
    spread = float(((means - means.mean()) ** 2).sum() / max(m - 1, 1))
    noise = float(np.mean([
        max(0.0, tot["all_sq"][a] / counts[a] - means[a] ** 2) * counts[a] / (counts[a] - 1) / counts[a]
        if counts[a] > 1 else 0.0
        for a in range(m)
    ]))
    co = sums["co"]
    all_cells = np.stack([co[a, a].reshape(CELLS, CELLS).sum(axis=1) for a in range(m)])
    central = cell_estimates(
        m, sums["cell_n"], sums["cell_sum"], sums["cell_sq"], np.append(sums["resid"], nh), sums["moments"], co,
        all_cells, variance,
    )
    replicates = []
    paper_errors = []
    for j in range(args.estimate_bootstrap):
        e = cell_estimates(
            m, sums["r_cell_n"][j], sums["r_cell_sum"][j], sums["r_cell_sq"][j], sums["r_resid"][j],
            sums["r_moments"][j], sums["r_co"][j], sums["r_all_cells"][j], variance,
        )
        replicates.append(
            {"sigma": e["sigma"], "rho": e["rho"], "sigma_epsilon": e["model_error"]["prediction_error"]}
        )
        paper_errors.append(e["prediction_error"])

    def replicate_sd(key):
        return sd(np.array([r[key] for r in replicates]))

    estimates = {
        "sigma": central["sigma"],
        "sigma_uncorrected": central["sigma_uncorrected"],
        "rho": central["rho"],
        "s": math.sqrt(max(0.0, spread - noise)),
        "s_uncorrected": math.sqrt(spread),
        "prediction_error": central["prediction_error"],
        "prediction_error_refined": central["prediction_error_refined"],
        "irreducible_noise": central["irreducible_noise"],
        "model_error": central["model_error"],
        "standard_errors": {
            "sigma": replicate_sd("sigma"),
            "rho": replicate_sd("rho"),
            "s": math.sqrt(noise),
            "prediction_error": sd(np.array(paper_errors)),
            "model_error": replicate_sd("sigma_epsilon"),
            "replications": args.estimate_bootstrap,
        },
        "smallest_cell": central["smallest_cell"],
        "cells_per_arm": CELLS,
    }
    train_n = tot["train_n"][u_arm]
    train_mean = tot["train_sum"][u_arm] / max(train_n, 1)
    train_var = max(0.0, tot["train_sq"][u_arm] - train_n * train_mean**2) / max(train_n - 1, 1)
    hold_mean = ev[3] / nh
    hold_var = max(0.0, sums["eval"][4] - nh * hold_mean**2) / max(nh - 1, 1)
    # The top 1% of units (at least one) by |y|: those above the approximate 99th percentile,
    # topped up with units at it (ties: a 0/1 outcome's ones), as Fragility.topShare counts them.
    magnitude = tot["abs"]
    top_units = max(1, units // 100)
    top_sum = magnitude[1] + max(0, top_units - magnitude[2]) * data["top"]
    outcome_n = counts.sum()
    outcome_mean = tot["all_sum"].sum() / outcome_n
    outcome_sd = math.sqrt(max(0.0, tot["all_sq"].sum() - outcome_n * outcome_mean**2) / max(outcome_n - 1, 1))
    validation_value, validation_units = sums["validation"]
    return {
        "format": SUMMARY_FORMAT,
        "version": SUMMARY_VERSION,
        "provenance": {
            "engine": "spark/advisor_job.py",
            "engine_version": JOB_VERSION,
            "input": args.input,
            "rows_read": int(data["rows"]),
            "seed": args.seed,
            "holdout_share": HOLDOUT_SHARE,
            "validation_share": VALIDATION_SHARE,
            "ran_on": args.master or "spark-submit on " + socket.gethostname(),
        },
        "experiment": experiment,
        "threshold": manifest.get("threshold"),
        "primary_outcome": {"column": data["outcome"], "larger_is_better": bool(data["larger"])},
        "data": {
            "units": units,
            "training_units": training_units,
            "holdout_units": int(nh),
            "rows_dropped": int(data["dropped"]),
            "duplicate_unit_ids": int(data["duplicates"]),
            "binary_outcome": bool(data["binary"]),
            "outcome_sd": outcome_sd,
            "arms": [{"arm": arms[a], "units": int(counts[a]), "mean": float(means[a])} for a in range(m)],
        },
        "training_sizes": [float(x) for x in tot["train_n"]],
        "best_uniform_arm": u_arm,
        "policies": [
            {
                "name": POLICY,
                "aipw": aipw,
                "ipw": ipw,
                "arm_shares": [{"arm": arms[a], "share": float(sums["shares"][a] / nh)} for a in range(m)],
                "drivers": drivers,
                "outcomes": [],
                "gain_curve": curve,
            }
        ],
        "policy_choice": {
            "policy": POLICY,
            "units": int(validation_units),
            "values": [{"policy": POLICY, "value": float(validation_value / max(validation_units, 1))}],
        },
        "estimates": estimates,
        "estimate_replicates": replicates,
        "estimate_replicate_scale": 1.0,
        "fragility": {
            "top_percent_share": float(min(1.0, top_sum / magnitude[0])) if magnitude[0] > 0 else 0.0,
            "uniform_training_mean": float(train_mean),
            "uniform_training_standard_error": math.sqrt(train_var / max(train_n, 1)),
            "uniform_holdout_mean": float(hold_mean),
            "uniform_holdout_standard_error": math.sqrt(hold_var / max(nh, 1)),
        },
        "guardrails": {"tradeoff": [], "estimates": [], "excluded_arms": [], "no_arm_keeps_guardrails": False},
    }


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
