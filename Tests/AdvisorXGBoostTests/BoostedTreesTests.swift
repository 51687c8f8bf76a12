import AdvisorModel
import AdvisorXGBoost
import Testing

/// XGBoost through its C API, on small synthetic data with a known answer.
@Suite("Boosted trees (XGBoost C API)")
struct BoostedTreesTests {
    /// y = x0 + 2·x1 + noise(sd) with x uniform on [0, 1]².
    static func linearData(rows: Int, noise: Double, seed: UInt64) -> (FeatureMatrix, [Float]) {
        var rng = SplitMix64(seed: seed)
        var values: [Float] = []
        var labels: [Float] = []
        for _ in 0..<rows {
            let x0 = rng.nextOpenUnit()
            let x1 = rng.nextOpenUnit()
            values += [Float(x0), Float(x1)]
            labels.append(Float(x0 + 2 * x1 + noise * rng.nextStandardNormal()))
        }
        return (FeatureMatrix(values: values, rows: rows, columns: 2), labels)
    }

    static func fit(
        _ parameters: BoostingParameters = BoostingParameters(),
        noise: Double = 0.1
    ) throws -> (BoostedTrees, FeatureMatrix, [Float]) {
        let (train, y) = linearData(rows: 2000, noise: noise, seed: 1)
        let (valid, yv) = linearData(rows: 500, noise: noise, seed: 2)
        let model = try BoostedTrees(
            parameters: parameters,
            features: train,
            labels: y,
            validation: valid,
            validationLabels: yv
        )
        let (test, yt) = linearData(rows: 1000, noise: noise, seed: 3)
        return (model, test, yt)
    }

    @Test("Learns a known function: holdout RMSE near the noise SD")
    func learns() throws {
        let (model, test, truth) = try Self.fit()
        let predictions = try model.predict(test)
        #expect(predictions.count == test.rows)
        let mse = zip(predictions, truth).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +) / Double(test.rows)
        // Noise SD 0.1; a depth-4 tree ensemble on 2000 rows adds a little approximation error.
        // 0.2 is twice the noise and far below the outcome SD (~0.75): a broken fit fails it.
        #expect(mse.squareRoot() < 0.2, "holdout RMSE \(mse.squareRoot())")
    }

    @Test("Early stopping keeps the best validation round")
    func earlyStopping() throws {
        var parameters = BoostingParameters()
        parameters.learningRate = 0.5
        parameters.maxRounds = 1000
        parameters.earlyStoppingRounds = 10
        let (model, _, _) = try Self.fit(parameters, noise: 0.5)
        let summary = model.summary
        #expect(summary.rounds < 1000, "never stopped early")
        #expect(summary.validationScores.count == summary.rounds + 10 || summary.validationScores.count == 1000)
        let best = summary.validationScores.indices.min { summary.validationScores[$0] < summary.validationScores[$1] }
        #expect(best == summary.rounds - 1)
        #expect(summary.validationMetric == "rmse")
    }

    @Test("The same seed gives the same model")
    func deterministic() throws {
        let (a, test, _) = try Self.fit()
        let (b, _, _) = try Self.fit()
        #expect(try a.predict(test) == b.predict(test))
    }

    @Test("Binary outcomes: probabilities that separate the classes")
    func logistic() throws {
        var rng = SplitMix64(seed: 9)
        func data(_ n: Int) -> (FeatureMatrix, [Float]) {
            var values: [Float] = []
            var labels: [Float] = []
            for _ in 0..<n {
                let x = rng.nextOpenUnit()
                values.append(Float(x))
                labels.append(rng.nextOpenUnit() < x ? 1 : 0)  // P(y = 1 | x) = x
            }
            return (FeatureMatrix(values: values, rows: n, columns: 1), labels)
        }
        var parameters = BoostingParameters()
        parameters.objective = .logistic
        let (train, y) = data(3000)
        let (valid, yv) = data(1000)
        let model = try BoostedTrees(
            parameters: parameters,
            features: train,
            labels: y,
            validation: valid,
            validationLabels: yv
        )
        let probe = FeatureMatrix(values: [0.1, 0.5, 0.9], rows: 3, columns: 1)
        let p = try model.predict(probe)
        #expect(p.allSatisfy { $0 > 0 && $0 < 1 })
        // True probabilities 0.1, 0.5, 0.9; 0.12 allows for 3000 noisy 0/1 labels.
        for (estimate, truth) in zip(p, [Float(0.1), 0.5, 0.9]) {
            #expect(abs(estimate - truth) < 0.12, "\(estimate) vs \(truth)")
        }
        #expect(model.summary.validationMetric == "logloss")
    }

    @Test("XGBoost's own error message comes back as XGBoostError")
    func errors() throws {
        var parameters = BoostingParameters()
        parameters.objective = .logistic
        let bad = FeatureMatrix(values: [0, 1, 2, 3], rows: 4, columns: 1)
        #expect {
            _ = try BoostedTrees(
                parameters: parameters,
                features: bad,
                labels: [0, 1, 2, 3],
                validation: bad,
                validationLabels: [0, 1, 2, 3]
            )
        } throws: { error in
            guard let error = error as? XGBoostError else { return false }
            return error.call == "XGBoosterUpdateOneIter" && error.message.lowercased().contains("label")
        }
    }
}

@Suite("T-learner with boosted trees")
struct BoostedTreesTLearnerTests {
    @Test("Section 5.2 estimates from an XGBoost T-learner land near the truth on a large, simple design")
    func estimates() throws {
        let truth = SyntheticExperiment(sigma: 0.3, rho: 0.5, armMeans: [0, 0.05, 0.1], noise: 0.5, extraBinary: 2)
        let data = truth.generate(units: 30_000, seed: 4)
        let fit = try TLearnerFit.fit(data: data, model: BoostedTreesOutcomeModel(), seed: 5)
        let e = ParameterEstimates.estimate(data: data, holdout: fit.holdout, predictions: fit.predictions)
        // Trees approximate the linear h less well than ridge does, so σ̂ and ρ̂ shrink a little
        // (the known direction); 0.06 / 0.12 allow for that plus ~300 units per cell.
        #expect(abs(e.sigma - 0.3) < 0.06, "σ̂ = \(e.sigma)")
        #expect(abs(e.rho - 0.5) < 0.12, "ρ̂ = \(e.rho)")
        #expect(abs(e.predictionError - 0.5) < 0.05, "σ̂_ε = \(e.predictionError)")
        let evaluation = PolicyEvaluation.evaluate(data: data, fits: [fit], bootstrap: 200)[0]
        #expect(
            evaluation.aipw.gain > 2 * evaluation.aipw.standardError,
            "the learned policy should beat the best arm here"
        )
    }
}
