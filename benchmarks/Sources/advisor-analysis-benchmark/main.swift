import AdvisorIngest
import AdvisorModel
import AdvisorFormats
import AdvisorReports
import AdvisorXGBoost
import Foundation

/// The post-experiment analysis of one data drop, stage by stage, for BENCHMARKS.md (issue 4).
/// Same steps and settings as `experiment-advisor analyze` with the default configuration, and
/// as benchmarks/analysis_pandas.py. Every stage is the median of three runs except the
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
    let parameters: BoostingParameters
    var xgboostSeconds = 0.0
    var rounds: [Int] = []

    init(parameters: BoostingParameters) { self.parameters = parameters }

    func fitAndPredict(training: LabeledRows, validation: LabeledRows, targets: FeatureMatrix) throws -> [Double] {
        let trainY = training.outcome.map(Float.init)
        let validY = validation.outcome.map(Float.init)
        let (predictions, spent) = try seconds { () throws -> [Float] in
            let model = try BoostedTrees(
                parameters: parameters,
                features: training.features,
                labels: trainY,
                validation: validation.features,
                validationLabels: validY
            )
            rounds.append(model.summary.rounds)
            return try model.predict(targets)
        }
        xgboostSeconds += spent
        return predictions.map(Double.init)
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
// As in PostExperimentAnalyzer: one split for both models, one bootstrap pass for both policies.
let (split, splitting) = medianSeconds {
    TLearnerSplit(
        data: data,
        holdoutShare: settings.holdoutShare,
        validationShare: settings.validationShare,
        seed: settings.seed
    )
}
let (fit, fitting) = try seconds { try TLearnerFit.fit(data: data, split: split, model: timed) }
let tlearner = splitting + fitting
let (ridgeFit, ridge) = try medianSeconds { try TLearnerFit.fit(data: data, split: split, model: RidgeOutcomeModel()) }
let (estimates, estimating) = medianSeconds {
    ParameterEstimates.estimate(
        data: data,
        holdout: fit.holdout,
        predictions: fit.predictions,
        bootstrap: settings.estimateBootstrap,
        seed: settings.seed
    )
}
let (evaluations, evaluating) = medianSeconds {
    PolicyEvaluation.evaluate(data: data, fits: [fit, ridgeFit], bootstrap: settings.bootstrap, seed: settings.seed)
}
let xgbEval = evaluations[0]
let ridgeEval = evaluations[1]
// Swift-only stages the Python pipeline does not have: the covariates that drive each policy,
let (_, driving) = medianSeconds {
    for predictions in [fit.predictions, ridgeFit.predictions] {
        _ = PostExperimentAnalyzer.drivers(
            features: split.holdoutFeatures,
            predictions: predictions,
            names: drop.covariateNames
        )
    }
}
// and the model side: the finite-sample prediction (both σ_ε) and the levers for the next test.
let (predicted, predicting) = try medianSeconds { () throws -> Double in
    var sizes = Array(repeating: 0.0, count: data.arms)
    for i in fit.training { sizes[data.arm[i]] += 1 }
    let sd = PostExperimentAnalyzer.standardDeviation(data.outcome)
    let design = SampleDesign(unitsPerArm: sizes, outcomeSD: sd)
    let p = ModelParameters(
        sigma: max(estimates.sigma, 1e-9),
        rho: estimates.rho,
        s: estimates.s,
        predictionError: estimates.predictionErrorRefined,
        arms: data.arms
    )
    let gain = try GainEngine(seed: settings.seed).gain(p, design: design).gain
    var paper = p
    paper.predictionError = estimates.predictionError
    _ = try GainEngine(seed: settings.seed).gain(paper, design: design)
    let proposal = Proposal(
        experiment: "bench",
        armCandidates: [data.arms],
        baseline: xgbEval.aipw.uniformValue,
        sampleSize: .eachArm(sizes),
        outcomeSD: sd,
        priors: .init(
            sigma: .fixed(p.sigma),
            rho: .fixed(p.rho),
            s: .fixed(p.s),
            predictionError: .fixed(p.predictionError)
        ),
        threshold: .absolute(0.001),
        seed: settings.seed
    )
    _ = try Predictor().predict(proposal)
    return gain
}

var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
let total = ingest + tlearner + ridge + estimating + evaluating + driving + predicting
let result: [String: Any] = [
    "rows": data.units, "arms": data.arms, "covariates": data.features.columns, "bytes": drop.bytesRead,
    "ingest_seconds": ingest, "ingest_mb_per_second": Double(drop.bytesRead) / 1e6 / ingest,
    "peak_rss_after_ingest_mib": Double(afterIngest.ru_maxrss) / 1024,
    "rss_at_start_mib": Double(atStart.ru_maxrss) / 1024, "numeric_data_mib": Double(numericBytes) / 1_048_576,
    "xgboost_seconds": timed.xgboostSeconds, "tlearner_other_seconds": tlearner - timed.xgboostSeconds,
    "ridge_seconds": ridge, "estimates_seconds": estimating, "evaluation_seconds": evaluating,
    "drivers_seconds": driving, "prediction_and_levers_seconds": predicting, "total_seconds": total,
    "outside_xgboost_seconds": total - timed.xgboostSeconds, "peak_rss_mib": Double(usage.ru_maxrss) / 1024,
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
