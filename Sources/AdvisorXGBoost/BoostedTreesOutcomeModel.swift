import AdvisorModel

/// Boosted trees as the T-learner's per-arm outcome model: trained on the arm's training
/// units, early-stopped on its validation units, then predicting the targets.
public struct BoostedTreesOutcomeModel: OutcomeModel, Sendable {
    public var parameters: BoostingParameters

    public init(parameters: BoostingParameters = BoostingParameters()) {
        self.parameters = parameters
    }

    public func fitAndPredict(training: LabeledRows, validation: LabeledRows, targets: FeatureMatrix) throws -> [Double]
    {
        // Early stopping needs a validation part; a tiny arm falls back to its training units.
        let tuning = validation.count == 0 ? training : validation
        let model = try BoostedTrees(
            parameters: parameters,
            features: training.features,
            labels: training.outcome.map(Float.init),
            validation: tuning.features,
            validationLabels: tuning.outcome.map(Float.init)
        )
        return try model.predict(targets).map(Double.init)
    }
}
