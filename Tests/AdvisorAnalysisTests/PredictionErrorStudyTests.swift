import AdvisorModel
import AdvisorXGBoost
import Foundation
import Testing

/// Does σ̂_ε measure the learned model's error, and does the prediction built on it track the
/// learned policy's gain? Designs with known truth, run through the shipped stages: the true
/// model error is the RMS of ŷ_a(x) − h_a(x) over holdout units and arms, and the true gain is
/// the policy's gain over the chosen arm computed from the generator's h on the holdout, so no
/// IPW noise blurs either. The table is the one in EstimatingParameters.md ("Which σ_ε predicts
/// the realized gain"), and the test holds it to the last printed digit.
@Suite("σ_ε study")
struct PredictionErrorStudyTests {
    struct Row {
        var sigma: Double, rho: Double, noise: Double, units: Int, arms: Int, binary = false
        /// Strong signal: the learned policy's gain is far from zero (the accuracy target).
        var strong: Bool
        /// As the article prints them: true error, σ̂_ε; true gain, predicted with σ̂_ε, its 90%
        /// interval, with the paper's σ_ε, with the within-cell σ_ε.
        var documented:
            (
                error: Double, estimate: Double, truth: Double, gain: Double, lower: Double, upper: Double,
                paper: Double, refined: Double
            )
    }

    static let rows = [
        Row(
            sigma: 0.3,
            rho: 0.3,
            noise: 0.5,
            units: 20_000,
            arms: 4,
            strong: true,
            documented: (0.090, 0.085, 0.239, 0.240, 0.221, 0.260, 0.109, 0.254)
        ),
        Row(
            sigma: 0.3,
            rho: 0.7,
            noise: 0.5,
            units: 20_000,
            arms: 4,
            strong: true,
            documented: (0.089, 0.075, 0.133, 0.153, 0.136, 0.169, 0.049, 0.168)
        ),
        Row(
            sigma: 0.3,
            rho: 0.3,
            noise: 1.0,
            units: 20_000,
            arms: 4,
            strong: true,
            documented: (0.148, 0.147, 0.233, 0.206, 0.170, 0.242, 0.051, 0.240)
        ),
        Row(
            sigma: 0.3,
            rho: 0.3,
            noise: 0.5,
            units: 8_000,
            arms: 8,
            strong: true,
            documented: (0.157, 0.124, 0.274, 0.231, 0.180, 0.282, 0.082, 0.265)
        ),
        Row(
            sigma: 0.05,
            rho: 0.3,
            noise: 1.0,
            units: 20_000,
            arms: 4,
            strong: false,
            documented: (0.131, 0.136, -0.006, -0.006, -0.037, 0.025, -0.013, -0.002)
        ),
        Row(
            sigma: 0.1,
            rho: 0.5,
            noise: 0,
            units: 30_000,
            arms: 3,
            binary: true,
            strong: true,
            documented: (0.048, 0.045, 0.039, 0.039, 0.029, 0.049, -0.001, 0.047)
        ),
        Row(
            sigma: 0.03,
            rho: 0.5,
            noise: 0,
            units: 30_000,
            arms: 3,
            binary: true,
            strong: false,
            documented: (0.052, 0.065, -0.004, -0.002, -0.009, 0.004, -0.007, -0.000)
        ),
        Row(
            sigma: 0.1,
            rho: 0.3,
            noise: 1.0,
            units: 20_000,
            arms: 10,
            strong: false,
            documented: (0.187, 0.267, 0.008, -0.015, -0.071, 0.041, -0.032, 0.004)
        ),
    ]

    @Test("σ̂_ε is the model's error within 20%; the prediction holds within 25% where the signal is strong")
    func study() throws {
        typealias Stage = PostExperimentAnalysis
        var settings = AnalysisSettings()
        settings.seed = 7
        settings.bootstrap = 20
        var lines: [String] = []
        for (index, row) in Self.rows.enumerated() {
            let truth = SyntheticExperiment(
                sigma: row.sigma,
                rho: row.rho,
                armMeans: (0..<row.arms).map { (row.binary ? 0.3 : 0) + 0.01 * Double($0) },
                noise: row.noise,
                binary: row.binary
            )
            let data = truth.generate(units: row.units, seed: 40 + UInt64(index))
            let (split, fit, estimates, _, predicted) = try Stage.predictOne(
                data: data,
                model: BoostedTreesOutcomeModel(),
                name: "xgboost",
                settings: settings
            )
            // The true error of the models the policy uses: every arm's model at every holdout unit.
            var squares = 0.0
            for (k, unit) in split.holdout.enumerated() {
                for a in 0..<row.arms {
                    let h = truth.explained(data.features, row: unit, arm: a)
                    let mean = row.binary ? min(1, max(0, h)) : h
                    squares += pow(fit.predictions[a][k] - mean, 2)
                }
            }
            let trueError = (squares / Double(split.holdout.count * row.arms)).squareRoot()
            let trueGain = truth.trueGain(data, fit: fit)
            let estimate = try #require(estimates.modelError).predictionError
            let label = "row \(index + 1)"
            lines.append(
                String(
                    format: "%@: error %.3f est %.3f | gain %.3f pred %.3f [%.3f, %.3f] paper %.3f refined %.3f",
                    label,
                    trueError,
                    estimate,
                    trueGain,
                    predicted.gain,
                    predicted.lower,
                    predicted.upper,
                    predicted.gainWithPaperPredictionError,
                    predicted.gainWithRefinedPredictionError
                )
            )
            // The article prints three decimals: half a unit of the last one, plus a hair.
            let printed = 0.00051
            let d = row.documented
            for (value, documented) in [
                (trueError, d.error), (estimate, d.estimate), (trueGain, d.truth), (predicted.gain, d.gain),
                (predicted.lower, d.lower), (predicted.upper, d.upper),
                (predicted.gainWithPaperPredictionError, d.paper),
                (predicted.gainWithRefinedPredictionError, d.refined),
            ] {
                #expect(abs(value - documented) < printed, "\(label): \(value) printed as \(documented)")
            }
            // 25% with signal: over 30 seeds of each of the interval benchmark's designs with
            // signal the largest miss is 21% (BENCHMARKS.md). 75% without: where the models track
            // almost no signal the bias part rests on the floored Q − V, and the weak design's
            // largest miss over 30 seeds is 69% (high, where it costs nothing: no gain is predicted).
            let tolerance = row.strong ? 0.25 : 0.75
            #expect(
                abs(estimate - trueError) <= tolerance * trueError,
                "\(label): σ̂_ε \(estimate), true \(trueError)"
            )
            // The paper's σ_ε counts the outcome noise as model error: several times too large.
            #expect(estimates.predictionError > 2.5 * trueError, "\(label)")
            if row.strong {
                #expect(abs(predicted.gain - trueGain) <= 0.25 * trueGain, "\(label): \(predicted.gain) vs \(trueGain)")
                // Not an interval that covers by being wide: above zero, narrower than 60% of the
                // gain (the widest here is 51%, the binary design's).
                #expect(predicted.lower > 0 && predicted.upper - predicted.lower < 0.6 * predicted.gain, "\(label)")
            } else {
                #expect(predicted.lower < 0 && predicted.upper > 0, "\(label): no signal, no predicted gain")
            }
        }
        print(lines.joined(separator: "\n"))
    }
}
