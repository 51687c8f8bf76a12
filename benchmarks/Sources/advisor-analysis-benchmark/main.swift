import AdvisorFormats
import AdvisorIngest
import AdvisorModel
import AdvisorXGBoost
import Foundation

/// The post-experiment analysis of one data drop, stage by stage, for BENCHMARKS.md: the shipped
/// stages of `PostExperimentAnalysis` with the default configuration, timed one by one, against
/// benchmarks/analysis_pandas.py. Every stage is the median of three runs except the
/// T-learner's fit, which interleaves XGBoost with the gathering around it and runs once.
/// Prints one JSON object. Run through benchmarks/analysis.sh.

func seconds<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    let value = try body()
    return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}

/// The median time of three runs (this shared VM's timing noise is ±20% and more), and the
/// last run's value. The Python pipeline times its stages the same way.
func medianSeconds<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    var times: [Double] = []
    var last: T?
    for _ in 0..<3 {
        last = nil  // so two runs' results are never held at once (peak memory)
        let (value, spent) = try seconds(body)
        times.append(spent)
        last = value
    }
    guard let last else { preconditionFailure("three runs") }
    return (last, times.sorted()[1])
}

/// Boosted trees with the time inside XGBoost (matrix creation, training, prediction) kept
/// apart from the rest (gathering each arm's rows, converting labels and predictions).
final class TimedBoostedTrees: OutcomeModel {
    let model: BoostedTreesOutcomeModel
    var xgboostSeconds = 0.0
    var rounds: [Int] = []

    init(parameters: BoostingParameters) { model = BoostedTreesOutcomeModel(parameters: parameters) }

    func fit(training: LabeledRows, validation: LabeledRows) throws -> any FittedOutcomeModel {
        let (fitted, spent) = try seconds { try model.fit(training: training, validation: validation) }
        xgboostSeconds += spent
        if let trees = fitted as? FittedBoostedTrees { rounds.append(trees.trees.summary.rounds) }
        return Timed(fitted: fitted, owner: self)
    }

    /// Counts the time of each prediction too.
    struct Timed: FittedOutcomeModel {
        let fitted: any FittedOutcomeModel
        let owner: TimedBoostedTrees

        func predict(_ features: FeatureMatrix) throws -> [Double] {
            let (predictions, spent) = try seconds { try fitted.predict(features) }
            owner.xgboostSeconds += spent
            return predictions
        }
    }
}

guard CommandLine.arguments.count > 1 else {
    FileHandle.standardError.write(Data("usage: advisor-analysis-benchmark DATA.csv\n".utf8))
    exit(2)
}
let path = CommandLine.arguments[1]
var atStart = rusage()
getrusage(RUSAGE_SELF.rawValue, &atStart)
var limits = IngestLimits()
limits.maxBytes = 1 << 40
let settings = AnalysisSettings()
// Ingest three times (the machine's timing noise is large); the median counts.
// The memory figure is taken after the first read, before a second drop exists.
var ingestTimes: [Double] = []
var lastDrop: DataDrop?
var afterIngest = rusage()
for k in 0..<3 {
    lastDrop = nil
    let (read, spent) = try seconds { try CSVDataFile.read(path: path, manifest: DataManifest(), limits: limits) }
    ingestTimes.append(spent)
    lastDrop = read
    if k == 0 { getrusage(RUSAGE_SELF.rawValue, &afterIngest) }
}
guard let drop = lastDrop else { exit(1) }
let ingest = ingestTimes.sorted()[1]
let data = drop.data
// The numbers the drop holds: Float covariates, Double outcome and propensity, Int arm per row.
let numericBytes = data.units * (data.features.columns * 4 + 8 + 8 + 8)

var boosting = BoostingParameters()
boosting.objective = drop.binaryOutcome ? .logistic : .squaredError
boosting.seed = settings.seed
let timed = TimedBoostedTrees(parameters: boosting)
typealias Stage = PostExperimentAnalysis
// The analyzer's stages in its order: one split for both models, one bootstrap pass for both policies.
let (split, splitting) = medianSeconds { Stage.split(data, settings: settings) }
let (fits, fitting) = try seconds {
    try Stage.fitOutcomeModels(split: split, models: [("xgboost-t-learner", timed)])
}
let fit = fits[0]
let tlearner = splitting + fitting
// XGBoost's share of the fit; the trees stage predicts with the same models later, on its own clock.
let xgboostFitSeconds = timed.xgboostSeconds
let (ridgeFits, ridge) = try medianSeconds {
    try Stage.fitOutcomeModels(split: split, models: [("ridge-t-learner", RidgeOutcomeModel())])
}
// The model's variance for σ̂_ε: two half-size refits per arm (Swift only; XGBoost on its own clock).
let (variance, modelErroring) = try seconds {
    try Stage.modelVariance(data: data, split: split, model: BoostedTreesOutcomeModel(parameters: boosting))
}
let (estimates, estimating) = medianSeconds {
    Stage.estimate(data: data, fit: fit, settings: settings, modelVariance: variance)
}
let candidates = Stage.policies(data: data, fits: [fit] + ridgeFits)
let (evaluations, evaluating) = medianSeconds {
    PolicyEvaluation.evaluate(
        candidates.map { ($0.assignment, $0.scores) },
        uniformArm: split.bestUniformArm,
        arms: data.arms,
        bootstrap: settings.bootstrap,
        seed: settings.seed
    )
}
let xgbEval = evaluations[0]
let ridgeEval = evaluations[1]
// Swift-only stages the Python pipeline does not have: the covariates that drive each policy,
let (_, driving) = medianSeconds {
    for candidate in candidates {
        _ = PostExperimentVerdict.Driver.ranked(
            features: split.holdoutFeatures,
            predictions: candidate.predictions ?? [],
            names: drop.covariateNames
        )
    }
}
// the policy tree (cross-fitted ridge scores, binned depth-2 search) and the distilled tree,
let (_, treeing) = try medianSeconds { try Stage.trees(data: data, split: split, primary: fit, settings: settings) }
// and the model side: the finite-sample prediction (both σ_ε) and the levers for the next test.
let results = Stage.evaluate(
    data: data,
    split: split,
    candidates: Array(candidates.prefix(1)),
    covariateNames: [],
    settings: settings
)
let realized = Stage.realizedGain(results[0], confidence: settings.confidence)
let (predicted, predicting) = try medianSeconds { () throws -> Double in
    let design = Stage.design(
        trainingSizes: split.trainingSizes,
        outcomeSD: PostExperimentAnalyzer.standardDeviation(data.outcome)
    )
    let gain = try Stage.predictedGain(
        arms: data.arms,
        design: design,
        estimates: estimates,
        realized: realized,
        policy: results[0].name,
        settings: settings
    )
    _ = try Stage.nextTest(
        experiment: "bench",
        armNames: data.armNames,
        design: design,
        estimates: estimates,
        uniformValue: realized.uniformValue,
        threshold: settings.relativeThreshold * abs(realized.uniformValue),
        settings: settings,
        prediction: PredictionSettings()
    )
    return gain.gain
}

var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
let total = ingest + tlearner + ridge + modelErroring + estimating + evaluating + driving + treeing + predicting
let result: [String: Any] = [
    "rows": data.units, "arms": data.arms, "covariates": data.features.columns, "bytes": drop.bytesRead,
    "ingest_seconds": ingest, "ingest_mb_per_second": Double(drop.bytesRead) / 1e6 / ingest,
    "peak_rss_after_ingest_mib": Double(afterIngest.ru_maxrss) / 1024,
    "rss_at_start_mib": Double(atStart.ru_maxrss) / 1024, "numeric_data_mib": Double(numericBytes) / 1_048_576,
    "xgboost_seconds": xgboostFitSeconds, "tlearner_other_seconds": tlearner - xgboostFitSeconds,
    "ridge_seconds": ridge, "estimates_seconds": estimating, "evaluation_seconds": evaluating,
    "drivers_seconds": driving, "model_error_seconds": modelErroring, "policy_trees_seconds": treeing,
    "prediction_and_levers_seconds": predicting,
    "total_seconds": total,
    "outside_xgboost_seconds": total - xgboostFitSeconds, "peak_rss_mib": Double(usage.ru_maxrss) / 1024,
    "mean_rounds": Double(timed.rounds.reduce(0, +)) / Double(max(timed.rounds.count, 1)),
    "sigma": estimates.sigma, "sigma_se": estimates.standardErrors?.sigma ?? 0, "rho": estimates.rho,
    "rho_se": estimates.standardErrors?.rho ?? 0, "s": estimates.s, "prediction_error": estimates.predictionError,
    "prediction_error_se": estimates.standardErrors?.predictionError ?? 0,
    "realized_gain": xgbEval.aipw.gain, "realized_gain_se": xgbEval.aipw.standardError,
    "ipw_gain": xgbEval.ipw.gain, "ipw_gain_se": xgbEval.ipw.standardError,
    "ridge_realized_gain": ridgeEval.aipw.gain, "predicted_gain": predicted,
]
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
