/// A randomized experiment with known truth, for tests and benchmarks: the covariate-explained
/// outcome of unit i under arm a is
///
///     h_a(x_i) = μ_a + σ·(√ρ·x_i0 + √(1−ρ)·x_i,a)
///
/// with independent N(0, 1) covariates x_i0 … x_im, so Var h_a = σ² and corr(h_a, h_b) = ρ
/// exactly (ρ ≥ 0). Extra covariates carry no signal (binary ones are Bernoulli(½)). Observed
/// outcomes add N(0, noise²), or for binary outcomes are Bernoulli(clamp(h_a, 0, 1)).
///
/// With `projected` set, there are only that many covariates (continuous N(0, 1), binary
/// Bernoulli(½) standardized) and x_i0, x_i,a above are replaced by seeded random unit-length
/// projections of them: the shape of a real drop (few covariates, many arms), with σ and ρ
/// then only approximately those given.
public struct SyntheticExperiment: Sendable {
    public var sigma: Double
    public var rho: Double
    public var armMeans: [Double]
    public var noise: Double
    public var binary: Bool
    /// Covariates beyond the m + 1 that carry the signal.
    public var extraContinuous: Int
    public var extraBinary: Int
    /// Few covariates, signal by projection (see above).
    public var projected: (continuous: Int, binary: Int)?
    /// Guardrail outcomes generated beside the primary one (see `SyntheticGuardrail`).
    public var guardrails: [SyntheticGuardrail] = []

    public init(
        sigma: Double,
        rho: Double,
        armMeans: [Double],
        noise: Double,
        binary: Bool = false,
        extraContinuous: Int = 0,
        extraBinary: Int = 0
    ) {
        precondition(rho >= 0 && rho <= 1 && sigma >= 0 && armMeans.count >= 2)
        self.sigma = sigma
        self.rho = rho
        self.armMeans = armMeans
        self.noise = noise
        self.binary = binary
        self.extraContinuous = extraContinuous
        self.extraBinary = extraBinary
    }

    public var arms: Int { armMeans.count }
    public var columns: Int {
        projected.map { $0.continuous + $0.binary } ?? arms + 1 + extraContinuous + extraBinary
    }

    /// h_a(x) for the unit in `row` of `features`.
    public func explained(_ features: FeatureMatrix, row: Int, arm: Int) -> Double {
        explained(features, row: row, arm: arm, weights: projected == nil ? [] : projectionWeights)
    }

    /// A learned policy's true gain over the uniform arm on the holdout, from the generator's h
    /// (no outcome noise, no IPW noise): what an evaluation's estimate should recover.
    public func trueGain(_ data: ExperimentData, fit: TLearnerFit) -> Double {
        var total = 0.0
        for (k, i) in fit.holdout.enumerated() {
            total +=
                explained(data.features, row: i, arm: fit.assignment[k])
                - explained(data.features, row: i, arm: fit.bestUniformArm)
        }
        return total / Double(max(fit.holdout.count, 1))
    }

    func explained(_ features: FeatureMatrix, row: Int, arm: Int, weights: [[Double]]) -> Double {
        let (common, own) = factors(features, row: row, arm: arm, weights: weights)
        return armMeans[arm] + sigma * (rho.squareRoot() * common + (1 - rho).squareRoot() * own)
    }

    /// The unit's common factor (x_i0) and arm a's own factor (x_i,a), each N(0, 1), independent.
    func factors(_ features: FeatureMatrix, row: Int, arm: Int, weights: [[Double]]) -> (Double, Double) {
        if let projected {
            let binaryStart = projected.continuous
            func z(_ j: Int) -> Double {
                j < binaryStart ? Double(features[row, j]) : (Double(features[row, j]) - 0.5) / 0.5
            }
            return (
                (0..<columns).reduce(0) { $0 + weights[0][$1] * z($1) },
                (0..<columns).reduce(0) { $0 + weights[arm + 1][$1] * z($1) }
            )
        }
        return (Double(features[row, 0]), Double(features[row, arm + 1]))
    }

    /// Unit-length weight vectors (common, then one per arm), fixed by the shape alone.
    var projectionWeights: [[Double]] {
        var rng = SplitMix64(seed: 0xC0FFEE)
        return (0...arms).map { _ in
            let w = (0..<columns).map { _ in rng.nextStandardNormal() }
            let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return w.map { $0 / norm }
        }
    }

    /// `units` units, each assigned an arm uniformly at random (propensity 1/m).
    public func generate(units: Int, seed: UInt64) -> ExperimentData {
        var rng = SplitMix64(seed: seed)
        let p = columns
        var values = [Float](repeating: 0, count: units * p)
        var arm = [Int](repeating: 0, count: units)
        var outcome = [Double](repeating: 0, count: units)
        let continuous = projected?.continuous ?? arms + 1 + extraContinuous
        for i in 0..<units {
            for j in 0..<continuous { values[i * p + j] = Float(rng.nextStandardNormal()) }
            for j in continuous..<p { values[i * p + j] = rng.nextOpenUnit() < 0.5 ? 0 : 1 }
            arm[i] = Int(rng.next() % UInt64(arms))
        }
        let features = FeatureMatrix(values: values, rows: units, columns: p)
        let weights = projected == nil ? [] : projectionWeights
        for i in 0..<units {
            let h = explained(features, row: i, arm: arm[i], weights: weights)
            outcome[i] =
                binary ? (rng.nextOpenUnit() < min(1, max(0, h)) ? 1 : 0) : h + noise * rng.nextStandardNormal()
        }
        var data = ExperimentData(
            armNames: (0..<arms).map { "arm-\($0)" },
            arm: arm,
            outcome: outcome,
            features: features,
            propensity: Array(repeating: 1 / Double(arms), count: units)
        )
        // Their own stream, so a drop's primary outcome is the same with or without guardrails.
        var guardrailRNG = SplitMix64(seed: seed ^ 0x6A4D_5EED)
        for guardrail in guardrails {
            let values = (0..<units).map { i in
                guardrailExplained(guardrail, features, row: i, arm: arm[i], weights: weights)
                    + guardrail.noise * guardrailRNG.nextStandardNormal()
            }
            data.guardrails.append(
                Guardrail(
                    column: guardrail.column,
                    values: values,
                    largerIsBetter: guardrail.largerIsBetter,
                    maxLoss: guardrail.maxLoss
                )
            )
        }
        return data
    }

    /// g_a(x) = ν_a + τ·(c·z_a(x) + √(1 − c²)·w_a(x)): z_a = (h_a − μ_a)/σ is the primary's
    /// standardized heterogeneity under arm a and w_a the next arm's own factor x_i,(a+1 mod m),
    /// independent of z_a, so corr(g_a, h_a) = c over units and a policy can trade one for the
    /// other (with w_a arm-common, weighting the guardrail could only scale z_a).
    func guardrailExplained(
        _ g: SyntheticGuardrail,
        _ features: FeatureMatrix,
        row: Int,
        arm: Int,
        weights: [[Double]]
    ) -> Double {
        let z = sigma > 0 ? (explained(features, row: row, arm: arm, weights: weights) - armMeans[arm]) / sigma : 0
        let w = factors(features, row: row, arm: (arm + 1) % arms, weights: weights).1
        return g.armMeans[arm] + g.sigma * (g.correlation * z + (1 - g.correlation * g.correlation).squareRoot() * w)
    }

    /// Guardrail g's true mean change (as measured) when `units` get `assignment` instead of
    /// `benchmark`: the generator's g without noise.
    public func trueGuardrailChange(
        _ g: Int,
        _ data: ExperimentData,
        units: [Int],
        assignment: [Int],
        benchmark: Int
    ) -> Double {
        let weights = projected == nil ? [] : projectionWeights
        var total = 0.0
        for (k, i) in units.enumerated() {
            total +=
                guardrailExplained(guardrails[g], data.features, row: i, arm: assignment[k], weights: weights)
                - guardrailExplained(guardrails[g], data.features, row: i, arm: benchmark, weights: weights)
        }
        return total / Double(max(units.count, 1))
    }

    /// The primary's true mean gain of `assignment` over `benchmark` on `units`.
    public func trueGain(_ data: ExperimentData, units: [Int], assignment: [Int], benchmark: Int) -> Double {
        var total = 0.0
        for (k, i) in units.enumerated() {
            total +=
                explained(data.features, row: i, arm: assignment[k]) - explained(data.features, row: i, arm: benchmark)
        }
        return total / Double(max(units.count, 1))
    }
}

/// A guardrail outcome with known truth: arm means `armMeans`, heterogeneity of SD `sigma`
/// whose correlation with the primary's is `correlation` (as measured; with
/// `largerIsBetter: false` a positive correlation means the units that gain the most on the
/// primary are the ones this outcome rises for, a conflict), and N(0, noise²) noise.
public struct SyntheticGuardrail: Sendable {
    public var column: String
    public var armMeans: [Double]
    public var sigma: Double
    public var correlation: Double
    public var noise: Double
    public var largerIsBetter: Bool
    public var maxLoss: MaxLoss

    public init(
        column: String,
        armMeans: [Double],
        sigma: Double,
        correlation: Double,
        noise: Double,
        largerIsBetter: Bool,
        maxLoss: MaxLoss
    ) {
        precondition(abs(correlation) <= 1 && sigma >= 0 && noise >= 0)
        self.column = column
        self.armMeans = armMeans
        self.sigma = sigma
        self.correlation = correlation
        self.noise = noise
        self.largerIsBetter = largerIsBetter
        self.maxLoss = maxLoss
    }
}
