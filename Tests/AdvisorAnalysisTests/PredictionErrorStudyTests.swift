import AdvisorModel
import AdvisorXGBoost
import Testing

/// Which σ_ε makes the model's finite-sample prediction track the realized gain? Designs with
/// known truth; the "true gain" is the learned policy's gain over the chosen arm computed from the
/// generator's h on the holdout, so no IPW noise blurs the comparison. The table is the one in
/// EstimatingParameters.md ("Which σ_ε predicts the realized gain"), run through the shipped
/// stages, and held to it.
@Suite("σ_ε study")
struct PredictionErrorStudyTests {
    struct Row {
        var sigma: Double, rho: Double, noise: Double, units: Int, arms: Int
        /// As the article prints them: true gain, predicted with the paper's σ_ε, with the refined σ_ε.
        var documented: (truth: Double, paper: Double, refined: Double)
    }

    static let rows = [
        Row(sigma: 0.3, rho: 0.3, noise: 0.5, units: 20_000, arms: 4, documented: (0.236, 0.108, 0.253)),
        Row(sigma: 0.3, rho: 0.7, noise: 0.5, units: 20_000, arms: 4, documented: (0.138, 0.046, 0.164)),
        Row(sigma: 0.15, rho: 0.3, noise: 0.5, units: 20_000, arms: 4, documented: (0.120, 0.015, 0.097)),
        Row(sigma: 0.3, rho: 0.3, noise: 1.0, units: 20_000, arms: 4, documented: (0.208, 0.043, 0.223)),
        Row(sigma: 0.3, rho: 0.3, noise: 0.5, units: 8_000, arms: 8, documented: (0.263, 0.115, 0.311)),
        Row(sigma: 0.2, rho: 0.5, noise: 0.3, units: 30_000, arms: 3, documented: (0.105, 0.043, 0.112)),
    ]

    @Test("The refined σ_ε predicts the learned policy's gain within 20% per design; the paper's under-predicts")
    func study() throws {
        typealias Stage = PostExperimentAnalysis
        var settings = AnalysisSettings()
        settings.seed = 7
        settings.bootstrap = 20
        var errors = (paper: 0.0, refined: 0.0)
        for (index, row) in Self.rows.enumerated() {
            let truth = SyntheticExperiment(
                sigma: row.sigma,
                rho: row.rho,
                armMeans: (0..<row.arms).map { 0.01 * Double($0) },
                noise: row.noise
            )
            let data = truth.generate(units: row.units, seed: 40 + UInt64(index))
            let split = Stage.split(data, settings: settings)
            let fit = try #require(
                try Stage.fitOutcomeModels(split: split, models: [("xgboost", BoostedTreesOutcomeModel())]).first
            )
            var estimateSettings = settings
            estimateSettings.estimateBootstrap = 0
            let estimates = Stage.estimate(data: data, fit: fit, settings: estimateSettings)
            let trueGain = truth.trueGain(data, fit: fit)
            let results = Stage.evaluate(
                data: data,
                split: split,
                candidates: Stage.policies(data: data, fits: [fit]),
                covariateNames: [],
                settings: settings
            )
            let predicted = try Stage.predictedGain(
                data: data,
                split: split,
                estimates: estimates,
                realized: Stage.realizedGain(results[0], confidence: 0.95),
                settings: settings
            )
            // The article prints three decimals: half a unit of the last one, plus a hair.
            let printed = 0.00051
            #expect(abs(trueGain - row.documented.truth) < printed, "row \(index + 1) truth \(trueGain)")
            #expect(abs(predicted.gainWithPaperPredictionError - row.documented.paper) < printed, "row \(index + 1)")
            #expect(
                abs(predicted.gain - row.documented.refined) < printed,
                "row \(index + 1) refined \(predicted.gain)"
            )
            // "Within about 20%, erring on both sides" for the refined σ_ε; 2–8x under for the paper's.
            #expect(abs(predicted.gain - trueGain) <= 0.2 * trueGain, "row \(index + 1)")
            #expect(predicted.gainWithPaperPredictionError < 0.5 * trueGain, "row \(index + 1)")
            errors.paper += abs(predicted.gainWithPaperPredictionError - trueGain) / Double(Self.rows.count)
            errors.refined += abs(predicted.gain - trueGain) / Double(Self.rows.count)
        }
        // Mean absolute errors as printed: 0.117 and 0.023.
        #expect(abs(errors.paper - 0.117) < 0.00051, "\(errors.paper)")
        #expect(abs(errors.refined - 0.023) < 0.00051, "\(errors.refined)")
    }
}
