/// Everything a proposal report says, as data: decisions and numbers, no sentences. The words
/// (text, JSON, journal) are written in AdvisorReports.
public struct Prediction: Sendable, Hashable, Encodable {
    public var experiment: String
    public var verdict: Verdict
    public var recommendation: Recommendation
    public var gain: GainSummary
    /// Mean gain over the expected value of the uniform arm that gets picked; nil when that
    /// value is not positive (a ratio would mislead).
    public var relativeGain: Double?
    /// The threshold in outcome units.
    public var threshold: Double
    /// Expected outcome of the uniform arm that gets picked (baseline plus its expected lift).
    public var bestUniformValue: Double
    public var levers: [Lever]
    public var armCurve: [ArmCurvePoint]
    public var elasticities: [Elasticity]
    public var sensitivity: [SensitivityCurve]
    public var counterfactuals: [Counterfactual]
    public var candidates: [CandidateSummary]
    public var parameters: ParametersUsed
    /// What the reader should know about how the figures were computed.
    public var notes: [PredictionNote]

    enum CodingKeys: String, CodingKey {
        case experiment, verdict, recommendation, gain, relativeGain, threshold, bestUniformValue, levers, armCurve
        case elasticities, sensitivity, counterfactuals, candidates, parameters
    }
}

/// A caveat on a prediction, worded by the report layer.
public enum PredictionNote: Sendable, Hashable {
    /// Fewer draws than configured because arms of unequal sizes make each draw a Monte Carlo
    /// average of its own.
    case unequalArmDraws(prior: Int, lever: Int)
    /// Fewer draws than configured to answer within the time budget; the gain's Monte Carlo SE
    /// (`monteCarloSE`) is what that cost.
    case timeBudget(
        seconds: Double,
        prior: Int,
        configured: Int,
        lever: Int,
        sensitivityPoints: Int,
        monteCarloSE: Double
    )
    /// No sample size: the gains are for an infinite population.
    case infinitePopulation
    /// Listed arm means: no arm-count curve.
    case listedArmMeans
    /// The arm curve still rises at the most arms tried, so no arm count is recommended.
    case armCurveStillRising(largestTried: Int)
    /// The chance of beating the threshold is within 3 Monte Carlo SEs of a verdict's cut-off
    /// even after more draws: another seed could give the neighbouring verdict.
    case borderline(cutOff: Double, probability: Double, standardError: Double, draws: Int)
}

/// The three verdicts, from the probability that the gain beats the threshold.
public enum Verdict: String, Sendable, Hashable, Codable {
    case actionable
    case marginal
    case notActionable = "not-actionable"
}

/// The distribution of the predicted gain over the priors.
public struct GainSummary: Sendable, Hashable, Codable {
    public var mean: Double
    public var sd: Double
    public var p05: Double
    public var p50: Double
    public var p95: Double
    /// P(gain > threshold) over the prior draws.
    public var probabilityActionable: Double
    /// Monte Carlo standard error of `mean` (0 when the parameters are fixed and the engine is exact).
    public var monteCarloSE: Double
    public var draws: Int
    /// The draws' gains in 20 equal-width bins (empty when every draw gives the same gain).
    public var histogram: [Bin] = []

    public struct Bin: Sendable, Hashable, Codable {
        public var lower: Double
        public var upper: Double
        public var count: Int
    }
}

/// One design change and the gain predicted after it.
public struct Lever: Sendable, Hashable, Encodable {
    /// The change and its size.
    public var kind: LeverKind
    public var gainNow: Double
    public var gainAfter: Double
    public var probabilityActionableAfter: Double
    /// Expected outcome of what the team would deploy after the test (the personalized policy
    /// or the uniform arm the test picks, whichever is worth more), before and after the change:
    /// what levers are ranked by.
    public var deployedValueNow: Double
    public var deployedValueAfter: Double
    /// Monte Carlo SE of `deployedValueAfter − deployedValueNow` (paired over the same draws): a
    /// lever whose change is within two of these is never the recommendation.
    public var deployedChangeSE: Double = 0

    /// Stable identifier: collect-covariates, diversify-arms, add-samples, fewer-samples, arm-count.
    public var name: String { kind.name }

    enum CodingKeys: String, CodingKey {
        case name, gainNow, gainAfter, probabilityActionableAfter, deployedValueNow, deployedValueAfter
        case deployedChangeSE = "deployed_change_se"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(gainNow, forKey: .gainNow)
        try container.encode(gainAfter, forKey: .gainAfter)
        try container.encode(probabilityActionableAfter, forKey: .probabilityActionableAfter)
        try container.encode(deployedValueNow, forKey: .deployedValueNow)
        try container.encode(deployedValueAfter, forKey: .deployedValueAfter)
        try container.encode(deployedChangeSE, forKey: .deployedChangeSE)
    }
}

/// The design changes a prediction weighs, with the sizes the settings give them.
public enum LeverKind: Sendable, Hashable {
    /// Covariates that tell people apart: σ multiplied, ρ lowered.
    case collectCovariates(sigmaFactor: Double, rhoShift: Double)
    /// Arms that work through different mechanisms: ρ lowered, but s multiplied.
    case diversifyArms(rhoShift: Double, sFactor: Double)
    case addSamples(factor: Double)
    case fewerSamples(factor: Double)
    /// The best arm count on the arm curve (`LeverContext.bestArmCount`; `best == current` when
    /// no other count does better), with the units per arm before and after (nil without a sample
    /// size) and whether a fixed total is re-split (else each arm keeps its units).
    case armCount(
        best: Int,
        current: Int,
        largestTried: Int,
        unitsPerArmNow: Double?,
        unitsPerArmAfter: Double?,
        totalFixed: Bool
    )

    public var name: String {
        switch self {
        case .collectCovariates: "collect-covariates"
        case .diversifyArms: "diversify-arms"
        case .addSamples: "add-samples"
        case .fewerSamples: "fewer-samples"
        case .armCount: "arm-count"
        }
    }
}

public struct ArmCurvePoint: Sendable, Hashable, Encodable {
    public var arms: Int
    public var gain: Double
}

extension [ArmCurvePoint] {
    /// The curve's best arm count: the fewest arms whose gain is within 0.5% of the largest
    /// (`LeverContext.flatTolerance`), the maximum of a peaked curve and the knee of a
    /// flattening one. The lever, the text and the chart all mark this one. Nil for a curve
    /// still rising where the search stopped: its "best" would be the search's edge.
    public var bestArmCount: Int? {
        guard let largest = map(\.gain).max(), !isStillRising else { return nil }
        return first { $0.gain >= largest - LeverContext.flatTolerance * abs(largest) }?.arms
    }

    /// Neither peaked (the best lies a full doubling inside the curve) nor flat (the last
    /// doubling added under 0.5% of the largest gain): more arms kept adding gain up to the
    /// largest count tried, as they do when each arm keeps its units or the population is
    /// infinite (the model prices no cost for an arm).
    public var isStillRising: Bool {
        guard let top = last, let largest = map(\.gain).max() else { return false }
        let tolerance = LeverContext.flatTolerance * abs(largest)
        guard let best = first(where: { $0.gain >= largest - tolerance }) else { return false }
        let half = last { $0.arms <= top.arms / 2 } ?? self[0]
        return best.arms > top.arms / 2 && top.gain - half.gain >= tolerance
    }
}

/// Table 6: the gain after a 1% change of one parameter in its favourable direction.
public struct Elasticity: Sendable, Hashable, Encodable {
    /// The parameter moved 1% in the direction that raises the gain (`gainRisesWithValue`).
    public var parameter: ModelParameter
    public var gainAfter: Double
    /// Percent change of the gain per 1% change of the parameter.
    public var elasticity: Double
}

/// Figure 12: the gain as one parameter moves, the others at their central values.
public struct SensitivityCurve: Sendable, Hashable, Encodable {
    public var parameter: ModelParameter
    public var values: [Double]
    public var gains: [Double]
}

/// Table 5: the gain with one parameter taken from the comparison study.
public struct Counterfactual: Sendable, Hashable, Encodable {
    /// The swapped-in parameter; nil for the original row (JSON: "original").
    public var parameter: ModelParameter?
    /// The swapped-in value; nil for the original row.
    public var value: Double?
    public var gain: Double

    enum CodingKeys: String, CodingKey { case parameter, value, gain }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(parameter?.key ?? "original", forKey: .parameter)
        try container.encodeIfPresent(value, forKey: .value)
        try container.encode(gain, forKey: .gain)
    }
}

/// Per arm-count candidate, when the proposal lists several.
public struct CandidateSummary: Sendable, Hashable, Encodable {
    public var arms: Int
    public var gainMean: Double
    public var probabilityActionable: Double
}

/// What the prediction assumed, so every figure can be traced.
public struct ParametersUsed: Sendable, Hashable, Encodable {
    public var sigma: String
    public var rho: String
    public var s: String
    public var predictionError: String
    /// Central values used for the sensitivity curves and the diagnosis.
    public var central: ModelParameters
    public var armCandidates: [Int]
    public var armMeans: String
    /// SD of the arm means that s implies (differs from s for spike-and-slab).
    public var overallArmMeanSD: Double
    public var unitsPerArm: [Double]?
    public var outcomeSD: Double?
    /// A 0/1 outcome; nil when the proposal does not describe its outcome.
    public var binaryOutcome: Bool?
    public var baseline: Double
    public var seed: UInt64
    public var population: Bool
}

/// The lead of the report as decisions: what to do, and what holds the gain back.
public struct Recommendation: Sendable, Hashable, Encodable {
    /// The one thing to do.
    public var nextStep: NextStep
    /// The parameter whose 1% favourable change raises the gain most (the Table 6 elasticities).
    public var limitingParameter: ModelParameter

    enum CodingKeys: String, CodingKey { case limitingParameter }

    public enum NextStep: Sendable, Hashable {
        /// Apply the best lever (the first of `Prediction.levers`). `crossesThreshold`: it lifts
        /// the mean gain over the threshold; `staysBelowThreshold`: the verdict is not actionable
        /// and even after the change the gain stays below the threshold.
        case applyLever(crossesThreshold: Bool, staysBelowThreshold: Bool)
        /// Nothing considered lifts the gain meaningfully and it is not actionable.
        case shipBestArm
        /// Nothing considered improves a design that may pay as it is.
        case runAsDesigned
    }
}
