import AdvisorModel
import Testing

/// The recommended policy is chosen on units the holdout never saw: rewriting every holdout
/// outcome leaves the choice, its values and the trees unchanged (by construction), while the
/// holdout gains do move.
@Suite("The policy choice")
struct PolicyChoiceTests {
    typealias Stage = PostExperimentAnalysis

    static func stages(
        _ data: ExperimentData,
        settings: AnalysisSettings
    ) throws -> (
        choice: PostExperimentVerdict.PolicyChoice, candidates: [Stage.Candidate], split: TLearnerSplit
    ) {
        let split = Stage.split(data, settings: settings)
        let fits = try Stage.fitOutcomeModels(
            split: split,
            models: [("ridge-t-learner", RidgeOutcomeModel()), ("ridge-2", RidgeOutcomeModel(lambda: 10))]
        )
        let candidates =
            Stage.policies(data: data, fits: fits)
            + (try Stage.trees(data: data, split: split, primary: fits[0], settings: settings))
        return (try Stage.choose(data: data, split: split, primary: fits[0], candidates: candidates), candidates, split)
    }

    @Test("Holdout outcomes do not move the choice")
    func neverReadsTheHoldout() throws {
        var settings = AnalysisSettings()
        settings.policyTree.depth = 2
        let truth = SyntheticExperiment(sigma: 0.3, rho: 0.2, armMeans: [0, 0.05, 0.1], noise: 0.5)
        let data = truth.generate(units: 6_000, seed: 5)
        let before = try Self.stages(data, settings: settings)
        var rewritten = data
        var rng = SplitMix64(seed: 11)
        for i in before.split.holdout { rewritten.outcome[i] = 100 * rng.nextStandardNormal() }
        let after = try Self.stages(rewritten, settings: settings)
        #expect(before.choice.policy == after.choice.policy)
        #expect(before.choice.units == before.split.validationRows.map(\.count).reduce(0, +))
        #expect(
            zip(before.choice.values, after.choice.values).allSatisfy { $0.value == $1.value && $0.policy == $1.policy }
        )
        for (a, b) in zip(before.candidates, after.candidates) {
            #expect(a.assignment == b.assignment, "\(a.policy.name)")
        }
        // The holdout itself did change: the same candidates judged on it now give other gains.
        let gains = { (d: ExperimentData, c: [Stage.Candidate]) in
            Stage.evaluate(data: d, split: before.split, candidates: c, covariateNames: [], settings: settings).map(
                \.aipw.gain
            )
        }
        #expect(gains(data, before.candidates) != gains(rewritten, after.candidates))
    }

    @Test("Validation outcomes do move it: they are what it reads")
    func readsTheValidationParts() throws {
        var settings = AnalysisSettings()
        settings.policyTree.depth = 1
        let truth = SyntheticExperiment(sigma: 0.3, rho: 0.2, armMeans: [0, 0.05, 0.1], noise: 0.5)
        let data = truth.generate(units: 6_000, seed: 5)
        let before = try Self.stages(data, settings: settings)
        var rewritten = data
        for rows in before.split.validationRows { for i in rows { rewritten.outcome[i] += 1 } }
        let after = try Self.stages(rewritten, settings: settings)
        #expect(zip(before.choice.values, after.choice.values).allSatisfy { $0.value != $1.value })
    }

    @Test("The verdict is about the chosen policy, and says how it was chosen")
    func verdictNamesTheChoice() throws {
        var settings = AnalysisSettings()
        settings.bootstrap = 100
        settings.estimateBootstrap = 10
        var prediction = PredictionSettings()
        prediction.leverDraws = 50
        let truth = SyntheticExperiment(sigma: 0.4, rho: 0.1, armMeans: [1, 1.02, 1.04], noise: 0.5)
        let (v, recommended, _) = try PostExperimentAnalyzer(settings: settings, prediction: prediction).analyze(
            experiment: "choice",
            data: truth.generate(units: 8_000, seed: 2),
            covariateNames: (0..<truth.columns).map { "x\($0)" },
            binaryOutcome: false,
            models: [("ridge-t-learner", RidgeOutcomeModel())]
        )
        let best = try #require(v.policyChoice.values.max { $0.value < $1.value })
        #expect(v.policy == best.policy && v.policyChoice.policy == best.policy)
        let chosen = try #require(v.policies.first { $0.name == v.policy })
        #expect(v.realized.gain == chosen.aipw.gain)
        #expect(v.verdict != .personalize || recommended.name == v.policy)
        // The prediction is about the T-learner whose error σ̂_ε measures, with its own gain.
        #expect(v.predicted.policy == "ridge-t-learner")
        #expect(v.predicted.realizedGain == v.policies[0].aipw.gain)
    }
}
