import AdvisorModel
import Foundation
import Testing

/// The predictor's behaviour on proposals built in code (reading proposal files is
/// AdvisorFormats' and is tested there).
@Suite("Predictor")
struct PredictorTests {
    /// The paper's Penn-Geisinger estimates as point values, no sample size.
    static let penn = Proposal(
        experiment: "penn",
        armCandidates: [20],
        baseline: 0.315,
        priors: .init(sigma: .fixed(0.267), rho: .fixed(0.8), s: .fixed(0.007), predictionError: .fixed(0.39)),
        threshold: .absolute(0.005)
    )

    /// Priors on every parameter, two arm-count candidates, a finite sample.
    static let withPriors = Proposal(
        experiment: "cands",
        armCandidates: [4, 12],
        baseline: 0.3,
        sampleSize: .total(20_000),
        outcomeSD: 0.5,
        priors: .init(
            sigma: .logNormal(median: 0.1, logSD: 0.3),
            rho: .beta(alpha: 6, beta: 2),
            s: .uniform(min: 0.005, max: 0.02),
            predictionError: .truncatedNormal(mean: 0.1, sd: 0.02, min: nil, max: nil)
        ),
        threshold: .relative(0.02),
        seed: 7
    )

    @Test("With point values and no sample size, gain.mean is the exact population gain")
    func pointValuesAreExact() throws {
        let prediction = try Predictor().predict(Self.penn)
        let exact = try GainEngine().gain(
            ModelParameters(sigma: 0.267, rho: 0.8, s: 0.007, predictionError: 0.39, arms: 20)
        )
        #expect(prediction.gain.mean == exact.gain)
        #expect(prediction.gain.sd == 0 && prediction.gain.monteCarloSE == 0)
        #expect(prediction.verdict == .actionable)
    }

    @Test("A costly proposal answers within its time budget with fewer draws, and says how many")
    func timeBudget() throws {
        // 30 arms of unequal sizes and Student-t means: each draw averages fixed-means
        // quadratures over 30 arms, more than a 0.1 s budget allows for 400 draws. (How long
        // it takes is the daemon benchmark's to measure, in a release build; here, what it says.)
        var proposal = Self.withPriors
        proposal.armCandidates = [30]
        proposal.sampleSize = .eachArm((0..<30).map { 200 + 10 * Double($0) })
        proposal.armMeans = .studentT(degreesOfFreedom: 3)
        var settings = PredictionSettings()
        settings.timeBudgetSeconds = 0.1
        let prediction = try Predictor(settings: settings).predict(proposal)
        let note = try #require(
            prediction.notes.compactMap { note -> (prior: Int, configured: Int, lever: Int, se: Double)? in
                if case .timeBudget(_, let prior, let configured, let lever, _, let se) = note {
                    return (prior, configured, lever, se)
                }
                return nil
            }.first
        )
        #expect(note.prior == prediction.gain.draws && note.prior < note.configured && note.prior >= 32)
        #expect(note.configured == 400 && note.lever >= 8)
        #expect(note.se == prediction.gain.monteCarloSE && note.se > 0)
        // With time to spare a proposal keeps every draw and never mentions the budget.
        settings.timeBudgetSeconds = 600
        var ordinary = Self.withPriors
        ordinary.armCandidates = [4]
        let answer = try Predictor(settings: settings).predict(ordinary)
        #expect(answer.gain.draws == settings.priorDraws)
        #expect(!answer.notes.contains { if case .timeBudget = $0 { true } else { false } })
    }

    @Test("Spike-and-slab means show the inverse U of Figure 6 on the arm curve")
    func inverseU() throws {
        var proposal = Self.penn
        proposal.armCandidates = [5]
        proposal.baseline = 100
        proposal.priors = .init(sigma: .fixed(10), rho: .fixed(0.5), s: .fixed(22.36), predictionError: .fixed(0))
        proposal.armMeans = .spikeAndSlab(spikeProbability: 0.9)
        proposal.threshold = .absolute(1)
        let gains = try Predictor().predict(proposal).armCurve.map(\.gain)
        let peak = try #require(gains.indices.max { gains[$0] < gains[$1] })
        #expect(peak > 0 && peak < gains.count - 1, "interior maximum")
        #expect(try #require(gains.last) < gains[peak] * 0.95, "falls after the peak")
    }

    @Test("A 5,000-arm proposal gets a bounded arm curve that still spans 2 … 2m")
    func largeArmCount() throws {
        var proposal = Self.penn
        proposal.armCandidates = [5000]
        let prediction = try Predictor().predict(proposal)
        let counts = prediction.armCurve.map(\.arms)
        #expect(counts.count <= 100)
        #expect(counts.first == 2 && counts.last == 10_000 && counts.contains(5000))
        #expect(Array(2...40).allSatisfy(counts.contains))
        #expect(prediction.armCurve.allSatisfy { $0.gain.isFinite })
    }

    @Test("Priors give a spread, candidates give per-count summaries, levers start from the headline mean")
    func priorsAndCandidates() throws {
        let prediction = try Predictor().predict(Self.withPriors)
        #expect(
            prediction.gain.sd > 0 && prediction.gain.p05 < prediction.gain.p50
                && prediction.gain.p50 < prediction.gain.p95
        )
        #expect(prediction.candidates.map(\.arms) == [4, 12])
        #expect(prediction.levers.contains { $0.name == "add-samples" })
        // Normal arm means cost nanoseconds a draw, so the levers are evaluated on every prior
        // draw: their "now" is the headline mean, summed in the same order (1e-12 relative allows
        // only rounding). Levers run on a subset of the draws miss it by their Monte Carlo error.
        for lever in prediction.levers {
            #expect(abs(lever.gainNow - prediction.gain.mean) <= 1e-12 * abs(prediction.gain.mean), "\(lever.name)")
        }
        // With several counts the headline is the proposed (first) one's: the same figure in the
        // candidates' table and on the arm curve, not a mixture of the counts.
        let mean = prediction.gain.mean
        let proposed = try #require(prediction.candidates.first { $0.arms == 4 })
        #expect(abs(proposed.gainMean - mean) <= 1e-12 * abs(mean), "\(proposed.gainMean) vs \(mean)")
        let current = try #require(prediction.armCurve.first { $0.arms == 4 })
        #expect(abs(current.gain - mean) <= 1e-12 * abs(mean), "arm curve at 4: \(current.gain) vs \(mean)")
        #expect(try Predictor().predict(Self.withPriors) == prediction, "a seed reproduces the prediction exactly")
    }

    @Test("One gain for the design as it is: headline, levers and arm curve agree when levers use fewer draws")
    func oneNowFigure() throws {
        var proposal = Self.withPriors
        proposal.armCandidates = [6]
        proposal.armMeans = .spikeAndSlab(spikeProbability: 0.5)
        let prediction = try Predictor().predict(proposal)
        // Spike-and-slab draws cost more, so levers run on a subset of the prior draws …
        #expect(prediction.gain.draws > 300, "\(prediction.gain.draws)")
        let mean = prediction.gain.mean
        // … yet each lever's "now" and the arm curve at the proposal's count are the headline mean
        // (a + (b − a) may differ from b in the last bit: 1e-12 relative).
        for lever in prediction.levers {
            #expect(abs(lever.gainNow - mean) <= 1e-12 * abs(mean), "\(lever.name): \(lever.gainNow) vs \(mean)")
        }
        let current = try #require(prediction.armCurve.first { $0.arms == 6 })
        #expect(abs(current.gain - mean) <= 1e-12 * abs(mean), "arm curve at 6: \(current.gain) vs \(mean)")
    }

    @Test("Levers rank by the value the team would deploy: a smaller sample never ranks above a larger one")
    func leversRankByDeployedValue() throws {
        for proposal in [Self.withPriors, Self.nextTest] {
            let levers = try Predictor().predict(proposal).levers
            let more = try #require(levers.firstIndex { $0.name == "add-samples" })
            let fewer = try #require(levers.firstIndex { $0.name == "fewer-samples" })
            #expect(more < fewer, "\(proposal.experiment): \(levers.map(\.name))")
            if proposal.experiment == Self.nextTest.experiment {
                // The design where the gain alone misleads: halving raises it (0.2319 vs 0.2292).
                #expect(levers[fewer].gainAfter > levers[more].gainAfter, "the case this test is for")
            }
            // More units improve both the policy and the pick of the uniform arm, so what ships is
            // worth more with twice the sample and less with half (exact for balanced designs).
            #expect(levers[more].deployedValueAfter >= levers[more].deployedValueNow)
            #expect(levers[fewer].deployedValueAfter <= levers[fewer].deployedValueNow)
            #expect(zip(levers, levers.dropFirst()).allSatisfy { $0.deployedValueAfter >= $1.deployedValueAfter })
        }
    }

    /// The next test a verdict on the bundled synthetic drop designs (its estimates as point
    /// values, 3,500 units per arm): halving the sample makes the benchmark arm's pick noisier,
    /// so the gain over it grows while what the team ships gets worse.
    static let nextTest = Proposal(
        experiment: "next",
        armCandidates: [4],
        baseline: 0.3312,
        sampleSize: .eachArm([3500, 3500, 3500, 3500]),
        outcomeSD: 0.6692,
        priors: .init(sigma: .fixed(0.2779), rho: .fixed(0.2687), s: .fixed(0.01704), predictionError: .fixed(0)),
        threshold: .absolute(0.003312)
    )

    @Test("Counterfactual swaps as in Table 5: Penn-Geisinger with Walmart's σ loses its gain")
    func counterfactuals() throws {
        var proposal = Self.penn
        proposal.comparison = .init(
            label: "walmart",
            parameters: ModelParameters(sigma: 0.078, rho: 0.61, s: 0.007, predictionError: 0.39, arms: 23)
        )
        let rows = try Predictor().predict(proposal).counterfactuals
        #expect(rows.map(\.parameter) == [nil] + ModelParameter.allCases)
        let original = try #require(rows.first).gain
        #expect(try #require(rows.first { $0.parameter == .sigma }).gain < 0.1 * original)
        #expect(try #require(rows.first { $0.parameter == .rho }).gain > original)
    }
}

@Suite("Number text")
struct NumberTextTests {
    @Test(
        "Four significant digits, no exponent, no nan",
        arguments: [
            (0.046_04, "0.04604"), (1.579_3e-6, "0.0000015793"), (0.0, "0"), (123_456.7, "123457"), (9876.54, "9877"),
            (2.5e7, "25000000"), (Double.nan, "n/a"), (-Double.infinity, "n/a"),
        ]
    )
    func significant(x: Double, text: String) {
        #expect(NumberText.significant(x) == text)
    }

    @Test(
        "The shortest plain text, as a file writes a number",
        arguments: [(0.1, "0.1"), (1.25, "1.25"), (3.0, "3"), (1e-7, "1e-07"), (-0.5, "-0.5"), (Double.nan, "NaN")]
    )
    func shortest(x: Double, text: String) {
        #expect(NumberText.shortest(x) == text)
    }

    @Test("Percentages never round a real chance to 0% or 100%")
    func percent() {
        #expect(NumberText.percent(0.004) == "<1%")
        #expect(NumberText.percent(0.996) == ">99%")
        #expect(NumberText.percent(0) == "0%" && NumberText.percent(1) == "100%")
        #expect(NumberText.percent(0.7998) == "80%")
    }
}
