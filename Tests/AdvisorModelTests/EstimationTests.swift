import AdvisorModel
import Testing

/// Section 5.2 estimates and policy evaluation on synthetic experiments with known truth
/// (`SyntheticExperiment`): the outcome model is ridge regression, which is nearly an oracle
/// here because h_a is linear in the covariates.
@Suite("Estimation from a finished experiment")
struct EstimationTests {
    static func run(
        _ truth: SyntheticExperiment,
        units: Int,
        seed: UInt64,
        bootstrap: Int = 0
    ) throws -> (ExperimentData, TLearnerFit, ParameterEstimates) {
        let data = truth.generate(units: units, seed: seed)
        let fit = try TLearnerFit.fit(data: data, model: RidgeOutcomeModel(), seed: seed &+ 1)
        let estimates = ParameterEstimates.estimate(
            data: data,
            holdout: fit.holdout,
            predictions: fit.predictions,
            bootstrap: bootstrap,
            seed: seed &+ 2
        )
        return (data, fit, estimates)
    }

    @Test("Ridge regression recovers an exact linear function and imputes missing values with the mean")
    func ridge() {
        // y = 1 + 2·x0 − 3·x1 on a grid; tiny penalty, so the fit is the least-squares solution.
        var values: [Float] = []
        var y: [Double] = []
        for a in 0..<10 {
            for b in 0..<10 {
                values += [Float(a), Float(b)]
                y.append(1 + 2 * Double(a) - 3 * Double(b))
            }
        }
        let x = FeatureMatrix(values: values, rows: 100, columns: 2)
        let model = RidgeRegression(features: x, outcome: y, lambda: 1e-9)
        #expect(
            abs(model.intercept - 1) < 1e-5 && abs(model.coefficients[0] - 2) < 1e-6
                && abs(model.coefficients[1] + 3) < 1e-6
        )
        let missing = FeatureMatrix(values: [.nan, 0], rows: 1, columns: 2)
        // x0 missing -> its training mean 4.5: 1 + 9 − 0.
        #expect(abs(model.predict(missing, row: 0) - 10) < 1e-5)
    }

    @Test("Large n, few arms: σ, ρ, s and the noise are recovered")
    func recovery() throws {
        let truth = SyntheticExperiment(sigma: 0.3, rho: 0.5, armMeans: [0, 0.05, 0.1], noise: 0.5, extraContinuous: 2)
        let (_, _, e) = try Self.run(truth, units: 60_000, seed: 11)
        // Binning h into 10 quantile cells keeps ~97% of its variance (normal h), so σ̂ ≈ 0.985σ
        // and ρ̂ ≈ 0.97ρ; the rest of each tolerance is sampling noise at ~600 units per cell.
        #expect(abs(e.sigma - 0.3) < 0.03, "σ̂ = \(e.sigma)")
        #expect(abs(e.rho - 0.5) < 0.07, "ρ̂ = \(e.rho)")
        // s of [0, 0.05, 0.1] is 0.05; arm means have ~0.004 sampling SD at 20,000 units each.
        #expect(abs(e.s - 0.05) < 0.02, "ŝ = \(e.s)")
        #expect(e.sigmaUncorrected >= e.sigma && e.sUncorrected >= e.s)
        // The paper's σ_ε counts the outcome noise (0.5); the refined one removes it.
        #expect(abs(e.predictionError - 0.5) < 0.03, "σ̂_ε = \(e.predictionError)")
        #expect(abs(e.irreducibleNoise - 0.5) < 0.03, "noise = \(e.irreducibleNoise)")
        #expect(e.predictionErrorRefined < 0.15, "refined σ̂_ε = \(e.predictionErrorRefined)")
        #expect(e.smallestCell >= 500)
    }

    @Test("A weak learner (few units, many useless covariates) shrinks σ̂ and inflates σ̂_ε: the known bias")
    func shrinkage() throws {
        let truth = SyntheticExperiment(
            sigma: 0.3,
            rho: 0.5,
            armMeans: Array(repeating: 0, count: 8),
            noise: 1.0,
            extraContinuous: 40
        )
        let (_, _, strong) = try Self.run(truth, units: 80_000, seed: 21)
        let (_, _, weak) = try Self.run(truth, units: 2_000, seed: 21)
        #expect(weak.sigma < strong.sigma, "σ̂ weak \(weak.sigma) vs strong \(strong.sigma)")
        #expect(weak.sigma < 0.8 * 0.3)
        #expect(weak.predictionError > strong.predictionError)
    }

    @Test("Bootstrap standard errors are reported and shrink with more data")
    func standardErrors() throws {
        let truth = SyntheticExperiment(sigma: 0.3, rho: 0.5, armMeans: [0, 0.05, 0.1], noise: 0.5)
        let (_, _, small) = try Self.run(truth, units: 6_000, seed: 5, bootstrap: 30)
        let (_, _, large) = try Self.run(truth, units: 40_000, seed: 5, bootstrap: 30)
        let s = try #require(small.standardErrors)
        let l = try #require(large.standardErrors)
        #expect(s.replications == 30 && s.sigma > 0 && s.rho > 0)
        #expect(l.sigma < s.sigma && l.rho < s.rho)
    }

    @Test("Realized gain: IPW and AIPW intervals cover the learned policy's true gain over seeds")
    func calibration() throws {
        // True value of the learned policy on the holdout, from the generator's h.
        let truth = SyntheticExperiment(sigma: 0.3, rho: 0.2, armMeans: [0, 0.02, 0.04], noise: 0.5)
        var covered = (ipw: 0, aipw: 0)
        let seeds = 30
        for seed in 0..<UInt64(seeds) {
            let (data, fit, _) = try Self.run(truth, units: 6_000, seed: 100 + seed)
            let evaluation = PolicyEvaluation.evaluate(data: data, fits: [fit], bootstrap: 200, seed: seed)[0]
            let trueGain = truth.trueGain(data, fit: fit)
            if abs(evaluation.ipw.gain - trueGain) <= 1.96 * evaluation.ipw.standardError { covered.ipw += 1 }
            if abs(evaluation.aipw.gain - trueGain) <= 1.96 * evaluation.aipw.standardError { covered.aipw += 1 }
        }
        // Nominal 95%; with 30 seeds the count has SD ~1.2, so 24 (80%) is ~5 SD below nominal.
        #expect(covered.ipw >= 24, "IPW covered \(covered.ipw)/\(seeds)")
        #expect(covered.aipw >= 24, "AIPW covered \(covered.aipw)/\(seeds)")
    }

    @Test("No heterogeneity: no realized gain; much heterogeneity: a clear gain, and policy shares sum to 1")
    func verdictDirections() throws {
        let flat = SyntheticExperiment(sigma: 0, rho: 0, armMeans: [0, 0, 0.05], noise: 0.5)
        let (d0, f0, _) = try Self.run(flat, units: 30_000, seed: 3)
        let e0 = PolicyEvaluation.evaluate(data: d0, fits: [f0], bootstrap: 200)[0]
        #expect(e0.aipw.gain - 1.96 * e0.aipw.standardError < 0.005, "gain \(e0.aipw.gain) ± \(e0.aipw.standardError)")
        #expect(f0.bestUniformArm == 2)

        let rich = SyntheticExperiment(sigma: 0.4, rho: 0.1, armMeans: [0, 0, 0.05], noise: 0.5)
        let (d1, f1, _) = try Self.run(rich, units: 30_000, seed: 3)
        let e1 = PolicyEvaluation.evaluate(data: d1, fits: [f1], bootstrap: 200)[0]
        #expect(e1.aipw.gain - 1.96 * e1.aipw.standardError > 0.1, "gain \(e1.aipw.gain) ± \(e1.aipw.standardError)")
        #expect(abs(e1.armShares.reduce(0, +) - 1) < 1e-12 && e1.armShares.allSatisfy { $0 > 0.15 })
    }
}

@Suite("Estimation edge cases")
struct EstimationEdgeTests {
    @Test("An arm with only a few holdout units: its sparse cells still carry their mean outcomes into ρ")
    func sparseCells() {
        // Two arms whose predictions and outcomes both equal x: ρ is 1 by construction.
        // Arm 1 has 6 holdout units spread over x, so its cells hold one unit or none.
        var values: [Float] = []
        var arm: [Int] = []
        var outcome: [Double] = []
        for i in 0..<2_001 {
            let x = Double(i) / 2_000
            values.append(Float(x))
            arm.append(i % 400 == 0 ? 1 : 0)
            outcome.append(x)
        }
        let data = ExperimentData(
            armNames: ["a", "b"],
            arm: arm,
            outcome: outcome,
            features: FeatureMatrix(values: values, rows: arm.count, columns: 1),
            propensity: Array(repeating: 0.5, count: arm.count)
        )
        let holdout = Array(0..<arm.count)
        let predictions = [outcome, outcome]
        let e = ParameterEstimates.estimate(data: data, holdout: holdout, predictions: predictions)
        // Arm 1's cells hold its units' outcomes (or arm 1's mean), which rise with x as arm 0's do.
        #expect(e.rho > 0.8, "ρ̂ = \(e.rho)")
        #expect(e.rho <= 1 && e.sigma.isFinite && e.predictionError.isFinite)
    }
}

/// The fast layouts (unit-major cells, one-pass cross products, packed bootstrap columns)
/// against direct, column-by-column computations of the same formulas.
@Suite("Estimation layouts agree with the direct formulas")
struct EstimationLayoutTests {
    /// Random data: `arms` arms, predictions and outcomes loosely related, some arms small.
    static func randomHoldout(units: Int, arms: Int, seed: UInt64) -> (ExperimentData, [[Double]]) {
        var rng = SplitMix64(seed: seed)
        let arm = (0..<units).map { _ in
            rng.nextIndex(below: 3) == 0 ? rng.nextIndex(below: arms) : rng.nextIndex(below: 2)
        }
        let base = (0..<units).map { _ in rng.nextOpenUnit() }
        let outcome = base.map { $0 + rng.nextOpenUnit() }
        let predictions = (0..<arms).map { a in base.map { $0 * Double(a % 3 + 1) + 0.3 * rng.nextOpenUnit() } }
        let data = ExperimentData(
            armNames: (0..<arms).map { "a\($0)" },
            arm: arm,
            outcome: outcome,
            features: FeatureMatrix(values: Array(repeating: 0, count: units), rows: units, columns: 1),
            propensity: Array(repeating: 1 / Double(arms), count: units)
        )
        return (data, predictions)
    }

    /// Section 5.2 written out directly: per-arm columns, pairwise Pearson correlations.
    static func direct(
        data: ExperimentData,
        predictions: [[Double]],
        cells: Int = 10
    )
        -> (sigmaUncorrected: Double, rho: Double, predictionError: Double)
    {
        let n = data.units
        let m = data.arms
        var cell = Array(repeating: Array(repeating: 0, count: n), count: m)
        for a in 0..<m {
            let own = (0..<n).filter { data.arm[$0] == a }.map { predictions[a][$0] }.sorted()
            guard !own.isEmpty else { continue }
            let cuts = (1..<cells).map { own[min(own.count - 1, $0 * own.count / cells)] }
            for k in 0..<n { cell[a][k] = cuts.filter { $0 <= predictions[a][k] }.count }
        }
        var means = Array(repeating: Array(repeating: 0.0, count: cells), count: m)
        var spreads: [Double] = []
        for a in 0..<m {
            let units = (0..<n).filter { data.arm[$0] == a }
            let armMean = units.map { data.outcome[$0] }.reduce(0, +) / Double(max(units.count, 1))
            var filled: [Double] = []
            for q in 0..<cells {
                let ys = units.filter { cell[a][$0] == q }.map { data.outcome[$0] }
                means[a][q] = ys.isEmpty ? armMean : ys.reduce(0, +) / Double(ys.count)
                if ys.count > 1 { filled.append(means[a][q]) }
            }
            if filled.count >= 2 {
                let g = filled.reduce(0, +) / Double(filled.count)
                spreads.append(filled.map { ($0 - g) * ($0 - g) }.reduce(0, +) / Double(filled.count))
            }
        }
        func pearson(_ x: [Double], _ y: [Double]) -> Double? {
            let mx = x.reduce(0, +) / Double(x.count)
            let my = y.reduce(0, +) / Double(y.count)
            let sxy = zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
            let sxx = x.map { ($0 - mx) * ($0 - mx) }.reduce(0, +)
            let syy = y.map { ($0 - my) * ($0 - my) }.reduce(0, +)
            return sxx > 1e-12 && syy > 1e-12 ? sxy / (sxx * syy).squareRoot() : nil
        }
        let columns = (0..<m).map { a in (0..<n).map { means[a][cell[a][$0]] } }
        var total = 0.0
        var pairs = 0
        for a in 0..<m {
            for b in (a + 1)..<m {
                if let r = pearson(columns[a], columns[b]) {
                    total += r
                    pairs += 1
                }
            }
        }
        let residuals = (0..<n).map { data.outcome[$0] - predictions[data.arm[$0]][$0] }
        let rm = residuals.reduce(0, +) / Double(n)
        let sd = (residuals.map { ($0 - rm) * ($0 - rm) }.reduce(0, +) / Double(n)).squareRoot()
        return ((spreads.reduce(0, +) / Double(max(spreads.count, 1))).squareRoot(), total / Double(max(pairs, 1)), sd)
    }

    @Test("σ (uncorrected), ρ and σ_ε equal the direct per-arm computation, 2 to 23 arms", arguments: [2, 5, 23])
    func estimatesMatchDirect(arms: Int) {
        let (data, predictions) = Self.randomHoldout(units: 3_000, arms: arms, seed: UInt64(arms))
        let fast = ParameterEstimates.estimate(data: data, holdout: Array(0..<data.units), predictions: predictions)
        let direct = Self.direct(data: data, predictions: predictions)
        // Same formulas, different summation order: agreement to rounding (1e-9 leaves room for
        // the one-pass E[xy] − E[x]E[y] form against the two-pass centred sums).
        #expect(
            abs(fast.sigmaUncorrected - direct.sigmaUncorrected) < 1e-9,
            "\(fast.sigmaUncorrected) vs \(direct.sigmaUncorrected)"
        )
        #expect(abs(fast.rho - direct.rho) < 1e-9, "\(fast.rho) vs \(direct.rho)")
        #expect(abs(fast.predictionError - direct.predictionError) < 1e-9)
    }

    @Test("Policies evaluated together share their resamples: each equals its own evaluation with the same seed")
    func sharedResamples() throws {
        let truth = SyntheticExperiment(sigma: 0.3, rho: 0.2, armMeans: [0, 0.02, 0.04], noise: 0.5)
        let data = truth.generate(units: 4_000, seed: 8)
        let split = TLearnerSplit(data: data, seed: 9)
        let ridge = try TLearnerFit.fit(split: split, model: RidgeOutcomeModel(), name: "ridge")
        let rough = try TLearnerFit.fit(split: split, model: RidgeOutcomeModel(lambda: 10), name: "rough")
        let together = PolicyEvaluation.evaluate(data: data, fits: [ridge, rough], bootstrap: 100, seed: 4)
        for (fit, joint) in zip([ridge, rough], together) {
            let alone = PolicyEvaluation.evaluate(data: data, fits: [fit], bootstrap: 100, seed: 4)[0]
            #expect(joint == alone)
        }
        // The two policies differ, so the check is not of one policy against itself.
        #expect(together[0].aipw.gain != together[1].aipw.gain)
    }
}
