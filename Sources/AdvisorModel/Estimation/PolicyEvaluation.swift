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

    /// Every policy against one uniform arm on the same holdout units. `assignment[k]`: the arm
    /// the policy picks for holdout unit k; `scores`: the doubly robust scores its AIPW value
    /// reads (each T-learner's own model). All policies are resampled with the same draws, so
    /// one pass of the bootstrap serves them all and their differences are paired.
    public static func evaluate(
        _ policies: [(assignment: [Int], scores: DoublyRobustScores)],
        uniformArm: Int,
        arms: Int,
        bootstrap: Int = 500,
        seed: UInt64 = 1
    ) -> [PolicyEvaluation] {
        guard let first = policies.first?.scores else { return [] }
        let n = first.count
        precondition(policies.allSatisfy { $0.scores.units == first.units }, "the policies must share one holdout")
        let shares = policies.map { policy in
            var counts = [Double](repeating: 0, count: arms)
            for a in policy.assignment { counts[a] += 1 }
            return counts.map { $0 / Double(max(n, 1)) }
        }
        // Pair 2p is policy p's IPW values against the uniform arm's, pair 2p + 1 its AIPW values.
        let comparisons = compare(pairs: 2 * policies.count, units: n, bootstrap: bootstrap, seed: seed) { c, k in
            let (assignment, scores) = policies[c / 2]
            return c % 2 == 0
                ? (scores.ipw(k, arm: assignment[k]), scores.ipw(k, arm: uniformArm))
                : (scores.aipw(k, arm: assignment[k]), scores.aipw(k, arm: uniformArm))
        }
        return shares.indices.map { p in
            PolicyEvaluation(ipw: comparisons[2 * p], aipw: comparisons[2 * p + 1], armShares: shares[p])
        }
    }

    /// Each fit's own policy, scored by its own model, against the split's best uniform arm.
    public static func evaluate(
        data: ExperimentData,
        fits: [TLearnerFit],
        bootstrap: Int = 500,
        seed: UInt64 = 1
    )
        -> [PolicyEvaluation]
    {
        evaluate(
            fits.map { ($0.assignment, DoublyRobustScores(data: data, fit: $0)) },
            uniformArm: fits.first?.bestUniformArm ?? 0,
            arms: data.arms,
            bootstrap: bootstrap,
            seed: seed
        )
    }

    /// Means of per-unit score pairs (policy, uniform) and paired bootstrap SEs of their
    /// differences. Every pair is resampled with the same draws, and replicates run on all cores
    /// (each with its own seeded stream, so the result does not depend on the core count).
    /// `value(c, k)` gives pair c at unit k; only the Float differences are kept, so several
    /// policies on millions of units cost 4 bytes per unit and pair, not 24.
    static func compare(
        pairs: Int,
        units n: Int,
        bootstrap: Int,
        seed: UInt64,
        value: (_ pair: Int, _ unit: Int) -> (policy: Double, uniform: Double)
    ) -> [PolicyComparison] {
        // The difference columns packed four to a unit (Float, so a pass reads 16 bytes a unit),
        // each group of four weighted by the same resample counts (sums as in `weightedMean`).
        // Means and gains are summed in Double, unit by unit in order.
        let groups = (pairs + 3) / 4
        let packed = UnsafeMutableBufferPointer<SIMD4<Float>>.allocate(capacity: max(n * groups, 1))
        defer { packed.deallocate() }
        packed.initialize(repeating: .zero)
        var sums = [(policy: Double, uniform: Double, difference: Double)](repeating: (0, 0, 0), count: pairs)
        for c in 0..<pairs {
            for k in 0..<n {
                let (policy, uniform) = value(c, k)
                sums[c].policy += policy
                sums[c].uniform += uniform
                sums[c].difference += policy - uniform
                packed[(c / 4) * n + k][c % 4] = Float(policy - uniform)
            }
        }
        let replicates = UnsafeMutableBufferPointer<SIMD4<Double>>.allocate(capacity: max(bootstrap * groups, 1))
        defer { replicates.deallocate() }
        replicates.initialize(repeating: .zero)
        nonisolated(unsafe) let output = replicates
        nonisolated(unsafe) let units = packed
        if n > 0 && bootstrap > 0 {
            // A resample is n draws of a unit; it is tallied as a count per unit (random
            // increments into 2 bytes a unit, which stay in cache where the columns would not),
            // then every column is weighted by the counts in one sequential pass. Replicates run
            // in a few chunks on all cores, each chunk with one counts buffer and each replicate
            // with its own seeded stream, so results do not depend on the core count.
            let chunks = min(bootstrap, 8)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                // UInt16: a unit drawn 65,536 times in one resample has probability below 10^-280,000.
                let counts = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: n)
                defer { counts.deallocate() }
                for r in stride(from: chunk, to: bootstrap, by: chunks) {
                    counts.initialize(repeating: 0)
                    var rng = SplitMix64.stream(r, of: seed)
                    Self.drawCounts(into: counts, rng: &rng)
                    for g in 0..<groups {
                        output[r * groups + g] = Self.weightedMean(units, from: g * n, count: n, weights: counts)
                    }
                }
            }
        }
        let size = Double(max(n, 1))
        return (0..<pairs).map { c in
            let column = (0..<bootstrap).map { replicates[$0 * groups + c / 4][c % 4] }
            let center = column.reduce(0, +) / Double(max(column.count, 1))
            let variance = column.reduce(0) { $0 + ($1 - center) * ($1 - center) } / Double(max(bootstrap - 1, 1))
            let uniformValue = sums[c].uniform / size
            let gain = sums[c].difference / size
            return PolicyComparison(
                policyValue: sums[c].policy / size,
                uniformValue: uniformValue,
                gain: gain,
                standardError: variance.squareRoot(),
                relativeGain: uniformValue > 0 ? gain / uniformValue : nil
            )
        }
    }

    /// Adds n uniform draws from 0..<n to `counts`. Each 64-bit random number gives two draws
    /// by Lemire's multiply-shift on its 32-bit halves, made exactly uniform by rejecting the
    /// (n / 2^32)-rare low products; a holdout over 2^32 units takes one draw per number.
    @inline(__always)
    static func drawCounts(into counts: UnsafeMutableBufferPointer<UInt16>, rng: inout SplitMix64) {
        let n = counts.count
        guard n <= Int(UInt32.max) else {
            for _ in 0..<n { counts[rng.nextIndex(below: n)] &+= 1 }
            return
        }
        let range = UInt64(n)
        let threshold = UInt32(truncatingIfNeeded: (0x1_0000_0000 - range) % range)
        var remaining = n
        while remaining > 0 {
            let bits = rng.next()
            let low = (bits & 0xFFFF_FFFF) &* range
            if UInt32(truncatingIfNeeded: low) >= threshold {
                counts[Int(truncatingIfNeeded: low >> 32)] &+= 1
                remaining -= 1
            }
            let high = (bits >> 32) &* range
            if remaining > 0 && UInt32(truncatingIfNeeded: high) >= threshold {
                counts[Int(truncatingIfNeeded: high >> 32)] &+= 1
                remaining -= 1
            }
        }
    }

    /// Σ counts[k]·units[from + k] / count, four columns at once. Blocks of 256 units are summed
    /// in Float (one SIMD register) and each block's sum added in Double: a block's rounding
    /// error is about 1e-5 of the block sum, 1e-7 of the SE after averaging, far below the
    /// bootstrap's own noise.
    @inline(__always)
    static func weightedMean(
        _ units: UnsafeMutableBufferPointer<SIMD4<Float>>,
        from offset: Int,
        count n: Int,
        weights: UnsafeMutableBufferPointer<UInt16>
    ) -> SIMD4<Double> {
        var total = SIMD4<Double>.zero
        var start = 0
        while start < n {
            let end = min(start + 256, n)
            var even = SIMD4<Float>.zero
            var odd = SIMD4<Float>.zero
            var k = start
            while k + 1 < end {
                even += Float(weights[k]) * units[offset &+ k]
                odd += Float(weights[k &+ 1]) * units[offset &+ k &+ 1]
                k &+= 2
            }
            if k < end { even += Float(weights[k]) * units[offset &+ k] }
            total += SIMD4<Double>(even + odd)
            start = end
        }
        return total / Double(n)
    }
}
