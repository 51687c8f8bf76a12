/// The first stage of the analysis: one seeded split that every outcome model and every policy
/// of an analysis shares.
/// The seeded split every outcome model of one analysis shares: which units are held out,
/// each arm's training and validation units, and their covariates and outcomes gathered once
/// (contiguous, so every model reads its arm's rows in order instead of jumping across the drop).
public struct TLearnerSplit: Sendable {
    public var training: [Int]
    public var holdout: [Int]
    /// Per arm: the training units its model is fitted on, and the last `validationShare` of
    /// them, kept apart for tuning (unit indices, ascending).
    public var fitRows: [[Int]]
    public var validationRows: [[Int]]
    /// The same units' rows, in the same order.
    public var fitting: [LabeledRows]
    public var validation: [LabeledRows]
    /// The holdout units' covariates, row k = unit holdout[k].
    public var holdoutFeatures: FeatureMatrix
    /// The arm with the highest mean outcome on the training split: the uniform benchmark,
    /// never chosen on the evaluation data.
    public var bestUniformArm: Int

    /// `holdoutShare` of units to the holdout (seeded), `validationShare` of each arm's training
    /// units to its validation part.
    public init(data: ExperimentData, holdoutShare: Double = 0.3, validationShare: Double = 0.2, seed: UInt64 = 1) {
        var rng = SplitMix64(seed: seed)
        var training: [Int] = []
        var holdout: [Int] = []
        training.reserveCapacity(Int(Double(data.units) * (1 - holdoutShare)) + 64)
        holdout.reserveCapacity(Int(Double(data.units) * holdoutShare) + 64)
        for i in 0..<data.units {
            if rng.nextOpenUnit() < holdoutShare { holdout.append(i) } else { training.append(i) }
        }
        var fitRows: [[Int]] = []
        var validationRows: [[Int]] = []
        var trainMeans: [Double] = []
        for group in data.unitsByArm(training) {
            let cut = Int(Double(group.count) * (1 - validationShare))
            fitRows.append(Array(group[..<cut]))
            validationRows.append(Array(group[cut...]))
            trainMeans.append(
                group.isEmpty ? -.infinity : group.reduce(0) { $0 + data.outcome[$1] } / Double(group.count)
            )
        }
        self.training = training
        self.holdout = holdout
        self.fitRows = fitRows
        self.validationRows = validationRows
        self.bestUniformArm = trainMeans.indices.max { trainMeans[$0] < trainMeans[$1] } ?? 0
        self.holdoutFeatures = data.features.rows(holdout)
        self.fitting = fitRows.map { LabeledRows(data, rows: $0) }
        self.validation = validationRows.map { LabeledRows(data, rows: $0) }
    }
}

extension TLearnerSplit {
    /// Units per arm in the training split: the design the policy and the benchmark were chosen on.
    /// The training units no validation part holds (ascending): what the models are fitted on.
    public var fitUnits: [Int] { fitRows.flatMap { $0 }.sorted() }

    public var trainingSizes: [Double] {
        fitRows.indices.map { Double(fitRows[$0].count + validationRows[$0].count) }
    }
}
