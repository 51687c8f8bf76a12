/// Fits one outcome model per arm on the training units of that arm (a T-learner) and predicts
/// every holdout unit under every arm. The model is pluggable: ridge regression here, boosted
/// trees in AdvisorXGBoost.
public protocol OutcomeModel {
    /// Fits on `training` (tuning, e.g. early stopping, on `validation`) and returns predictions
    /// for `targets`. All three are row indices into `features`.
    func fitAndPredict(
        features: FeatureMatrix, outcome: [Double], training: [Int], validation: [Int], targets: [Int]
    ) throws -> [Double]
}

/// Ridge regression as an outcome model (the "simpler policy"); it needs no validation part.
public struct RidgeOutcomeModel: OutcomeModel, Sendable {
    public var lambda: Double
    public init(lambda: Double = 1e-3) { self.lambda = lambda }

    public func fitAndPredict(
        features: FeatureMatrix, outcome: [Double], training: [Int], validation: [Int], targets: [Int]
    ) -> [Double] {
        let model = RidgeRegression(features: features, rows: training + validation, outcome: outcome, lambda: lambda)
        return model.predict(features, rows: targets)
    }
}

/// The seeded split and the T-learner's predictions on the holdout.
public struct TLearnerFit: Sendable {
    public var training: [Int]
    public var holdout: [Int]
    /// predictions[a][k]: arm a's model at the k-th holdout unit.
    public var predictions: [[Double]]
    /// The arm with the highest mean outcome on the training split: the uniform benchmark,
    /// never chosen on the evaluation data.
    public var bestUniformArm: Int
    /// The policy: each holdout unit's arm with the highest prediction.
    public var assignment: [Int]

    /// Splits `data` (`holdoutShare` of units to the holdout, seeded), fits `model` per arm
    /// (with `validationShare` of each arm's training units for its tuning), predicts.
    /// `shouldStop` is polled before each arm's model (`ModelError.stopped`).
    public static func fit(
        data: ExperimentData, model: some OutcomeModel, holdoutShare: Double = 0.3, validationShare: Double = 0.2,
        seed: UInt64 = 1, shouldStop: () -> Bool = { false }
    ) throws -> TLearnerFit {
        var rng = SplitMix64(seed: seed)
        var training: [Int] = []
        var holdout: [Int] = []
        for i in 0..<data.units {
            if rng.nextOpenUnit() < holdoutShare { holdout.append(i) } else { training.append(i) }
        }
        var predictions: [[Double]] = []
        var trainMeans: [Double] = []
        for group in data.unitsByArm(training) {
            if shouldStop() { throw ModelError.stopped }
            let cut = Int(Double(group.count) * (1 - validationShare))
            let fitRows = Array(group[..<cut])
            let validationRows = Array(group[cut...])
            predictions.append(
                try model.fitAndPredict(
                    features: data.features, outcome: data.outcome, training: fitRows, validation: validationRows,
                    targets: holdout))
            trainMeans.append(group.isEmpty ? -.infinity : group.reduce(0) { $0 + data.outcome[$1] } / Double(group.count))
        }
        let best = trainMeans.indices.max { trainMeans[$0] < trainMeans[$1] } ?? 0
        let assignment = holdout.indices.map { k in
            predictions.indices.max { predictions[$0][k] < predictions[$1][k] } ?? 0
        }
        return TLearnerFit(
            training: training, holdout: holdout, predictions: predictions, bestUniformArm: best, assignment: assignment)
    }
}
