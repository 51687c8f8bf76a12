/// A guardrail: an outcome besides the primary one that a rollout must not make worse by more
/// than `maxLoss` (revenue is the primary, unsubscribes the guardrail). Guardrails.md defines
/// every figure built from one.
public struct Guardrail: Sendable, Hashable {
    /// The data's column name.
    public var column: String
    /// Each unit's value as measured (not oriented), in the order of `ExperimentData`'s units.
    public var values: [Double]
    public var largerIsBetter: Bool
    public var maxLoss: MaxLoss

    public init(column: String, values: [Double], largerIsBetter: Bool, maxLoss: MaxLoss) {
        self.column = column
        self.values = values
        self.largerIsBetter = largerIsBetter
        self.maxLoss = maxLoss
    }

    /// +1 when larger is better, −1 when smaller is: oriented values are `sign · values`, so a
    /// positive change is always an improvement.
    public var sign: Double { largerIsBetter ? 1 : -1 }
}

/// How much worse a guardrail may get: in its own units, or as a share of the reference's value.
public enum MaxLoss: Sendable, Hashable {
    case absolute(Double)
    case relative(Double)

    /// The loss allowed against a reference whose mean (as measured) is `reference`.
    public func allowed(reference: Double) -> Double {
        switch self {
        case .absolute(let x): x
        case .relative(let share): share * abs(reference)
        }
    }
}

extension ExperimentData {
    /// The same units with guardrail g's oriented values as the outcome, so every stage built for
    /// the primary outcome (the split, outcome models, doubly robust scores, the estimates) runs
    /// on it unchanged. Features and arms are shared, not copied.
    public func guardrailData(_ g: Int) -> ExperimentData {
        let guardrail = guardrails[g]
        let sign = guardrail.sign
        var copy = ExperimentData(
            armNames: armNames,
            arm: arm,
            outcome: guardrail.values.map { sign * $0 },
            features: features,
            propensity: propensity
        )
        copy.controlArm = controlArm
        copy.unitKeys = unitKeys
        return copy
    }
}
