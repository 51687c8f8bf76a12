import Foundation

extension GainEngine {
    /// The exact expectation of what the paper's Algorithm 2 returns with `individuals` simulated
    /// people per replication.
    ///
    /// Its policy value is the population one (each individual is an independent draw). Its
    /// uniform arm is picked from Ŷ means over n people, whose noise around μ_a is τ·z̄_a + ε̄_a
    /// with SD ω/sqrt(n), and valued at the true mean Ȳ, which shares τ·z̄_a with that noise:
    /// V_u = (1 − k)·E[μ_â] + k·E[max_a(μ_a + noise_a)], k = τ²/ω².
    /// (GainFromPersonalization.md, "The paper's finite-n numbers".)
    public func paperAlgorithm(
        _ p: ModelParameters,
        means: ArmMeansDistribution = .normal,
        individuals n: Int
    ) throws(ModelError) -> GainEstimate {
        let population = try gain(p, means: means)
        let tau2 = p.tau * p.tau
        let omega2 = tau2 + p.predictionError * p.predictionError
        guard omega2 > 0 else { return population }
        let k = tau2 / omega2
        let w = (omega2 / Double(n)).squareRoot()
        let uniform: Double
        if case .list(let mu) = means {
            let center = mu.reduce(0, +) / Double(mu.count)
            let centred = mu.map { $0 - center }
            let choice = FixedMeansChoice(means: centred, noise: Array(repeating: w, count: centred.count))
            uniform = centred.indices.reduce(0.0) {
                $0 + (1 - k) * centred[$1] * choice.probabilities[$1] + k * choice.weightedValues[$1]
            }
        } else if means == .normal {
            let e = ExpectedMaximum.standardNormal(p.arms)
            let s2 = p.s * p.s
            uniform = (1 - k) * e * s2 / (s2 + w * w).squareRoot() + k * e * (s2 + w * w).squareRoot()
        } else if let mixture = ArmMeansMixture(means, s: p.s) {
            let seen = mixture.choice(arms: p.arms, noise: w)
            uniform = (1 - k) * seen.chosenMean + k * seen.expectedMaximum
        } else {
            return population
        }
        let policy = population.policyValue
        return GainEstimate(gain: policy - uniform, standardError: 0, policyValue: policy, uniformValue: uniform)
    }
}
