/// A randomized experiment with known truth, for tests and benchmarks: the covariate-explained
/// outcome of unit i under arm a is
///
///     h_a(x_i) = μ_a + σ·(√ρ·x_i0 + √(1−ρ)·x_i,a)
///
/// with independent N(0, 1) covariates x_i0 … x_im, so Var h_a = σ² and corr(h_a, h_b) = ρ
/// exactly (ρ ≥ 0). Extra covariates carry no signal (binary ones are Bernoulli(½)). Observed
/// outcomes add N(0, noise²), or for binary outcomes are Bernoulli(clamp(h_a, 0, 1)).
public struct SyntheticExperiment: Sendable {
    public var sigma: Double
    public var rho: Double
    public var armMeans: [Double]
    public var noise: Double
    public var binary: Bool
    /// Covariates beyond the m + 1 that carry the signal.
    public var extraContinuous: Int
    public var extraBinary: Int

    public init(
        sigma: Double, rho: Double, armMeans: [Double], noise: Double, binary: Bool = false,
        extraContinuous: Int = 0, extraBinary: Int = 0
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
    public var columns: Int { arms + 1 + extraContinuous + extraBinary }

    /// h_a(x) for the unit in `row` of `features`.
    public func explained(_ features: FeatureMatrix, row: Int, arm: Int) -> Double {
        armMeans[arm] + sigma * (rho.squareRoot() * Double(features[row, 0])
            + (1 - rho).squareRoot() * Double(features[row, arm + 1]))
    }

    /// `units` units, each assigned an arm uniformly at random (propensity 1/m).
    public func generate(units: Int, seed: UInt64) -> ExperimentData {
        var rng = SplitMix64(seed: seed)
        let p = columns
        var values = [Float](repeating: 0, count: units * p)
        var arm = [Int](repeating: 0, count: units)
        var outcome = [Double](repeating: 0, count: units)
        for i in 0..<units {
            for j in 0..<(arms + 1 + extraContinuous) { values[i * p + j] = Float(rng.nextStandardNormal()) }
            for j in (arms + 1 + extraContinuous)..<p { values[i * p + j] = rng.nextOpenUnit() < 0.5 ? 0 : 1 }
            arm[i] = Int(rng.next() % UInt64(arms))
        }
        let features = FeatureMatrix(values: values, rows: units, columns: p)
        for i in 0..<units {
            let h = explained(features, row: i, arm: arm[i])
            outcome[i] = binary ? (rng.nextOpenUnit() < min(1, max(0, h)) ? 1 : 0) : h + noise * rng.nextStandardNormal()
        }
        return ExperimentData(
            armNames: (0..<arms).map { "arm-\($0)" }, arm: arm, outcome: outcome, features: features,
            propensity: Array(repeating: 1 / Double(arms), count: units))
    }
}
