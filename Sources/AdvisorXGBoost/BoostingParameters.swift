/// Settings of one boosted-tree outcome model. The defaults are the ones the benchmark's Python
/// pipeline uses too, so both fit the same models.
public struct BoostingParameters: Sendable, Hashable {
    public enum Objective: String, Sendable, Hashable {
        /// Continuous outcomes: squared error, validation metric RMSE.
        case squaredError = "reg:squarederror"
        /// 0/1 outcomes: log loss, predictions are probabilities.
        case logistic = "binary:logistic"

        /// The validation metric early stopping watches.
        public var metric: String { self == .logistic ? "logloss" : "rmse" }
    }

    public var objective: Objective = .squaredError
    public var maxDepth = 4
    public var learningRate = 0.1
    public var subsample = 0.8
    public var columnSample = 0.8
    public var minChildWeight = 1.0
    public var l2Penalty = 1.0
    public var maxRounds = 300
    /// Training stops when the validation metric has not improved for this many rounds; the
    /// model then predicts with the best round's trees.
    public var earlyStoppingRounds = 20
    public var seed: UInt64 = 20_240_601
    /// 0: all cores.
    public var threads = 0

    public init() {}
}
