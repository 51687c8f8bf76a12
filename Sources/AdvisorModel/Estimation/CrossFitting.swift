/// Doubly robust scores for units the scoring models never saw: the units are dealt into K
/// seeded folds and each fold is scored by per-arm models fitted on the other folds. A learner
/// that reads the scores (the policy tree) then never sees a unit's own outcome through its model.
public enum CrossFitting {
    /// Scores of `units` (indices into `data`, in that order). Each fold's models keep
    /// `validationShare` of their arm's units for tuning, as the T-learner does.
    public static func scores(
        data: ExperimentData,
        units: [Int],
        model: any OutcomeModel,
        folds: Int,
        validationShare: Double,
        seed: UInt64,
        shouldStop: () -> Bool = { false }
    ) throws -> DoublyRobustScores {
        let k = max(2, folds)
        var rng = SplitMix64(seed: seed ^ 0x5EED_F01D)
        let fold = units.map { _ in Int(rng.next() % UInt64(k)) }
        var predictions = [[Double]](repeating: [Double](repeating: 0, count: units.count), count: data.arms)
        for f in 0..<k {
            let inFold = units.indices.filter { fold[$0] == f }
            let others = units.indices.filter { fold[$0] != f }.map { units[$0] }
            let targets = data.features.rows(inFold.map { units[$0] })
            for (arm, group) in data.unitsByArm(others).enumerated() {
                if shouldStop() { throw ModelError.stopped }
                let cut = Int(Double(group.count) * (1 - validationShare))
                let fitted = try model.fit(
                    training: LabeledRows(data, rows: Array(group[..<cut])),
                    validation: LabeledRows(data, rows: Array(group[cut...]))
                )
                for (position, value) in zip(inFold, try fitted.predict(targets)) {
                    predictions[arm][position] = value
                }
            }
        }
        return DoublyRobustScores(data: data, units: units, predictions: predictions)
    }
}
