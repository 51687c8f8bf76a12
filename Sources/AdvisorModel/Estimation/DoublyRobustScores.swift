/// The value of sending holdout unit k to arm a, as every evaluation and every score-based
/// learner reads it (EstimatingParameters.md, "Realized gain"):
///
///     Γ[k][a] = μ̂_a(x_k) + 1[t_k = a]·(y_k − μ̂_a(x_k)) / e_k      (doubly robust, AIPW)
///     IPW[k][a] = 1[t_k = a]·y_k / e_k                             (the paper's eq. 9)
///
/// Computed on demand from the outcome model's predictions, so no m × n matrix is held beside
/// the predictions themselves.
public struct DoublyRobustScores: Sendable {
    /// Unit indices in the data, k-th = holdout unit k.
    public let units: [Int]
    /// predictions[a][k]: the outcome model's μ̂_a at unit k.
    public let predictions: [[Double]]
    let arm: [Int]
    let outcome: [Double]
    let propensity: [Double]

    public init(data: ExperimentData, units: [Int], predictions: [[Double]]) {
        precondition(predictions.allSatisfy { $0.count == units.count }, "one prediction per unit and arm")
        self.units = units
        self.predictions = predictions
        arm = units.map { data.arm[$0] }
        outcome = units.map { data.outcome[$0] }
        propensity = units.map { data.propensity[$0] }
    }

    /// The scores of a fitted T-learner on its holdout.
    public init(data: ExperimentData, fit: TLearnerFit) {
        self.init(data: data, units: fit.holdout, predictions: fit.predictions)
    }

    public var count: Int { units.count }
    public var arms: Int { predictions.count }

    /// Γ[k][a].
    @inline(__always)
    public func aipw(_ k: Int, arm a: Int) -> Double {
        let mu = predictions[a][k]
        return mu + (arm[k] == a ? (outcome[k] - mu) / propensity[k] : 0)
    }

    /// IPW[k][a].
    @inline(__always)
    public func ipw(_ k: Int, arm a: Int) -> Double {
        arm[k] == a ? outcome[k] / propensity[k] : 0
    }
}
