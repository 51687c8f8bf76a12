/// A rule that gives each unit an arm from its covariates: what a verdict recommends deploying.
/// Distinct from an outcome model: a T-learner's argmax is one policy, one arm for everyone is
/// another, and a tree or a policy read from a file are others still.
public protocol Policy {
    /// How reports and the journal name it.
    var name: String { get }
    /// The arm for each row of `features`.
    func assign(_ features: FeatureMatrix) throws -> [Int]
}

/// The same arm for everyone: the benchmark every personalized policy must beat.
public struct UniformPolicy: Policy, Sendable, Hashable {
    public var name: String
    public var arm: Int

    public init(name: String, arm: Int) {
        self.name = name
        self.arm = arm
    }

    public func assign(_ features: FeatureMatrix) -> [Int] {
        Array(repeating: arm, count: features.rows)
    }
}

/// A T-learner's policy: each unit gets the arm whose outcome model predicts the most.
public struct TLearnerPolicy: Policy {
    public var name: String
    /// models[a]: arm a's fitted model.
    public var models: [any FittedOutcomeModel]

    public init(name: String, models: [any FittedOutcomeModel]) {
        self.name = name
        self.models = models
    }

    public func assign(_ features: FeatureMatrix) throws -> [Int] {
        let predictions = try models.map { try $0.predict(features) }
        return Self.argmax(predictions, count: features.rows)
    }

    /// Per unit, the arm with the highest prediction (the first on ties), sweeping one arm's
    /// column at a time so every read is sequential.
    public static func argmax(_ predictions: [[Double]], count: Int) -> [Int] {
        var best = [Int](repeating: 0, count: count)
        guard let first = predictions.first else { return best }
        var top = first
        for arm in predictions.indices.dropFirst() {
            predictions[arm].withUnsafeBufferPointer { column in
                top.withUnsafeMutableBufferPointer { top in
                    best.withUnsafeMutableBufferPointer { best in
                        for k in 0..<count where column[k] > top[k] {
                            top[k] = column[k]
                            best[k] = arm
                        }
                    }
                }
            }
        }
        return best
    }
}
