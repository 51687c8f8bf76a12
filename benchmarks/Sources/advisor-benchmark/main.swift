import AdvisorModel
import AdvisorFormats
import AdvisorReports
import Foundation

/// Benchmarks for BENCHMARKS.md. Run through benchmarks/engine.sh, which also runs the numpy
/// baseline in the same session and prints the ratios. Prints one JSON object.

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func median(_ x: [Double]) -> Double { x.sorted()[x.count / 2] }

let proposalPath = CommandLine.arguments.dropFirst().first ?? "benchmarks/penn-geisinger-priors.yaml"

// (b) cold: the very first engine call in this process, which builds the e_m table. Measured
// before anything else so no earlier work has warmed it.
let penn = ModelParameters(sigma: 0.267, rho: 0.80, s: 0.007, predictionError: 0.39, arms: 20)
let engine = GainEngine()
var exactGain = 0.0
let firstCall = try seconds { exactGain = try engine.gain(penn).gain }

// (a) A full predict report: parse, 4000 prior draws, all levers, arm curve, elasticities, render.
var reportTimes: [Double] = []
var draws = 0
for _ in 0..<15 {
    reportTimes.append(
        try seconds {
            let proposal = try ProposalFile.load(path: proposalPath)
            let prediction = try Predictor().predict(proposal)
            draws = prediction.gain.draws
            _ = PredictionReport.text(prediction)
            _ = try PredictionReport.json(prediction)
        }
    )
}

// (b) warm: the exact engine at Penn-Geisinger parameters; its standard error is 0 after one call.
let calls = 100_000
let perCall = try seconds { for _ in 0..<calls { exactGain = try engine.gain(penn).gain } } / Double(calls)
let paperFinite = try engine.paperAlgorithm(penn, individuals: 5000).gain

// (c) The Swift literal simulator at n = 5000, R = 200 (same as the numpy run).
var simulated: LiteralSimulator.Result?
let simTimes = try (0..<3).map { _ in
    try seconds {
        simulated = try LiteralSimulator(parameters: penn, individuals: 5000, replications: 200, seed: 1).run()
    }
}

let result: [String: Any] = [
    "report_seconds_median": median(reportTimes), "report_seconds_max": reportTimes.max() ?? 0,
    "report_prior_draws": draws,
    "exact_gain": exactGain, "exact_first_call_seconds": firstCall, "exact_seconds_per_call": perCall,
    "exact_paper_algorithm_n5000": paperFinite,
    "simulator_seconds_median": median(simTimes), "simulator_mean_gain": simulated?.meanGain ?? 0,
    "simulator_standard_error": simulated?.standardError ?? 0,
]
let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: data, as: UTF8.self))
