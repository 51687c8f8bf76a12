import Dispatch

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
        let comparisons = compare([(ipwPolicy, ipwUniform), (drPolicy, drUniform)], bootstrap: bootstrap, seed: seed)
        return PolicyEvaluation(
            ipw: comparisons[0], aipw: comparisons[1], armShares: shares.map { $0 / Double(max(n, 1)) })
    }

    /// Means of per-unit score columns (policy, uniform) and paired bootstrap SEs of their
    /// differences. Every pair is resampled with the same draws, and replicates run on all cores
    /// (each with its own seeded stream, so the result does not depend on the core count).
    static func compare(
        _ pairs: [(policy: [Double], uniform: [Double])], bootstrap: Int, seed: UInt64
    ) -> [PolicyComparison] {
        let n = pairs.first?.policy.count ?? 0
        let differences = pairs.map { pair in zip(pair.policy, pair.uniform).map { $0 - $1 } }
        let mean = { (x: [Double]) in x.reduce(0, +) / Double(max(x.count, 1)) }
        let width = pairs.count
        let replicates = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(bootstrap * width, 1))
        defer { replicates.deallocate() }
        replicates.initialize(repeating: 0)
        // The difference columns interleaved (unit-major), so one draw reads one cache line.
        let interleaved = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(n * width, 1))
        defer { interleaved.deallocate() }
        for k in 0..<n {
            for c in 0..<width { interleaved[k * width + c] = differences[c][k] }
        }
        nonisolated(unsafe) let output = replicates
        nonisolated(unsafe) let columns = interleaved
        if n > 0 {
            DispatchQueue.concurrentPerform(iterations: bootstrap) { r in
                var rng = SplitMix64.stream(r, of: seed)
                var totals = [Double](repeating: 0, count: width)
                totals.withUnsafeMutableBufferPointer { t in
                    for _ in 0..<n {
                        let k = rng.nextIndex(below: n) * width
                        for c in 0..<width { t[c] += columns[k + c] }
                    }
                }
                for c in 0..<width { output[r * width + c] = totals[c] / Double(n) }
            }
        }
        return pairs.indices.map { c in
            let column = (0..<bootstrap).map { replicates[$0 * width + c] }
            let center = mean(column)
            let variance = column.reduce(0) { $0 + ($1 - center) * ($1 - center) } / Double(max(bootstrap - 1, 1))
            let uniformValue = mean(pairs[c].uniform)
            let gain = mean(differences[c])
            return PolicyComparison(
                policyValue: mean(pairs[c].policy), uniformValue: uniformValue, gain: gain,
                standardError: variance.squareRoot(), relativeGain: uniformValue > 0 ? gain / uniformValue : nil)
        }
    }
}
