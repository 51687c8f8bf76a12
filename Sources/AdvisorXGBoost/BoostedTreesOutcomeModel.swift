import AdvisorModel

/// Boosted trees as the T-learner's per-arm outcome model: trained on the arm's training
/// units, early-stopped on its validation units.
public struct BoostedTreesOutcomeModel: OutcomeModel, Sendable {
    public var parameters: BoostingParameters

    public init(parameters: BoostingParameters = BoostingParameters()) {
        self.parameters = parameters
    }

    public func fit(training: LabeledRows, validation: LabeledRows) throws -> any FittedOutcomeModel {
        // Early stopping needs a validation part; a tiny arm falls back to its training units.
        let tuning = validation.count == 0 ? training : validation
        return FittedBoostedTrees(
            trees: try BoostedTrees(
                parameters: parameters,
                features: training.features,
                labels: training.outcome.map(Float.init),
                validation: tuning.features,
                validationLabels: tuning.outcome.map(Float.init)
            )
        )
    }
}

/// One arm's trained booster, predicting in the outcome's units.
public struct FittedBoostedTrees: FittedOutcomeModel {
    public let trees: BoostedTrees

    public init(trees: BoostedTrees) { self.trees = trees }

    public func predict(_ features: FeatureMatrix) throws -> [Double] {
        try trees.predict(features).map(Double.init)
    }
}
