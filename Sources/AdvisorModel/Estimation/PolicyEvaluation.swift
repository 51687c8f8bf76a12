/// The value of a personalization policy on holdout units, against the best uniform arm, by
/// inverse propensity weighting (the paper's eq. 9) and doubly robust (AIPW) scores, with a
/// paired bootstrap standard error of the difference. Formulas: EstimatingParameters.md.
public struct PolicyComparison: Sendable, Hashable, Codable {
    public var policyValue: Double
    public var uniformValue: Double
    /// policy − uniform, and its bootstrap standard error (the same resampled units for both).
    public var gain: Double
    public var standardError: Double
    /// gain / uniform value; nil when the uniform value is not positive.
    public var relativeGain: Double?
}

public struct PolicyEvaluation: Sendable, Hashable, Codable {
    public var ipw: PolicyComparison
    public var aipw: PolicyComparison
    /// Share of holdout units the policy sends to each arm (the paper's Figure 9).
    public var armShares: [Double]

    /// `assignment[k]`: the arm the policy picks for the k-th holdout unit; `uniformArm`: the
    /// arm chosen on the training split; `predictions[a][k]`: the outcome model's prediction,
    /// used by AIPW.
    public static func evaluate(
        data: ExperimentData, holdout: [Int], assignment: [Int], uniformArm: Int, predictions: [[Double]],
        bootstrap: Int = 500, seed: UInt64 = 1
    ) -> PolicyEvaluation {
        let n = holdout.count
        var ipwPolicy = [Double](repeating: 0, count: n)
        var ipwUniform = ipwPolicy
        var drPolicy = ipwPolicy
        var drUniform = ipwPolicy
        var shares = [Double](repeating: 0, count: data.arms)
        for (k, i) in holdout.enumerated() {
            let t = data.arm[i]
            let y = data.outcome[i]
            let e = data.propensity[i]
            let a = assignment[k]
            shares[a] += 1
            let chosen = t == a ? y / e : 0
            let uniform = t == uniformArm ? y / e : 0
            ipwPolicy[k] = chosen
            ipwUniform[k] = uniform
            drPolicy[k] = predictions[a][k] + (t == a ? (y - predictions[a][k]) / e : 0)
            drUniform[k] = predictions[uniformArm][k] + (t == uniformArm ? (y - predictions[uniformArm][k]) / e : 0)
        }
        return PolicyEvaluation(
            ipw: compare(ipwPolicy, ipwUniform, bootstrap: bootstrap, seed: seed),
            aipw: compare(drPolicy, drUniform, bootstrap: bootstrap, seed: seed),
            armShares: shares.map { $0 / Double(max(n, 1)) })
    }

    /// Means of two per-unit score columns and a paired bootstrap SE of their difference.
    static func compare(_ policy: [Double], _ uniform: [Double], bootstrap: Int, seed: UInt64) -> PolicyComparison {
        let n = policy.count
        let difference = zip(policy, uniform).map { $0 - $1 }
        let mean = { (x: [Double]) in x.reduce(0, +) / Double(max(x.count, 1)) }
        var rng = SplitMix64(seed: seed)
        var replicates: [Double] = []
        replicates.reserveCapacity(bootstrap)
        for _ in 0..<bootstrap {
            var total = 0.0
            for _ in 0..<n { total += difference[Int(rng.next() % UInt64(n))] }
            replicates.append(total / Double(n))
        }
        let center = mean(replicates)
        let variance = replicates.reduce(0) { $0 + ($1 - center) * ($1 - center) } / Double(max(bootstrap - 1, 1))
        let uniformValue = mean(uniform)
        let gain = mean(difference)
        return PolicyComparison(
            policyValue: mean(policy), uniformValue: uniformValue, gain: gain, standardError: variance.squareRoot(),
            relativeGain: uniformValue > 0 ? gain / uniformValue : nil)
    }
}
