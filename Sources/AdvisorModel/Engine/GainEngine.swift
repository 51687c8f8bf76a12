import Foundation

/// The expected gain of a personalization policy over the best uniform arm, with its parts.
public struct GainEstimate: Sendable, Hashable, Codable {
    /// Value of the personalization policy minus value of the uniform arm.
    public var gain: Double
    /// Monte Carlo standard error of `gain`; 0 when the engine used only quadrature.
    public var standardError: Double
    /// Expected outcome under the policy, relative to the centre M of the arm means.
    public var policyValue: Double
    /// Expected outcome of the uniform arm that gets picked, relative to M.
    public var uniformValue: Double
}

/// Computes the gain from personalization exactly (quadrature and closed forms, no individuals
/// simulated). GainFromPersonalization.md derives every formula used here.
///
/// Model: Y_a = μ_a + (common term) + τ·z_a, τ = σ·sqrt(1 − ρ); the policy ranks
/// Ŷ_a = Y_a + b_a + ε_a with ε_a ~ N(0, σ_ε²) per person and arm and b_a ~ N(0, δ_a²) the error in
/// arm a's level (δ_a = 0 for an infinite population). The uniform arm is argmax of the arm's
/// sample mean μ_a + e_a, e_a ~ N(0, δ_a²). The common term cancels from every argmax and, having
/// mean zero whichever arm is chosen, from every value too: that is why negative ρ needs no
/// special case.
public struct GainEngine: Sendable {
    /// Draws of the arm means used where no exact outer expectation exists (a normal-type F with
    /// unequal arm sizes); each draw is solved exactly, so only the outer average is random.
    public var monteCarloDraws: Int
    /// Seed for those draws.
    public var seed: UInt64
    /// Remembered choices for one family of arm means (`ChoiceTable`): a caller that evaluates
    /// that family many times (a prediction) sets it; without it every gain is a quadrature.
    public var table: ChoiceTable?

    public init(monteCarloDraws: Int = 400, seed: UInt64 = 0x5EED, table: ChoiceTable? = nil) {
        self.monteCarloDraws = monteCarloDraws
        self.seed = seed
        self.table = table
    }

    /// The expected gain for parameters `p`, arm means from `means`, and an optional finite design.
    public func gain(
        _ p: ModelParameters,
        means: ArmMeansDistribution = .normal,
        design: SampleDesign? = nil
    ) throws(ModelError) -> GainEstimate {
        try p.validate()
        try means.validate()
        if case .list(let values) = means, values.count != p.arms {
            throw ModelError.inconsistent(
                "arm_means lists \(values.count) means but the experiment has \(p.arms) arms"
            )
        }
        try design?.validate(arms: p.arms)
        return unchecked(p, means: means, design: design)
    }

    /// `gain` without validation, for callers that validated once and evaluate many times.
    public func unchecked(_ p: ModelParameters, means: ArmMeansDistribution, design: SampleDesign?) -> GainEstimate {
        let tau2 = p.tau * p.tau
        let eps2 = p.predictionError * p.predictionError
        let m = p.arms
        // Balanced (or infinite) designs share one δ; the exchangeable formulas need that.
        let delta: Double? = design.flatMap { $0.isBalanced ? $0.outcomeSD / $0.unitsPerArm[0].squareRoot() : nil }
        let noiseFree = tau2 == 0 && eps2 == 0

        let table = self.table.flatMap { $0.family == means ? $0 : nil }
        if case .list(let mu) = means {
            if let table, design == nil || delta != nil {
                return tabulatedFixedMeans(table, arms: m, tau2: tau2, eps2: eps2, delta: delta ?? 0)
            }
            return fixedMeans(mu, tau2: tau2, eps2: eps2, delta: design?.meanNoise ?? Array(repeating: 0, count: m))
        }
        if let design, delta == nil {
            return unbalanced(p, means: means, design: design)
        }
        if let table, means != .normal {
            return exchangeable(
                { m, w in Self.scaledChoice(table, s: p.s, arms: m, noise: w) },
                arms: m,
                tau2: tau2,
                eps2: eps2,
                delta: delta ?? 0
            )
        }
        guard let mixture = ArmMeansMixture(means, s: p.s), means != .normal else {
            let d = delta ?? 0
            if noiseFree && d == 0 { return GainEstimate(gain: 0, standardError: 0, policyValue: 0, uniformValue: 0) }
            let e = ExpectedMaximum.standardNormal(m)
            let s2 = p.s * p.s
            let policy = e * (s2 + tau2) / (s2 + eps2 + tau2 + d * d).squareRoot()
            let uniform = d > 0 ? e * s2 / (s2 + d * d).squareRoot() : e * p.s
            return GainEstimate(gain: policy - uniform, standardError: 0, policyValue: policy, uniformValue: uniform)
        }
        return exchangeable(mixture.choice, arms: m, tau2: tau2, eps2: eps2, delta: delta ?? 0)
    }

    /// Exchangeable arms: V = (1 − k)·E[μ_{a*}] + k·E[max X] with X seen through ω̃² = τ² + σ_ε² + δ²,
    /// k = τ²/ω̃²; the uniform arm's value is E[μ_â] with noise δ (E[max μ] when δ = 0).
    /// `choice(m, w)` gives (E[max X], E[μ_{a*}]) for noise w, by quadrature or from a table.
    func exchangeable(
        _ choice: (Int, Double) -> (expectedMaximum: Double, chosenMean: Double),
        arms m: Int,
        tau2: Double,
        eps2: Double,
        delta: Double
    ) -> GainEstimate {
        let omega2 = tau2 + eps2 + delta * delta
        guard omega2 > 0 else { return GainEstimate(gain: 0, standardError: 0, policyValue: 0, uniformValue: 0) }
        let k = tau2 / omega2
        let seen = choice(m, omega2.squareRoot())
        let policy = (1 - k) * seen.chosenMean + k * seen.expectedMaximum
        let uniform = choice(m, delta).chosenMean
        return GainEstimate(gain: policy - uniform, standardError: 0, policyValue: policy, uniformValue: uniform)
    }

    /// The choice for means s·μ (μ from the table's unit family) through noise w: s times the
    /// unit choice through w/s; with s = 0 every arm is the centre and only the noise is chosen.
    static func scaledChoice(
        _ table: ChoiceTable,
        s: Double,
        arms m: Int,
        noise w: Double
    ) -> (expectedMaximum: Double, chosenMean: Double) {
        guard s > 0 else { return (w * ExpectedMaximum.standardNormal(m), 0) }
        if w == 0 {
            let maximum = s * table.maximumOfMeans(arms: m)
            return (maximum, maximum)
        }
        let unit = table.choice(arms: m, ratio: w / s)
        return (s * unit.expectedMaximum, s * unit.chosenMean)
    }

    /// `fixedMeans` for a balanced (or infinite) design from the table: one noise δ for every
    /// arm, so the policy value is (1 − k)·E[μ_{a*}] + k·E[max X] as for exchangeable arms.
    func tabulatedFixedMeans(
        _ table: ChoiceTable,
        arms m: Int,
        tau2: Double,
        eps2: Double,
        delta: Double
    ) -> GainEstimate {
        let choice = { (w: Double) in Self.scaledChoice(table, s: table.scale, arms: m, noise: w) }
        let best = table.scale * table.maximumOfMeans(arms: m)
        let omega2 = tau2 + eps2 + delta * delta
        let policy: Double
        if omega2 > 0 {
            let k = tau2 / omega2
            let seen = choice(omega2.squareRoot())
            policy = (1 - k) * seen.chosenMean + k * seen.expectedMaximum
        } else {
            policy = best
        }
        let uniform = delta > 0 ? choice(delta).chosenMean : best
        if policy == uniform || (tau2 == 0 && eps2 == 0 && delta == 0) {
            return GainEstimate(gain: 0, standardError: 0, policyValue: uniform, uniformValue: uniform)
        }
        return GainEstimate(gain: policy - uniform, standardError: 0, policyValue: policy, uniformValue: uniform)
    }

    /// Known means: per-arm k_a = τ²/ω̃_a², V = Σ_a (1 − k_a)·μ_a·P_a + k_a·E[X_a·1{a* = a}].
    func fixedMeans(_ mu: [Double], tau2: Double, eps2: Double, delta: [Double]) -> GainEstimate {
        let center = mu.reduce(0, +) / Double(mu.count)
        let means = mu.map { $0 - center }
        let omega2 = delta.map { tau2 + eps2 + $0 * $0 }
        let policy: Double
        if omega2.allSatisfy({ $0 > 0 }) {
            let choice = FixedMeansChoice(means: means, noise: omega2.map { $0.squareRoot() })
            policy = means.indices.reduce(0.0) { total, a in
                let k = tau2 / omega2[a]
                return total + (1 - k) * means[a] * choice.probabilities[a] + k * choice.weightedValues[a]
            }
        } else {
            policy = means.max() ?? 0
        }
        let uniform: Double
        if delta.allSatisfy({ $0 > 0 }) {
            let choice = FixedMeansChoice(means: means, noise: delta)
            uniform = zip(means, choice.probabilities).reduce(0) { $0 + $1.0 * $1.1 }
        } else {
            uniform = means.max() ?? 0
        }
        if policy == uniform || (tau2 == 0 && eps2 == 0 && delta.allSatisfy { $0 == 0 }) {
            return GainEstimate(gain: 0, standardError: 0, policyValue: uniform, uniformValue: uniform)
        }
        return GainEstimate(gain: policy - uniform, standardError: 0, policyValue: policy, uniformValue: uniform)
    }

    /// Unequal arm sizes break exchangeability: average the exact fixed-means answer over draws of μ.
    func unbalanced(_ p: ModelParameters, means: ArmMeansDistribution, design: SampleDesign) -> GainEstimate {
        var rng = SplitMix64(seed: seed)
        let tau2 = p.tau * p.tau
        let eps2 = p.predictionError * p.predictionError
        let noise = design.meanNoise
        var sum = 0.0
        var sumSquares = 0.0
        var policy = 0.0
        var uniform = 0.0
        let draws = max(monteCarloDraws, 2)
        for _ in 0..<draws {
            let mu = means.draw(arms: p.arms, s: p.s, using: &rng)
            let one = fixedMeans(mu, tau2: tau2, eps2: eps2, delta: noise)
            sum += one.gain
            sumSquares += one.gain * one.gain
            policy += one.policyValue
            uniform += one.uniformValue
        }
        let n = Double(draws)
        let mean = sum / n
        let variance = max(0, (sumSquares - n * mean * mean) / (n - 1))
        return GainEstimate(
            gain: mean,
            standardError: (variance / n).squareRoot(),
            policyValue: policy / n,
            uniformValue: uniform / n
        )
    }
}
