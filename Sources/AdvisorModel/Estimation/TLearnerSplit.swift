/// The seeded split every outcome model of one analysis shares: which units are held out,
/// each arm's training and validation units, and their covariates and outcomes (contiguous, so
/// every model reads its arm's rows in order instead of jumping across the drop).
public struct TLearnerSplit: Sendable {
    public var training: [Int]
    public var holdout: [Int]
    /// Per arm: the training units its model is fitted on, and about `validationShare` of
    /// them kept apart for tuning (unit indices, ascending).
    public var fitRows: [[Int]]
    public var validationRows: [[Int]]
    /// The validation units' rows, in the same order (small, and read again by every refit).
    public var validation: [LabeledRows]
    /// The drop's covariates and outcomes (the caller's buffers, shared, not copied): an arm's
    /// fitting rows are gathered from them when a model asks (`fitting(_:)`) and freed after,
    /// so a 10-million-unit drop does not hold a second copy of 70% of its covariates.
    let source: LabeledRows
    /// The holdout units' covariates, row k = unit holdout[k].
    public var holdoutFeatures: FeatureMatrix
    /// The arm with the highest mean outcome on the training split: the uniform benchmark,
    /// never chosen on the evaluation data.
    public var bestUniformArm: Int

    /// Each unit's part is fixed by a seeded hash of its key (its unit id, else its row
    /// number): the holdout when the hash's uniform is below `holdoutShare`, the validation part
    /// of its arm when below `holdoutShare + (1 − holdoutShare)·validationShare`, else the units
    /// its arm's model is fitted on. Per unit and not per row order, so a Spark job computing
    /// the same hash (`partDraw`; spark/advisor_job.py) places every unit alike, however the
    /// rows are ordered or partitioned; the parts' sizes are then binomial rather than exact.
    public init(data: ExperimentData, holdoutShare: Double = 0.3, validationShare: Double = 0.2, seed: UInt64 = 1) {
        let seedKey = Self.seedKey(seed)
        let validationBound = holdoutShare + (1 - holdoutShare) * validationShare
        var training: [Int] = []
        var holdout: [Int] = []
        var isValidation = [Bool](repeating: false, count: data.units)
        training.reserveCapacity(Int(Double(data.units) * (1 - holdoutShare)) + 64)
        holdout.reserveCapacity(Int(Double(data.units) * holdoutShare) + 64)
        for i in 0..<data.units {
            let u = Self.partDraw(key: data.unitKey(i), seedKey: seedKey)
            if u < holdoutShare {
                holdout.append(i)
            } else {
                training.append(i)
                isValidation[i] = u < validationBound
            }
        }
        var fitRows: [[Int]] = []
        var validationRows: [[Int]] = []
        var trainMeans: [Double] = []
        for group in data.unitsByArm(training) {
            fitRows.append(group.filter { !isValidation[$0] })
            validationRows.append(group.filter { isValidation[$0] })
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
        self.source = LabeledRows(features: data.features, outcome: data.outcome)
        self.validation = validationRows.map { LabeledRows(data, rows: $0) }
    }
}

extension TLearnerSplit {
    /// The split seed as the hash's seed: Spark's `xxhash64` of the seed as a long.
    public static func seedKey(_ seed: UInt64) -> UInt64 {
        XXHash64.hash(Int64(bitPattern: seed), seed: XXHash64.sparkSeed)
    }

    /// A unit's uniform draw in [0, 1): the top 53 bits of `xxhash64(seed, key)` as Spark
    /// computes `xxhash64(lit(seed), xxhash64(unit_id))` (the second column hashed with the
    /// first's hash as its seed).
    @inline(__always)
    public static func partDraw(key: UInt64, seedKey: UInt64) -> Double {
        let h = XXHash64.hash(Int64(bitPattern: key), seed: seedKey)
        return Double(h >> 11) * 0x1p-53
    }

    /// Arm a's fitting units' covariates and outcomes, in `fitRows[a]` order: gathered on each
    /// call (about a second for all arms of 10 million units, against a model fit's minutes).
    public func fitting(_ arm: Int) -> LabeledRows {
        LabeledRows(
            features: source.features.rows(fitRows[arm]),
            outcome: fitRows[arm].map { source.outcome[$0] }
        )
    }

    /// The training units no validation part holds (ascending): what the models are fitted on.
    public var fitUnits: [Int] { fitRows.flatMap { $0 }.sorted() }

    /// Units per arm in the training split: the design the policy and the benchmark were chosen on.
    public var trainingSizes: [Double] {
        fitRows.indices.map { Double(fitRows[$0].count + validationRows[$0].count) }
    }
}
