import AdvisorModel
import Testing

/// Verdicts under guardrails against known truth (Guardrails.md). The primary outcome rewards
/// personalization; a guardrail's heterogeneity is correlated with the primary's, so a policy
/// that sends each unit to its best arm moves the guardrail too.
@Suite("Guardrails: verdicts that respect every outcome")
struct GuardrailAnalysisTests {
    static var settings: AnalysisSettings {
        var settings = AnalysisSettings()
        settings.bootstrap = 200
        settings.estimateBootstrap = 10
        return settings
    }

    static func analyze(
        _ data: ExperimentData,
        settings: AnalysisSettings = Self.settings
    ) throws -> (
        verdict: PostExperimentVerdict, recommended: any Policy, summary: AnalysisSummary
    ) {
        var prediction = PredictionSettings()
        prediction.leverDraws = 100
        return try PostExperimentAnalyzer(settings: settings, prediction: prediction).analyze(
            experiment: "guarded",
            data: data,
            covariateNames: (0..<data.features.columns).map { "x\($0)" },
            binaryOutcome: false,
            models: [("ridge-t-learner", RidgeOutcomeModel())]
        )
    }

    /// Four arms with much heterogeneity in the primary; `unsubscribed` (smaller is better)
    /// rises where the primary gains (`correlation`), with equal arm means.
    static func truth(
        correlation: Double,
        maxLoss: MaxLoss,
        guardrailMeans: [Double] = [0, 0, 0, 0]
    )
        -> SyntheticExperiment
    {
        var truth = SyntheticExperiment(sigma: 0.5, rho: 0.1, armMeans: [1, 1.02, 1.04, 1.02], noise: 0.5)
        truth.guardrails = [
            SyntheticGuardrail(
                column: "unsubscribed",
                armMeans: guardrailMeans,
                sigma: 0.3,
                correlation: correlation,
                noise: 0.3,
                largerIsBetter: false,
                maxLoss: maxLoss
            )
        ]
        return truth
    }

    @Test("(a) The best policy for the primary raises the guardrail past its loss: the verdict does not deploy it")
    func conflict() throws {
        let truth = Self.truth(correlation: 0.9, maxLoss: .absolute(0.02))
        let data = truth.generate(units: 20_000, seed: 3)
        let (v, recommended, _) = try Self.analyze(data)
        // The unconstrained T-learner really breaks the guardrail (its true rise is far past 0.02)…
        let unconstrained = try #require(v.policies.first { $0.name == "ridge-t-learner" })
        #expect(unconstrained.outcomes.first?.status == .fail, "\(unconstrained.outcomes)")
        #expect((unconstrained.outcomes.first?.change ?? 0) > 0.1)
        // …so the verdict either personalizes with a policy that keeps it or names the guardrail.
        #expect(v.tradeoff.contains { $0.chosen && $0.weight > 0 }, "\(v.tradeoff)")
        if v.verdict == .personalize {
            #expect(v.policy != "ridge-t-learner")
            #expect(v.guardrailsPass)
            // Against the truth: the deployed policy's rise on the holdout is within the allowed loss
            // (tolerance 0.01: three SEs of the estimated change at this size).
            let split = TLearnerSplit(data: data, holdoutShare: Self.settings.holdoutShare, seed: Self.settings.seed)
            let assignment = try recommended.assign(split.holdoutFeatures)
            let bench = try #require(data.armNames.firstIndex(of: v.bestUniformArm))
            let rise = truth.trueGuardrailChange(
                0,
                data,
                units: split.holdout,
                assignment: assignment,
                benchmark: bench
            )
            #expect(rise <= 0.02 + 0.01, "true rise \(rise)")
            #expect(truth.trueGain(data, units: split.holdout, assignment: assignment, benchmark: bench) > 0)
        } else {
            // Why not: the chosen policy breaks the guardrail, or no policy that keeps it gains enough.
            #expect(v.blockingGuardrail?.column == "unsubscribed" || v.verdict == .shipUniform, "\(v.verdict)")
        }
        #expect(v.outcomes.map(\.role) == [.primary, .guardrail])
        #expect(v.guardrailEstimates.first?.benefitCorrelation ?? 0 < -0.3, "the conflict is seen in the estimates")
    }

    @Test("(b) A loose guardrail leaves the verdict as the single-outcome verdict")
    func looseGuardrail() throws {
        let truth = Self.truth(correlation: 0.9, maxLoss: .absolute(1e6))
        let guarded = truth.generate(units: 12_000, seed: 5)
        var single = guarded
        single.guardrails = []
        let (a, _, _) = try Self.analyze(guarded)
        let (b, _, _) = try Self.analyze(single)
        #expect(a.verdict == b.verdict)
        #expect(a.policy == b.policy)
        #expect(a.bestUniformArm == b.bestUniformArm)
        #expect(a.realized.gain == b.realized.gain && a.realized.standardError == b.realized.standardError)
        #expect(a.policies.map(\.name) == b.policies.map(\.name))
        #expect(a.guardrailsPass && a.tradeoff.first?.chosen == true)
        #expect(b.outcomes.count == 1 && b.guardrailsPass)
    }

    @Test("(c) A uniform arm that breaks a guardrail is never the benchmark")
    func benchmarkKeepsGuardrails() throws {
        // arm-2 is the best primary arm but raises the guardrail by 0.5 against the control.
        var truth = Self.truth(correlation: 0, maxLoss: .absolute(0.05), guardrailMeans: [0, 0, 0.5, 0])
        truth.sigma = 0.01
        truth.armMeans = [1, 1.02, 1.3, 1.05]
        var data = truth.generate(units: 12_000, seed: 9)
        data.controlArm = 0
        let (v, recommended, _) = try Self.analyze(data)
        #expect(v.bestUniformArm != "arm-2")
        #expect(v.bestUniformArm == "arm-3", "the best primary arm among those that keep the guardrail")
        #expect(v.excludedArms.contains { $0.arm == "arm-2" && $0.guardrail == "unsubscribed" })
        if v.verdict != .personalize {
            #expect((recommended as? UniformPolicy)?.arm == 3)
        }
        // Without the guardrail arm-2 is the benchmark.
        data.guardrails = []
        #expect(try Self.analyze(data).verdict.bestUniformArm == "arm-2")
    }

    @Test("Per-outcome intervals cover the true guardrail change over seeds (95% nominal)")
    func coverage() throws {
        // 20 seeds; at a true 95% coverage, 16 or fewer hits has probability 1.6%. The seeds are
        // fixed, so the count is the same on every run.
        var settings = Self.settings
        settings.policyTree.depth = 0
        var hits = 0
        let seeds = 0..<UInt64(20)
        for seed in seeds {
            let truth = Self.truth(correlation: 0.6, maxLoss: .absolute(1e6))
            let data = truth.generate(units: 4_000, seed: 100 + seed)
            let split = PostExperimentAnalysis.split(data, settings: settings)
            let fit = try TLearnerFit.fit(split: split, model: RidgeOutcomeModel(), name: "ridge-t-learner")
            let guardrails = try PostExperimentAnalysis.fitGuardrails(data: data, split: split, settings: settings)
            let outcome = try #require(
                PostExperimentAnalysis.guardrailOutcomes(
                    data: data,
                    split: split,
                    candidates: PostExperimentAnalysis.policies(data: data, fits: [fit]),
                    guardrails: guardrails,
                    settings: settings
                ).first?.first
            )
            let truthChange = truth.trueGuardrailChange(
                0,
                data,
                units: split.holdout,
                assignment: fit.assignment,
                benchmark: split.bestUniformArm
            )
            if outcome.lower <= truthChange && truthChange <= outcome.upper { hits += 1 }
        }
        #expect(hits >= 17, "\(hits) of 20 intervals covered the true change")
    }

    @Test("Without a control arm each guardrail's reference is the arm best on it")
    func referenceWithoutControl() {
        var truth = Self.truth(correlation: 0, maxLoss: .absolute(0.1), guardrailMeans: [0.3, 0, 0.5, 0])
        truth.armMeans = [1.5, 1.02, 1.3, 1.05]
        let data = truth.generate(units: 8_000, seed: 2)
        let split = PostExperimentAnalysis.split(data, settings: Self.settings)
        let benchmark = PostExperimentAnalysis.guardedBenchmark(data: data, split: split)
        #expect(benchmark.unconstrainedArm == 0)
        // Smaller is better: arm-1 or arm-3 (both 0) is the reference; arm-0 (+0.3) and arm-2
        // (+0.5) break it by far more than their standard errors (about 0.02).
        #expect(benchmark.references == [1] || benchmark.references == [3])
        #expect(Set(benchmark.excluded.map(\.arm)) == [0, 2])
        #expect(benchmark.arm == 3 && benchmark.admissible)
    }
}
