/// Everything a proposal report says, as data. Rendering (text, JSON) lives in AdvisorReports.
public struct Prediction: Sendable, Hashable, Codable {
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
    public var notes: [String]
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
}

/// One design change and the gain predicted after it.
public struct Lever: Sendable, Hashable, Codable {
    /// Stable identifier: collect-covariates, diversify-arms, add-samples, fewer-samples, arm-count.
    public var name: String
    /// The change in words and numbers.
    public var change: String
    public var gainNow: Double
    public var gainAfter: Double
    public var probabilityActionableAfter: Double
}

public struct ArmCurvePoint: Sendable, Hashable, Codable {
    public var arms: Int
    public var gain: Double
}

/// Table 6: the gain after a 1% change of one parameter in its favourable direction.
public struct Elasticity: Sendable, Hashable, Codable {
    public var parameter: String
    public var change: String
    public var gainAfter: Double
    /// Percent change of the gain per 1% change of the parameter.
    public var elasticity: Double
}

/// Figure 12: the gain as one parameter moves, the others at their central values.
public struct SensitivityCurve: Sendable, Hashable, Codable {
    public var parameter: String
    public var values: [Double]
    public var gains: [Double]
}

/// Table 5: the gain with one parameter taken from the comparison study.
public struct Counterfactual: Sendable, Hashable, Codable {
    public var parameter: String
    /// The swapped-in value; nil for the original row.
    public var value: Double?
    public var gain: Double
}

/// Per arm-count candidate, when the proposal lists several.
public struct CandidateSummary: Sendable, Hashable, Codable {
    public var arms: Int
    public var gainMean: Double
    public var probabilityActionable: Double
}

/// What the prediction assumed, so every figure can be traced.
public struct ParametersUsed: Sendable, Hashable, Codable {
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
    public var baseline: Double
    public var seed: UInt64
    public var population: Bool
}

/// The lead of the report: what to conclude and what to do.
public struct Recommendation: Sendable, Hashable, Codable {
    /// One sentence: the verdict in words.
    public var headline: String
    /// The one thing to do.
    public var action: String
    /// The parameter that holds the gain back most, and why, in plain words.
    public var limitingFactor: String
    public var limitingParameter: String
}
