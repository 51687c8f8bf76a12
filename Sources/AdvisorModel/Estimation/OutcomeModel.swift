/// A way to learn one arm's outcome from covariates. The T-learner fits one per arm; ridge
/// regression here, boosted trees in AdvisorXGBoost.
public protocol OutcomeModel {
    /// Fits on `training` (tuning, e.g. early stopping, on `validation`).
    func fit(training: LabeledRows, validation: LabeledRows) throws -> any FittedOutcomeModel
}

/// One arm's fitted model: kept after the analysis, because a policy built on it must assign
/// units it has not seen.
public protocol FittedOutcomeModel {
    /// One prediction per row of `features`.
    func predict(_ features: FeatureMatrix) throws -> [Double]
}

/// Covariate rows with their outcomes, contiguous: what one arm's model learns from. The
/// T-learner gathers them once per arm, so a model reads its units in order instead of
/// jumping across the whole drop (every 23rd row, a cache miss each).
public struct LabeledRows: Sendable {
    public var features: FeatureMatrix
    public var outcome: [Double]

    public init(features: FeatureMatrix, outcome: [Double]) {
        precondition(features.rows == outcome.count, "one outcome per row")
        self.features = features
        self.outcome = outcome
    }

    /// `rows` of `data`, in that order.
    public init(_ data: ExperimentData, rows: [Int]) {
        self.init(features: data.features.rows(rows), outcome: rows.map { data.outcome[$0] })
    }

    public var count: Int { outcome.count }
}

/// Ridge regression as an outcome model (the "simpler policy"). It needs no validation part and
/// leaves it alone: the policy choice reads those units, so no model may have learned from them.
public struct RidgeOutcomeModel: OutcomeModel, Sendable {
    public var lambda: Double
    public init(lambda: Double = 1e-3) { self.lambda = lambda }

    public func fit(training: LabeledRows, validation: LabeledRows) -> any FittedOutcomeModel {
        RidgeRegression(parts: [training], lambda: lambda)
    }
}

extension RidgeRegression: FittedOutcomeModel {}
