/// The second stage: one outcome model per arm on the shared split (a T-learner), and its
/// predictions for every holdout unit under every arm.
public struct TLearnerFit {
    /// How the analysis names this learner's policy ("xgboost-t-learner").
    public var name: String
    public var split: TLearnerSplit
    /// models[a]: arm a's fitted model.
    public var models: [any FittedOutcomeModel]
    /// predictions[a][k]: arm a's model at the k-th holdout unit.
    public var predictions: [[Double]]

    public var training: [Int] { split.training }
    public var holdout: [Int] { split.holdout }
    public var bestUniformArm: Int { split.bestUniformArm }

    /// The learner's policy: each unit's arm with the highest prediction.
    public var policy: TLearnerPolicy { TLearnerPolicy(name: name, models: models) }

    /// The policy's arm for each holdout unit, from the predictions already made (the same as
    /// `policy.assign(split.holdoutFeatures)`, without predicting again).
    public var assignment: [Int] { TLearnerPolicy.argmax(predictions, count: split.holdout.count) }

    /// Splits `data` (`holdoutShare` of units to the holdout, seeded), fits `model` per arm
    /// (with `validationShare` of each arm's training units for its tuning), predicts.
    public static func fit(
        data: ExperimentData,
        model: some OutcomeModel,
        name: String = "t-learner",
        holdoutShare: Double = 0.3,
        validationShare: Double = 0.2,
        seed: UInt64 = 1,
        shouldStop: () -> Bool = { false }
    ) throws -> TLearnerFit {
        let split = TLearnerSplit(data: data, holdoutShare: holdoutShare, validationShare: validationShare, seed: seed)
        return try fit(split: split, model: model, name: name, shouldStop: shouldStop)
    }

    /// Fits `model` per arm on a split shared with other models. `shouldStop` is polled before
    /// each arm's model (`ModelError.stopped`).
    public static func fit(
        split: TLearnerSplit,
        model: any OutcomeModel,
        name: String,
        shouldStop: () -> Bool = { false }
    ) throws -> TLearnerFit {
        var models: [any FittedOutcomeModel] = []
        var predictions: [[Double]] = []
        for arm in split.fitRows.indices {
            if shouldStop() { throw ModelError.stopped }
            let fitted = try model.fit(training: split.fitting(arm), validation: split.validation[arm])
            models.append(fitted)
            predictions.append(try fitted.predict(split.holdoutFeatures))
        }
        return TLearnerFit(name: name, split: split, models: models, predictions: predictions)
    }
}
