/// The gain as the share of units personalized grows, as maq's curves draw it: the holdout
/// units ranked by their predicted benefit from the policy's arm over the uniform arm; at share
/// q the first ⌊q·n⌋ of them get the policy's arm and the rest the uniform arm u. Its gain over
/// shipping u to everyone, by AIPW (EstimatingParameters.md, "The personalization curve"):
///
///     G(q) = (1/n) Σ_k 1[rank_k ≤ q·n] · (Γ[k][π_k] − Γ[k][u])
///
/// with the i.i.d. standard error sd(d)/√n of the per-unit terms d_k (the ranking comes from a
/// model fitted on other units, so the terms are independent given it). G(0) = 0, and G(1) is
/// the policy's AIPW gain over u, the realized gain the verdict reads.
public enum PersonalizationCurve {
    public struct Point: Sendable, Hashable, Codable {
        /// The share of holdout units that get the policy's arm.
        public var share: Double
        public var gain: Double
        public var standardError: Double

        public init(share: Double, gain: Double, standardError: Double) {
            self.share = share
            self.gain = gain
            self.standardError = standardError
        }
    }

    /// `points` + 1 shares 0, 1/points, …, 1. `benefit[k]`: the predicted value of the policy's
    /// arm for unit k minus that of the uniform arm (ties keep the units' order).
    public static func curve(
        assignment: [Int],
        benefit: [Double],
        scores: DoublyRobustScores,
        uniformArm u: Int,
        points: Int = 10
    ) -> [Point] {
        let n = scores.count
        guard n > 0, assignment.count == n, benefit.count == n, points > 0 else { return [] }
        let order = (0..<n).sorted { benefit[$0] > benefit[$1] || (benefit[$0] == benefit[$1] && $0 < $1) }
        var terms = [Double](repeating: 0, count: n)
        var result: [Point] = []
        var taken = 0
        for step in 0...points {
            let share = Double(step) / Double(points)
            let target = step == points ? n : Int(share * Double(n))
            while taken < target {
                let k = order[taken]
                terms[k] = scores.aipw(k, arm: assignment[k]) - scores.aipw(k, arm: u)
                taken += 1
            }
            let mean = terms.reduce(0, +) / Double(n)
            let variance = terms.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(n - 1, 1))
            result.append(Point(share: share, gain: mean, standardError: (variance / Double(n)).squareRoot()))
        }
        return result
    }

    /// The predicted benefit of `assignment` over `u` under `predictions` (predictions[a][k]).
    public static func benefit(assignment: [Int], predictions: [[Double]], uniformArm u: Int) -> [Double] {
        assignment.indices.map { k in predictions[assignment[k]][k] - predictions[u][k] }
    }
}
