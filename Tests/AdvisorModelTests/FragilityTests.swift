import AdvisorModel
import Testing

/// Every reason the evidence can be fragile, each triggered by a drop built to have it, and none
/// on a clean drop; a fragile verdict never says personalize.
@Suite("Fragile evidence")
struct FragilityTests {
    static var settings: AnalysisSettings {
        var settings = AnalysisSettings()
        settings.bootstrap = 100
        settings.estimateBootstrap = 20
        settings.policyTree.depth = 0
        return settings
    }

    /// Much heterogeneity that crosses over, three equal arms: a clear personalize.
    static let clean = SyntheticExperiment(sigma: 0.4, rho: 0.1, armMeans: [1, 1.02, 1.04], noise: 0.5)

    static func analyze(_ data: ExperimentData, columns: Int) throws -> PostExperimentVerdict {
        var prediction = PredictionSettings()
        prediction.leverDraws = 50
        return try PostExperimentAnalyzer(settings: settings, prediction: prediction).analyze(
            experiment: "fragile",
            data: data,
            covariateNames: (0..<columns).map { "x\($0)" },
            binaryOutcome: false,
            models: [("ridge-t-learner", RidgeOutcomeModel())]
        ).verdict
    }

    static func reasons(_ v: PostExperimentVerdict) -> Set<Fragility.Reason> { Set(v.fragility.map(\.reason)) }

    @Test("A clean drop: no reason, and the verdict is personalize")
    func clean() throws {
        let v = try Self.analyze(Self.clean.generate(units: 12_000, seed: 3), columns: Self.clean.columns)
        #expect(v.fragility.isEmpty, "\(v.fragility)")
        #expect(v.verdict == .personalize)
    }

    @Test("Misstated propensities: AIPW and IPW disagree, and the verdict is not personalize")
    func estimatorsDisagree() throws {
        var data = Self.clean.generate(units: 12_000, seed: 3)
        // Arm 0 was assigned a third of the time, but the drop says a tenth: IPW inflates it.
        data.propensity = data.arm.map { $0 == 0 ? 0.1 : 0.45 }
        let v = try Self.analyze(data, columns: Self.clean.columns)
        #expect(Self.reasons(v).contains(.estimatorsDisagree), "\(v.fragility)")
        #expect(v.verdict != .personalize)
        let finding = try #require(v.fragility.first { $0.reason == .estimatorsDisagree })
        #expect(abs((finding.figures["aipw"] ?? 0) - v.realized.gain) < 1e-12)
        #expect(abs((finding.figures["ipw"] ?? 0) - v.realized.ipwGain) < 1e-12)
    }

    @Test("A few huge outcomes: heavy tail, with the top 1%'s share")
    func heavyTail() throws {
        var data = Self.clean.generate(units: 12_000, seed: 3)
        for i in stride(from: 0, to: data.units, by: 100) { data.outcome[i] += 500 }
        let v = try Self.analyze(data, columns: Self.clean.columns)
        let finding = try #require(v.fragility.first { $0.reason == .heavyTail }, "\(v.fragility)")
        #expect((finding.figures["top_percent_share"] ?? 0) > 0.8)
        #expect(v.verdict != .personalize)
    }

    @Test("A benchmark arm that is better on training than on the holdout: unstable")
    func uniformArmUnstable() throws {
        var data = Self.clean.generate(units: 12_000, seed: 3)
        let split = PostExperimentAnalysis.split(data, settings: Self.settings)
        // Arm 0's training units did better by chance; the holdout shows its real level.
        for i in split.training where data.arm[i] == 0 { data.outcome[i] += 0.3 }
        let v = try Self.analyze(data, columns: Self.clean.columns)
        #expect(v.bestUniformArm == "arm-0")
        #expect(Self.reasons(v).contains(.uniformArmUnstable), "\(v.fragility)")
    }

    @Test("A benchmark arm that is better on the holdout than on training: not a reason to doubt the gain")
    func uniformArmBetterOnHoldout() throws {
        var data = Self.clean.generate(units: 12_000, seed: 3)
        let split = PostExperimentAnalysis.split(data, settings: Self.settings)
        // The benchmark arm's holdout units do far better than its training units (0.3 against
        // a joint SE near 0.02): the gain over it can only shrink.
        let best = split.bestUniformArm
        for i in split.holdout where data.arm[i] == best { data.outcome[i] += 0.3 }
        let v = try Self.analyze(data, columns: Self.clean.columns)
        #expect(v.bestUniformArm == data.armNames[best])
        let unstable = Fragility.assess(
            .init(
                topPercentShare: 0,
                uniformTrainingMean: 1.0,
                uniformTrainingStandardError: 0.01,
                uniformHoldoutMean: 1.5,
                uniformHoldoutStandardError: 0.01
            ),
            chosen: try #require(v.policies.first),
            trainingSizes: [100, 100, 100],
            benchmark: best,
            estimates: v.estimates
        )
        #expect(!unstable.map(\.reason).contains(.uniformArmUnstable), "\(unstable)")
        #expect(!Self.reasons(v).contains(.uniformArmUnstable), "\(v.fragility)")
    }

    @Test("The best arm is the smallest: small")
    func uniformArmSmall() throws {
        var data = Self.clean.generate(units: 12_000, seed: 3)
        // Most of arm 2 (the best) moves to arm 1: arm 2 keeps a fifth of its units.
        for i in 0..<data.units where data.arm[i] == 2 && i % 5 != 0 { data.arm[i] = 1 }
        data.propensity = data.arm.map { [1.0 / 3, 1.0 / 3 + 4.0 / 15, 1.0 / 15][$0] }
        let v = try Self.analyze(data, columns: Self.clean.columns)
        #expect(v.bestUniformArm == "arm-2")
        #expect(Self.reasons(v).contains(.uniformArmSmall), "\(v.fragility)")
    }

    @Test("Heterogeneity that rests on a few outliers: σ̂ is below its standard error")
    func noisyEstimate() throws {
        let faint = SyntheticExperiment(sigma: 0.02, rho: 0.1, armMeans: [1, 1.1, 1.2], noise: 0.5)
        var data = faint.generate(units: 6_000, seed: 3)
        for i in stride(from: 0, to: data.units, by: 200) { data.outcome[i] += 40 }
        let v = try Self.analyze(data, columns: faint.columns)
        let finding = try #require(
            v.fragility.first { $0.reason == .noisyEstimate },
            "\(v.fragility) \(v.estimates.sigma) \(String(describing: v.estimates.standardErrors?.sigma))"
        )
        #expect(finding.parameter == .sigma)
        #expect((finding.figures["standard_error"] ?? 0) > (finding.figures["estimate"] ?? 1))
        #expect(v.verdict != .personalize)
    }

    @Test("Predictions with two values per arm: empty quantile cells")
    func emptyCells() throws {
        // One binary covariate that moves the arms apart: every model predicts two values.
        let units = 6_000
        var rng = SplitMix64(seed: 9)
        let x = (0..<units).map { _ in Float(rng.nextOpenUnit() < 0.5 ? 0 : 1) }
        let arm = (0..<units).map { _ in Int(rng.next() % 2) }
        let outcome = (0..<units).map { i in (arm[i] == 0 ? 1 : -1) * Double(x[i]) + 0.5 * rng.nextStandardNormal() }
        let data = ExperimentData(
            armNames: ["a", "b"],
            arm: arm,
            outcome: outcome,
            features: FeatureMatrix(values: x, rows: units, columns: 1),
            propensity: Array(repeating: 0.5, count: units)
        )
        let v = try Self.analyze(data, columns: 1)
        #expect(Self.reasons(v).contains(.emptyCells), "\(v.fragility)")
        #expect(v.verdict != .personalize)
    }
}
