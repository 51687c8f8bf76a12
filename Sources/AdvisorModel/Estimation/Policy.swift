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
    /// Guardrail outcomes' models, each weighted into the score the argmax reads (none: the
    /// primary outcome alone). Guardrails.md: the weights that keep every guardrail.
    public var terms: [Term] = []

    /// One guardrail's per-arm models and the weight of its oriented prediction.
    public struct Term {
        public var column: String
        public var weight: Double
        public var models: [any FittedOutcomeModel]

        public init(column: String, weight: Double, models: [any FittedOutcomeModel]) {
            self.column = column
            self.weight = weight
            self.models = models
        }
    }

    public init(name: String, models: [any FittedOutcomeModel], terms: [Term] = []) {
        self.name = name
        self.models = models
        self.terms = terms
    }

    /// One arm's scores at a time, folded into a running maximum: m arms' predictions for every
    /// unit are never held together (at 20 arms and millions of units, gigabytes).
    public func assign(_ features: FeatureMatrix) throws -> [Int] {
        let count = features.rows
        var best = [Int](repeating: 0, count: count)
        var top = [Double](repeating: -.infinity, count: count)
        for (a, model) in models.enumerated() {
            var score = try model.predict(features)
            for term in terms where term.weight != 0 {
                let extra = try term.models[a].predict(features)
                for k in 0..<count { score[k] += term.weight * extra[k] }
            }
            // The first arm always takes the unit, as `argmax` starts from it (ties, and NaN
            // predictions, keep the earlier arm).
            for k in 0..<count where a == 0 || score[k] > top[k] {
                top[k] = score[k]
                best[k] = a
            }
        }
        return best
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
