/// A reason the verdict's evidence is fragile (EstimatingParameters.md, "Fragile evidence"): a
/// verdict with any of them does not say personalize, and the report says why in a sentence.
public struct Fragility: Sendable, Hashable, Encodable {
    public enum Reason: String, Sendable, Hashable, Encodable {
        /// AIPW and IPW disagree on the recommended policy's gain by more than twice the SE of
        /// their difference (taken as independent, which overstates it: a lenient test).
        case estimatorsDisagree = "aipw-ipw-disagree"
        /// The 1% of units with the largest outcomes hold at least `heavyTailShare` of the total.
        case heavyTail = "heavy-tail"
        /// The best uniform arm's training mean and holdout value disagree by more than twice the
        /// SE of their difference: the benchmark was picked on noise.
        case uniformArmUnstable = "uniform-arm-unstable"
        /// The best uniform arm has under half the units of the median arm.
        case uniformArmSmall = "uniform-arm-small"
        /// σ̂'s or σ̂_ε's standard error exceeds the estimate: the heterogeneity, or how well the
        /// model reads it, is not pinned down. (ŝ is left out: arms with equal means give an ŝ
        /// near 0 with a larger SE, which says nothing against a realized gain.)
        case noisyEstimate = "noisy-estimate"
        /// Some quantile cell of some arm has no holdout unit.
        case emptyCells = "empty-cells"
    }

    public var reason: Reason
    /// For a noisy estimate: which one.
    public var parameter: ModelParameter?
    /// The figures the reason was judged on, by name (e.g. `aipw`, `ipw`, `joint_standard_error`).
    public var figures: [String: Double]

    public init(_ reason: Reason, parameter: ModelParameter? = nil, figures: [String: Double]) {
        self.reason = reason
        self.parameter = parameter
        self.figures = figures
    }

    enum CodingKeys: String, CodingKey { case reason, parameter, figures }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reason, forKey: .reason)
        try c.encodeIfPresent(parameter?.key, forKey: .parameter)
        try c.encode(figures, forKey: .figures)
    }

    /// The top 1% of units holding this share of the outcome makes the evidence a few units' say.
    public static let heavyTailShare = 0.25

    /// Every reason that holds for a verdict about `chosen` (its holdout result), judged on a
    /// summary's aggregates (`inputs`), the training split's arm sizes, the benchmark arm and
    /// the estimates.
    public static func assess(
        _ inputs: AnalysisSummary.FragilityInputs,
        chosen: PostExperimentVerdict.PolicyResult,
        trainingSizes sizes: [Double],
        benchmark u: Int,
        estimates: ParameterEstimates
    ) -> [Fragility] {
        var found: [Fragility] = []
        let a = chosen.aipw
        let i = chosen.ipw
        let joint = (a.standardError * a.standardError + i.standardError * i.standardError).squareRoot()
        if abs(a.gain - i.gain) > 2 * joint {
            found.append(
                .init(.estimatorsDisagree, figures: ["aipw": a.gain, "ipw": i.gain, "joint_standard_error": joint])
            )
        }
        let top = inputs.topPercentShare
        if top >= heavyTailShare { found.append(.init(.heavyTail, figures: ["top_percent_share": top])) }
        let trainingMean = inputs.uniformTrainingMean
        let holdoutMean = inputs.uniformHoldoutMean
        let trainingSE = inputs.uniformTrainingStandardError
        let holdoutSE = inputs.uniformHoldoutStandardError
        let armJoint = (trainingSE * trainingSE + holdoutSE * holdoutSE).squareRoot()
        // One-sided: only a benchmark that looked better on training than it is (picked on
        // luck) can make a policy's gain over it look larger than over the best arm. One that
        // does better on the holdout only makes the gain harder to reach: no reason to doubt it
        // (a 10-million-unit drop was held inconclusive at 60 SEs of gain by the two-sided test).
        if trainingMean - holdoutMean > 2 * armJoint {
            found.append(
                .init(
                    .uniformArmUnstable,
                    figures: ["training": trainingMean, "holdout": holdoutMean, "joint_standard_error": armJoint]
                )
            )
        }
        let median = sizes.sorted()[sizes.count / 2]
        if sizes[u] < 0.5 * median {
            found.append(.init(.uniformArmSmall, figures: ["units": sizes[u], "median_arm_units": median]))
        }
        if let errors = estimates.standardErrors {
            let pairs: [(ModelParameter, Double, Double?)] = [
                (.sigma, estimates.sigma, errors.sigma),
                (.predictionError, estimates.sigmaEpsilon, errors.modelError),
            ]
            for (parameter, value, error) in pairs {
                if let error, error > abs(value) {
                    found.append(
                        .init(
                            .noisyEstimate,
                            parameter: parameter,
                            figures: ["estimate": value, "standard_error": error]
                        )
                    )
                }
            }
        }
        if estimates.smallestCell == 0 { found.append(.init(.emptyCells, figures: ["smallest_cell": 0])) }
        return found
    }

    /// The share of Σ|y| held by the 1% of units (at least one) with the largest |y|.
    static func topShare(_ y: [Double]) -> Double {
        let magnitudes = y.map(abs).sorted(by: >)
        let total = magnitudes.reduce(0, +)
        guard total > 0 else { return 0 }
        let count = max(1, magnitudes.count / 100)
        return magnitudes.prefix(count).reduce(0, +) / total
    }

    static func meanAndError(_ x: [Double]) -> (mean: Double, standardError: Double) {
        guard x.count > 1 else { return (x.first ?? 0, .greatestFiniteMagnitude) }
        let n = Double(x.count)
        let mean = x.reduce(0, +) / n
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return (mean, (variance / n).squareRoot())
    }

    /// The same from a count, a sum and a sum of squares (what a Spark job aggregates). An SE
    /// that cannot be measured (one unit) is the largest finite number, so it stays valid JSON.
    static func meanAndError(count n: Double, sum: Double, squares: Double) -> (mean: Double, standardError: Double) {
        guard n > 1 else { return (n > 0 ? sum / n : 0, .greatestFiniteMagnitude) }
        let mean = sum / n
        let variance = max(0, squares - n * mean * mean) / (n - 1)
        return (mean, (variance / n).squareRoot())
    }
}
