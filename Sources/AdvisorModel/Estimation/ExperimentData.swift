/// The unit-level results of a finished experiment, in columns: for unit i its arm, outcome,
/// covariates, and the probability it had of getting its own arm.
public struct ExperimentData: Sendable {
    public var armNames: [String]
    /// Index into `armNames` per unit.
    public var arm: [Int]
    public var outcome: [Double]
    public var features: FeatureMatrix
    /// P(unit i gets the arm it got): the propensity for IPW. Known in a randomized test.
    public var propensity: [Double]
    /// Outcomes a rollout must not make worse, beside `outcome` (the primary one).
    public var guardrails: [Guardrail] = []
    /// The control arm, when the manifest names one: the reference a guardrail is held to for
    /// a uniform arm.
    public var controlArm: Int?
    /// Per unit, the key the split hashes: Spark's `xxhash64` of its unit id, so a Spark job
    /// splits the same units the same way (TLearnerSplit). nil: every unit's row number
    /// (`rowKey`), which no other reader of the file can be sure to number alike.
    public var unitKeys: [UInt64]?

    public init(armNames: [String], arm: [Int], outcome: [Double], features: FeatureMatrix, propensity: [Double]) {
        precondition(arm.count == outcome.count && arm.count == features.rows && arm.count == propensity.count)
        self.armNames = armNames
        self.arm = arm
        self.outcome = outcome
        self.features = features
        self.propensity = propensity
    }

    public var units: Int { arm.count }

    /// The split key of the unit on row `row` (0-based) when it has no unit id: Spark's
    /// `xxhash64` of the row number as a long.
    public static func rowKey(_ row: Int) -> UInt64 {
        XXHash64.hash(Int64(row), seed: XXHash64.sparkSeed)
    }

    /// Unit i's split key.
    @inline(__always)
    public func unitKey(_ i: Int) -> UInt64 {
        if let unitKeys { return unitKeys[i] }
        return Self.rowKey(i)
    }
    public var arms: Int { armNames.count }

    /// Per arm over all units: how many, and the sum and sum of squares of their outcomes (the
    /// arm summaries of a verdict and the spread of the arm means, ŝ, both come from these).
    public func armTotals() -> (count: [Double], sum: [Double], squares: [Double]) { armTotals(of: 0..<units) }

    /// The same over `subset` (the training split's units, for the benchmark's training mean).
    public func armTotals(of subset: some Sequence<Int>) -> (count: [Double], sum: [Double], squares: [Double]) {
        var count = [Double](repeating: 0, count: arms)
        var sum = count
        var squares = count
        for i in subset {
            count[arm[i]] += 1
            sum[arm[i]] += outcome[i]
            squares[arm[i]] += outcome[i] * outcome[i]
        }
        return (count, sum, squares)
    }

    /// Unit indices per arm.
    public func unitsByArm(_ subset: [Int]) -> [[Int]] {
        var groups = Array(repeating: [Int](), count: arms)
        for i in subset { groups[arm[i]].append(i) }
        return groups
    }
}
