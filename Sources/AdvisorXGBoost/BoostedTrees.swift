import AdvisorModel
import CXGBoost
import Foundation

extension BoostingParameters {
    /// The parameters by XGBoost's names.
    var pairs: [(String, String)] {
        [
            ("objective", objective.rawValue), ("eval_metric", objective.metric), ("tree_method", "hist"),
            ("max_depth", "\(maxDepth)"), ("eta", "\(learningRate)"), ("subsample", "\(subsample)"),
            ("colsample_bytree", "\(columnSample)"), ("min_child_weight", "\(minChildWeight)"),
            ("lambda", "\(l2Penalty)"), ("seed", "\(seed % UInt64(Int32.max))"), ("nthread", "\(threads)"),
            ("verbosity", "0"),
        ]
    }
}

/// What training did: how many rounds it kept and the validation metric along the way.
public struct TrainingSummary: Sendable {
    /// Rounds whose trees the model uses (the best validation round + 1).
    public var rounds: Int
    public var validationMetric: String
    /// The metric after each round, on the validation part.
    public var validationScores: [Double]
}

/// One boosted-tree regressor (XGBoost through its C API), trained with early stopping on a
/// validation part. Not `Sendable`: it owns the booster, and is used by one synchronous
/// computation (fit, then predict) on one thread.
public final class BoostedTrees {
    private var booster: BoosterHandle
    private let parameters: BoostingParameters
    private var rounds = 0

    /// Fits on (`features`, `labels`), choosing the number of rounds on the validation part.
    public init(
        parameters: BoostingParameters,
        features: FeatureMatrix,
        labels: [Float],
        validation: FeatureMatrix,
        validationLabels: [Float]
    ) throws(XGBoostError) {
        precondition(features.columns == validation.columns, "train and validation columns differ")
        let train = try DMatrix(values: features.values, rows: features.rows, columns: features.columns, labels: labels)
        let valid = try DMatrix(
            values: validation.values,
            rows: validation.rows,
            columns: validation.columns,
            labels: validationLabels
        )
        var created: BoosterHandle?
        try xgbCall("XGBoosterCreate") {
            var caches: [DMatrixHandle?] = [train.handle, valid.handle]
            return caches.withUnsafeMutableBufferPointer { XGBoosterCreate($0.baseAddress, 2, &created) }
        }
        guard let created else { throw XGBoostError(call: "XGBoosterCreate", message: "no booster returned") }
        booster = created
        self.parameters = parameters
        for (name, value) in parameters.pairs {
            try xgbCall("XGBoosterSetParam(\(name))") { XGBoosterSetParam(created, name, value) }
        }
        summary = TrainingSummary(rounds: 0, validationMetric: parameters.objective.metric, validationScores: [])
        try boost(train, validation: valid)
        try compact()
    }

    /// A trained booster keeps its training buffers (quantized rows, histograms) as long as it
    /// lives, and a policy keeps its per-arm models after the analysis (23 arms: +70 MiB). So the
    /// model is saved to XGBoost's binary JSON and loaded into a fresh booster that holds only
    /// the trees and the objective; its predictions are the same to the bit.
    private func compact() throws(XGBoostError) {
        var length: bst_ulong = 0
        var bytes: UnsafePointer<CChar>?
        try xgbCall("XGBoosterSaveModelToBuffer") {
            XGBoosterSaveModelToBuffer(booster, #"{"format": "ubj"}"#, &length, &bytes)
        }
        guard let bytes else { throw XGBoostError(call: "XGBoosterSaveModelToBuffer", message: "no model returned") }
        var created: BoosterHandle?
        try xgbCall("XGBoosterCreate") { XGBoosterCreate(nil, 0, &created) }
        guard let fresh = created else { throw XGBoostError(call: "XGBoosterCreate", message: "no booster returned") }
        do {
            // `bytes` belongs to the old booster until its next call: load before freeing it.
            try xgbCall("XGBoosterLoadModelFromBuffer") { XGBoosterLoadModelFromBuffer(fresh, bytes, length) }
            for (name, value) in parameters.pairs where name == "nthread" || name == "verbosity" {
                try xgbCall("XGBoosterSetParam(\(name))") { XGBoosterSetParam(fresh, name, value) }
            }
        } catch {
            XGBoosterFree(fresh)
            throw error
        }
        XGBoosterFree(booster)
        booster = fresh
    }

    public private(set) var summary: TrainingSummary

    deinit { XGBoosterFree(booster) }

    private func boost(_ train: DMatrix, validation: DMatrix) throws(XGBoostError) {
        var best = (round: -1, score: Double.infinity)
        var scores: [Double] = []
        for round in 0..<parameters.maxRounds {
            try xgbCall("XGBoosterUpdateOneIter") { XGBoosterUpdateOneIter(booster, Int32(round), train.handle) }
            let score = try evaluate(round: round, validation)
            scores.append(score)
            if score < best.score - 1e-12 {
                best = (round, score)
            } else if round - best.round >= parameters.earlyStoppingRounds {
                break
            }
        }
        rounds = best.round + 1
        summary = TrainingSummary(
            rounds: rounds,
            validationMetric: parameters.objective.metric,
            validationScores: scores
        )
    }

    /// The validation metric after `round`, parsed from XGBoost's "[r]\tvalid-rmse:0.123".
    private func evaluate(round: Int, _ validation: DMatrix) throws(XGBoostError) -> Double {
        var text: UnsafePointer<CChar>?
        try xgbCall("XGBoosterEvalOneIter") {
            var handles: [DMatrixHandle?] = [validation.handle]
            return "valid".withCString { name in
                var names: [UnsafePointer<CChar>?] = [name]
                return handles.withUnsafeMutableBufferPointer { h in
                    names.withUnsafeMutableBufferPointer { n in
                        XGBoosterEvalOneIter(booster, Int32(round), h.baseAddress, n.baseAddress, 1, &text)
                    }
                }
            }
        }
        let line = text.map { String(cString: $0) } ?? ""
        guard let value = line.split(separator: ":").last.flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }),
            value.isFinite
        else {
            throw XGBoostError(call: "XGBoosterEvalOneIter", message: "unreadable evaluation '\(line)'")
        }
        return value
    }

    /// The rounds whose trees predictions use.
    public var roundsUsed: Int { rounds }

    /// The model in XGBoost's own JSON format (loadable by any XGBoost, and by `init(json:)`).
    public func json() throws(XGBoostError) -> String {
        var length: bst_ulong = 0
        var bytes: UnsafePointer<CChar>?
        try xgbCall("XGBoosterSaveModelToBuffer") {
            XGBoosterSaveModelToBuffer(booster, #"{"format": "json"}"#, &length, &bytes)
        }
        guard let bytes else { throw XGBoostError(call: "XGBoosterSaveModelToBuffer", message: "no model returned") }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: Int(length)), as: UTF8.self)
    }

    /// A model read back from `json()`, predicting with its first `rounds` rounds.
    public init(json: String, rounds: Int, threads: Int = 0) throws(XGBoostError) {
        var created: BoosterHandle?
        try xgbCall("XGBoosterCreate") { XGBoosterCreate(nil, 0, &created) }
        guard let created else { throw XGBoostError(call: "XGBoosterCreate", message: "no booster returned") }
        booster = created
        var parameters = BoostingParameters()
        parameters.threads = threads
        self.parameters = parameters
        self.rounds = rounds
        summary = TrainingSummary(rounds: rounds, validationMetric: "", validationScores: [])
        let bytes = Array(json.utf8)
        try xgbCall("XGBoosterLoadModelFromBuffer") {
            bytes.withUnsafeBytes { XGBoosterLoadModelFromBuffer(created, $0.baseAddress, bst_ulong($0.count)) }
        }
        try xgbCall("XGBoosterSetParam(nthread)") { XGBoosterSetParam(created, "nthread", "\(threads)") }
    }

    /// Predictions (probabilities for the logistic objective) with the trees of the best round.
    public func predict(_ features: FeatureMatrix) throws(XGBoostError) -> [Float] {
        guard features.rows > 0 else { return [] }
        let matrix = try DMatrix(values: features.values, rows: features.rows, columns: features.columns)
        let config =
            #"{"type": 0, "training": false, "iteration_begin": 0, "iteration_end": \#(rounds), "strict_shape": false}"#
        var shape: UnsafePointer<bst_ulong>?
        var dimension: bst_ulong = 0
        var result: UnsafePointer<Float>?
        try xgbCall("XGBoosterPredictFromDMatrix") {
            XGBoosterPredictFromDMatrix(booster, matrix.handle, config, &shape, &dimension, &result)
        }
        guard let result else { throw XGBoostError(call: "XGBoosterPredictFromDMatrix", message: "no predictions") }
        // XGBoost owns `result` until the next call on this booster: copy it out now.
        return Array(UnsafeBufferPointer(start: result, count: features.rows))
    }
}
