/// Fits one outcome model per arm on the training units of that arm (a T-learner) and predicts
/// every holdout unit under every arm. The model is pluggable: ridge regression here, boosted
/// trees in AdvisorXGBoost.
public protocol OutcomeModel {
    /// Fits on `training` (tuning, e.g. early stopping, on `validation`) and returns one
    /// prediction per row of `targets`.
    func fitAndPredict(training: LabeledRows, validation: LabeledRows, targets: FeatureMatrix) throws -> [Double]
}

/// Covariate rows with their outcomes, contiguous: what one arm's model learns from. The
/// T-learner gathers them once per arm, so a model reads its units in order instead of
/// jumping across the whole drop (every 23rd row, a cache miss each).
public struct LabeledRows: Sendable {
    public var features: FeatureMatrix
    public var outcome: [Double]

    public init(features: FeatureMatrix, outcome: [Double]) {
        precondition(features.rows == outcome.count, "one outcome per row")
        self.features = features
        self.outcome = outcome
    }

    /// `rows` of `data`, in that order.
    public init(_ data: ExperimentData, rows: [Int]) {
        self.init(features: data.features.rows(rows), outcome: rows.map { data.outcome[$0] })
    }

    public var count: Int { outcome.count }
}

/// Ridge regression as an outcome model (the "simpler policy"); it needs no validation part.
public struct RidgeOutcomeModel: OutcomeModel, Sendable {
    public var lambda: Double
    public init(lambda: Double = 1e-3) { self.lambda = lambda }

    public func fitAndPredict(training: LabeledRows, validation: LabeledRows, targets: FeatureMatrix) -> [Double] {
        RidgeRegression(parts: [training, validation], lambda: lambda).predict(targets)
    }
}

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

/// The seeded split and the T-learner's predictions on the holdout.
public struct TLearnerFit: Sendable {
    public var training: [Int]
    public var holdout: [Int]
    /// predictions[a][k]: arm a's model at the k-th holdout unit.
    public var predictions: [[Double]]
    /// The arm with the highest mean outcome on the training split: the uniform benchmark,
    /// never chosen on the evaluation data.
    public var bestUniformArm: Int
    /// The policy: each holdout unit's arm with the highest prediction.
    public var assignment: [Int]

    /// Splits `data` (`holdoutShare` of units to the holdout, seeded), fits `model` per arm
    /// (with `validationShare` of each arm's training units for its tuning), predicts.
    public static func fit(
        data: ExperimentData,
        model: some OutcomeModel,
        holdoutShare: Double = 0.3,
        validationShare: Double = 0.2,
        seed: UInt64 = 1,
        shouldStop: () -> Bool = { false }
    ) throws -> TLearnerFit {
        let split = TLearnerSplit(data: data, holdoutShare: holdoutShare, validationShare: validationShare, seed: seed)
        return try fit(data: data, split: split, model: model, shouldStop: shouldStop)
    }

    /// Fits `model` per arm on a split shared with other models. `shouldStop` is polled before
    /// each arm's model (`ModelError.stopped`).
    public static func fit(
        data: ExperimentData,
        split: TLearnerSplit,
        model: some OutcomeModel,
        shouldStop: () -> Bool = { false }
    ) throws -> TLearnerFit {
        var predictions: [[Double]] = []
        for arm in split.fitRows.indices {
            if shouldStop() { throw ModelError.stopped }
            predictions.append(
                try model.fitAndPredict(
                    training: split.fitting[arm],
                    validation: split.validation[arm],
                    targets: split.holdoutFeatures
                )
            )
        }
        return TLearnerFit(
            training: split.training,
            holdout: split.holdout,
            predictions: predictions,
            bestUniformArm: split.bestUniformArm,
            assignment: Self.argmax(predictions, count: split.holdout.count)
        )
    }

    /// Per holdout unit, the arm with the highest prediction (the first on ties), sweeping one
    /// arm's column at a time so every read is sequential.
    static func argmax(_ predictions: [[Double]], count: Int) -> [Int] {
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
