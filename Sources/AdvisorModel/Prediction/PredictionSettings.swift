import Foundation

/// The knobs of a prediction that belong to the operator, not the proposal (config file).
public struct PredictionSettings: Sendable, Hashable, Codable {
    /// Prior draws for the gain distribution.
    public var priorDraws: Int = 4000
    /// Prior draws reused (common random numbers) for every lever, curve point and elasticity.
    /// Smaller than `priorDraws` because those need many evaluations each.
    public var leverDraws: Int = 1000
    /// Seed when the proposal gives none.
    public var seed: UInt64 = 20_240_601
    /// P(gain > threshold) at or above which the verdict is "actionable".
    public var actionableProbability: Double = 0.8
    /// P(gain > threshold) at or above which the verdict is "marginal" (below: "not actionable").
    public var marginalProbability: Double = 0.3
    /// "Collect covariates": σ is multiplied by this …
    public var covariatesSigmaFactor: Double = 1.25
    /// … and ρ moves down by this much.
    public var covariatesRhoShift: Double = 0.1
    /// "Diversify arms": ρ moves down by this much …
    public var diversifyRhoShift: Double = 0.15
    /// … while s is multiplied by this (more distinct arms differ more on average too).
    public var diversifySFactor: Double = 1.5
    /// Learning curve of the prediction error: σ_ε(n)² = f² + (σ_ε(n₀)² − f²)·(n₀/n)^α with α this
    /// exponent and n units per arm. 1 is the parametric rate; flexible learners are slower.
    public var predictionErrorExponent: Double = 0.5
    /// f: the prediction error that no amount of data removes, as a share of σ_ε(n₀).
    public var predictionErrorFloor: Double = 0
    /// Points on each sensitivity curve.
    public var sensitivityPoints: Int = 21
    /// Wall-clock seconds a prediction may spend before it goes on with fewer draws (and says
    /// so in its notes), so that one costly proposal cannot hold the proposal lane.
    public var timeBudgetSeconds: Double = 5

    public init() {}

    /// σ_ε after changing units per arm from n₀ to n, by the learning curve above.
    public func predictionError(_ eps: Double, fromUnitsPerArm n0: Double, to n: Double) -> Double {
        let floor = predictionErrorFloor * eps
        let reducible = max(0, eps * eps - floor * floor)
        return (floor * floor + reducible * Foundation.pow(n0 / n, predictionErrorExponent)).squareRoot()
    }
}
