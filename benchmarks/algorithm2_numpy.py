#!/usr/bin/env python3
"""The paper's Algorithm 2 in plain numpy, written as the paper's authors would.

Used as the baseline for BENCHMARKS.md: (b) time to reach a Monte Carlo standard error of 0.5%
of the gain, and (c) wall time at equal individuals and replications against the Swift literal
simulator. Prints one JSON object.
"""
import argparse
import json
import time

import numpy as np


def replication(rng, mu_sd, sigma, rho, eps, m, n, chol):
    mu = rng.normal(0.0, mu_sd, size=m)                    # step 1
    z = rng.standard_normal((n, m))
    y = mu + z @ chol.T                                    # steps 2-3: Y ~ N(mu, Sigma)
    y_hat = y + eps * rng.standard_normal((n, m))          # step 4
    best = np.argmax(y_hat, axis=1)                        # step 5
    v_t = y[np.arange(n), best].mean()
    uniform = np.argmax(y_hat.mean(axis=0))                # step 6
    v_u = y[:, uniform].mean()
    return v_t - v_u                                       # step 7


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sigma", type=float, default=0.267)
    parser.add_argument("--rho", type=float, default=0.80)
    parser.add_argument("--s", type=float, default=0.007)
    parser.add_argument("--arms", type=int, default=20)
    parser.add_argument("--prediction-error", type=float, default=0.39)
    parser.add_argument("--individuals", type=int, default=5000)
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--target-relative-se", type=float, default=0.0,
                        help="if > 0, run until the SE is below this share of the mean gain")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    m = args.arms
    cov = args.sigma ** 2 * ((1 - args.rho) * np.eye(m) + args.rho * np.ones((m, m)))
    chol = np.linalg.cholesky(cov)
    rng = np.random.default_rng(args.seed)
    gains = []
    start = time.perf_counter()
    while True:
        for _ in range(args.replications if not gains else 50):
            gains.append(replication(rng, args.s, args.sigma, args.rho, args.prediction_error, m,
                                     args.individuals, chol))
        mean = float(np.mean(gains))
        se = float(np.std(gains, ddof=1) / np.sqrt(len(gains)))
        if args.target_relative_se <= 0 or se <= args.target_relative_se * abs(mean):
            break
    elapsed = time.perf_counter() - start
    print(json.dumps({"mean_gain": mean, "standard_error": se, "replications": len(gains),
                      "individuals": args.individuals, "seconds": elapsed}))


if __name__ == "__main__":
    main()
