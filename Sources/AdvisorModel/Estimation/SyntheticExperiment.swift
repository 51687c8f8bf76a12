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
        let common: Double
        let own: Double
        if let projected {
            let binaryStart = projected.continuous
            func z(_ j: Int) -> Double {
                j < binaryStart ? Double(features[row, j]) : (Double(features[row, j]) - 0.5) / 0.5
            }
            common = (0..<columns).reduce(0) { $0 + weights[0][$1] * z($1) }
            own = (0..<columns).reduce(0) { $0 + weights[arm + 1][$1] * z($1) }
        } else {
            common = Double(features[row, 0])
            own = Double(features[row, arm + 1])
        }
        return armMeans[arm] + sigma * (rho.squareRoot() * common + (1 - rho).squareRoot() * own)
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
        return ExperimentData(
            armNames: (0..<arms).map { "arm-\($0)" },
            arm: arm,
            outcome: outcome,
            features: features,
            propensity: Array(repeating: 1 / Double(arms), count: units)
        )
    }
}
