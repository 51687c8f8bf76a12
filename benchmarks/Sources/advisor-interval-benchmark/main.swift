import AdvisorModel
import AdvisorXGBoost
import Foundation

/// How often the verdict's 90% predictive interval holds the learned policy's true gain, and how
/// often prediction and realized gain agree, over seeds of designs with known truth (the same
/// stages as the analyzer, XGBoost T-learner). The true gain comes from the generator's h on the
/// holdout. Prints one JSON object per design. Run through benchmarks/interval.sh.
///
///     advisor-interval-benchmark SEEDS
typealias Stage = PostExperimentAnalysis

let seeds = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 30
let designs: [(label: String, truth: SyntheticExperiment, units: Int)] = [
    (
        "strong: σ 0.3, ρ 0.3, noise 0.5, 4 arms",
        SyntheticExperiment(sigma: 0.3, rho: 0.3, armMeans: [0, 0.01, 0.02, 0.03], noise: 0.5), 20_000
    ),
    (
        "moderate: σ 0.15, ρ 0.3, noise 0.5, 4 arms",
        SyntheticExperiment(sigma: 0.15, rho: 0.3, armMeans: [0, 0.01, 0.02, 0.03], noise: 0.5), 20_000
    ),
    (
        "weak: σ 0.05, ρ 0.3, noise 1, 4 arms",
        SyntheticExperiment(sigma: 0.05, rho: 0.3, armMeans: [0, 0.01, 0.02, 0.03], noise: 1), 20_000
    ),
    (
        "binary: σ 0.1, ρ 0.5, 3 arms",
        SyntheticExperiment(sigma: 0.1, rho: 0.5, armMeans: [0.3, 0.31, 0.32], noise: 0, binary: true), 30_000
    ),
]
var settings = AnalysisSettings()
settings.bootstrap = 200
for design in designs {
    var holds = 0
    var agrees = 0
    var widths: [Double] = []
    var errors: [Double] = []
    // σ̂_ε against the models' true error (RMS of ŷ_a − h_a over holdout units and arms), relative.
    var epsilonMisses: [Double] = []
    for seed in 1...seeds {
        settings.seed = UInt64(seed)
        let data = design.truth.generate(units: design.units, seed: 1_000 + UInt64(seed))
        let (split, fit, estimates, _, predicted) = try Stage.predictOne(
            data: data,
            model: BoostedTreesOutcomeModel(),
            name: "xgboost",
            settings: settings
        )
        let truth = design.truth.trueGain(data, fit: fit)
        if predicted.lower <= truth && truth <= predicted.upper { holds += 1 }
        if predicted.agrees { agrees += 1 }
        widths.append(predicted.upper - predicted.lower)
        errors.append(predicted.gain - truth)
        var squares = 0.0
        for (k, unit) in split.holdout.enumerated() {
            for a in 0..<data.arms {
                let h = design.truth.explained(data.features, row: unit, arm: a)
                let mean = design.truth.binary ? min(1, max(0, h)) : h
                squares += (fit.predictions[a][k] - mean) * (fit.predictions[a][k] - mean)
            }
        }
        let trueError = (squares / Double(split.holdout.count * data.arms)).squareRoot()
        epsilonMisses.append((estimates.sigmaEpsilon - trueError) / trueError)
    }
    let mean = { (x: [Double]) in x.reduce(0, +) / Double(x.count) }
    let rmse = mean(errors.map { $0 * $0 }).squareRoot()
    let line: [String: Any] = [
        "design": design.label, "seeds": seeds, "interval_holds_truth": holds, "agrees_with_realized": agrees,
        "mean_width": mean(widths), "mean_error": mean(errors), "rms_error": rmse,
        "sigma_epsilon_mean_relative_error": mean(epsilonMisses),
        "sigma_epsilon_largest_relative_miss": epsilonMisses.map(abs).max() ?? 0,
        "sigma_epsilon_misses_over_20_percent": epsilonMisses.filter { abs($0) > 0.2 }.count,
    ]
    print(String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self))
}
