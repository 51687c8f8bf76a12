import AdvisorModel
import Testing

@Suite("Post-experiment verdicts")
struct PostExperimentAnalyzerTests {
    static func verdict(_ truth: SyntheticExperiment, units: Int, seed: UInt64 = 7) throws -> PostExperimentVerdict {
        let data = truth.generate(units: units, seed: seed)
        var settings = AnalysisSettings()
        settings.bootstrap = 200
        settings.estimateBootstrap = 10
        var prediction = PredictionSettings()
        prediction.leverDraws = 100
        return try PostExperimentAnalyzer(settings: settings, prediction: prediction).analyze(
            experiment: "synthetic",
            data: data,
            covariateNames: (0..<truth.columns).map { "x\($0)" },
            binaryOutcome: truth.binary,
            models: [("ridge-t-learner", RidgeOutcomeModel())]
        )
    }

    @Test("No heterogeneity: ship the best uniform arm")
    func shipUniform() throws {
        let v = try Self.verdict(
            SyntheticExperiment(sigma: 0.001, rho: 0, armMeans: [0.2, 0.25, 0.3], noise: 0.3),
            units: 30_000
        )
        #expect(v.verdict == .shipUniform, "\(v.headline)")
        #expect(v.bestUniformArm == "arm-2")
        #expect(v.action.hasPrefix("Ship 'arm-2' to everyone"))
    }

    @Test("Much heterogeneity: personalize, with realized and predicted gains that agree")
    func personalize() throws {
        // x0 moves every arm alike, x1–x3 each move one arm, x4 and x5 are noise.
        let v = try Self.verdict(
            SyntheticExperiment(sigma: 0.4, rho: 0.1, armMeans: [1, 1.02, 1.04], noise: 0.5, extraContinuous: 2),
            units: 30_000
        )
        #expect(v.verdict == .personalize, "\(v.headline)")
        #expect(v.realized.lower > 0 && v.realized.gain >= v.threshold)
        #expect(v.predicted.gain > 0 && v.predicted.agrees, "\(v.predicted.statement)")
        // The drivers are the covariates that move one arm against the others.
        let drivers = v.policies.first?.drivers.map(\.covariate) ?? []
        #expect(Set(drivers.prefix(3)) == ["x1", "x2", "x3"], "\(drivers)")
        #expect(!v.levers.isEmpty)
    }

    @Test("Little data and modest heterogeneity: inconclusive, collect more data")
    func inconclusive() throws {
        let v = try Self.verdict(
            SyntheticExperiment(sigma: 0.08, rho: 0.3, armMeans: [1, 1, 1], noise: 1.0),
            units: 1_500
        )
        #expect(
            v.verdict == .inconclusive,
            "\(v.headline) [\(v.realized.lower), \(v.realized.upper)] threshold \(v.threshold)"
        )
        #expect(v.action.hasPrefix("Collect more data"))
    }

    @Test("An earlier proposal's priors are compared with the estimates in plain words")
    func priorComparison() {
        let estimates = ParameterEstimates(
            sigma: 0.3,
            sigmaUncorrected: 0.31,
            rho: 0.8,
            s: 0.01,
            sUncorrected: 0.011,
            predictionError: 0.5,
            predictionErrorRefined: 0.1,
            irreducibleNoise: 0.49,
            standardErrors: nil,
            smallestCell: 100,
            cellsPerArm: 10
        )
        let lines = PostExperimentAnalyzer.compare(
            prior: ModelParameters(sigma: 0.3, rho: 0.3, s: 0.02, predictionError: 0.1, arms: 4),
            estimates: estimates
        )
        #expect(lines.contains("Your ρ prior of 0.3 was optimistic: the data say 0.8."))
        #expect(lines.contains("Your σ prior of 0.3 matched the data (0.3)."))
        #expect(lines.contains("Your s prior of 0.02 was pessimistic: the data say 0.01."))
    }
}

@Suite("Stopping an analysis")
struct StoppingAnalysisTests {
    @Test("A caller that gives up stops the T-learner between arms with ModelError.stopped")
    func stops() {
        let data = SyntheticExperiment(sigma: 0.3, rho: 0.3, armMeans: [0, 0, 0], noise: 0.5).generate(
            units: 3_000,
            seed: 1
        )
        let calls = Counter()
        #expect(throws: ModelError.stopped) {
            _ = try PostExperimentAnalyzer().analyze(
                experiment: "x",
                data: data,
                covariateNames: [],
                binaryOutcome: false,
                models: [("ridge", RidgeOutcomeModel())],
                shouldStop: { calls.tick() > 1 }
            )
        }
        #expect(calls.count == 2, "stopped at the second arm, not after the whole fit")
    }

    final class Counter: @unchecked Sendable {
        var count = 0
        func tick() -> Int {
            count += 1
            return count
        }
    }
}
