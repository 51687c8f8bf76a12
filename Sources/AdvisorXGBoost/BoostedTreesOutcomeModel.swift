import AdvisorModel

/// Boosted trees as the T-learner's per-arm outcome model: trained on the arm's training
/// units, early-stopped on its validation units, then predicting the targets.
public struct BoostedTreesOutcomeModel: OutcomeModel, Sendable {
    public var parameters: BoostingParameters

    public init(parameters: BoostingParameters = BoostingParameters()) {
        self.parameters = parameters
    }

    public func fitAndPredict(
        features: FeatureMatrix, outcome: [Double], training: [Int], validation: [Int], targets: [Int]
    ) throws -> [Double] {
        // Early stopping needs a validation part; a tiny arm falls back to its training units.
        let validationRows = validation.isEmpty ? training : validation
        let model = try BoostedTrees(
            parameters: parameters, features: features.rows(training), labels: training.map { Float(outcome[$0]) },
            validation: features.rows(validationRows), validationLabels: validationRows.map { Float(outcome[$0]) })
        return try model.predict(features.rows(targets)).map(Double.init)
    }
}
