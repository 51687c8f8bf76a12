import AdvisorModel
import AdvisorReports
import Foundation
import Testing

@Suite("Prediction reports")
struct PredictionReportTests {
    static func predict(_ text: String) throws -> Prediction {
        try Predictor().predict(try ProposalFile.parse(text, file: "p.yaml"))
    }

    @Test("JSON carries the keys scripts rely on, and no NaN")
    func jsonKeys() throws {
        let path = try ProposalFileTests.fixture("example-minimal.yaml")
        let prediction = try Predictor().predict(try ProposalFile.load(path: path))
        let json = try PredictionReport.json(prediction)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["experiment"] as? String == "flu-nudges-2027")
        let gain = try #require(object["gain"] as? [String: Any])
        for key in ["mean", "sd", "p05", "p50", "p95", "probability_actionable"] {
            #expect(gain[key] is Double, "gain.\(key)")
        }
        #expect(object["relative_gain"] is Double)
        #expect(["actionable", "marginal", "not-actionable"].contains(object["verdict"] as? String ?? ""))
        let levers = try #require(object["levers"] as? [[String: Any]])
        #expect(levers.count >= 4)
        for lever in levers {
            #expect(lever["name"] is String && lever["change"] is String && lever["gain_after"] is Double)
        }
        let curve = try #require(object["arm_curve"] as? [[String: Any]])
        #expect(curve.count == 39 && curve.first?["arms"] as? Int == 2)
        #expect(object["elasticities"] is [[String: Any]])
        #expect(object["parameters"] is [String: Any])
        #expect(!json.contains("nan") && !json.contains("NaN"))
    }

    /// The paper's Penn-Geisinger estimates as point priors.
    static let penn = """
        experiment: penn
        arms: 20
        baseline: 0.315
        priors: {sigma: 0.267, rho: 0.8, s: 0.007, prediction_error: 0.39}
        threshold: 0.005
        """

    @Test("With point values and no sample size, gain.mean is the exact population gain")
    func pointValuesAreExact() throws {
        let prediction = try Self.predict(Self.penn)
        let exact = try GainEngine().gain(
            ModelParameters(sigma: 0.267, rho: 0.8, s: 0.007, predictionError: 0.39, arms: 20)
        )
        #expect(prediction.gain.mean == exact.gain)
        #expect(prediction.gain.sd == 0 && prediction.gain.monteCarloSE == 0)
        #expect(prediction.verdict == .actionable)
    }

    @Test("The text report leads with the verdict and the action, and ends with the method")
    func textOrder() throws {
        let path = try ProposalFileTests.fixture("example-minimal.yaml")
        let text = PredictionReport.text(try Predictor().predict(try ProposalFile.load(path: path)))
        let order = ["VERDICT:", "DO THIS:", "WHY:", "THE NUMBERS", "WHAT EACH LEVER", "PARAMETERS USED", "METHOD"]
        let positions = order.map { text.range(of: $0)?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(zip(positions, positions.dropFirst()).allSatisfy { $0! < $1! })
    }

    @Test("No heterogeneity that crosses over: not actionable, ship the best arm")
    func notActionable() throws {
        let prediction = try Self.predict(
            """
            experiment: flat
            arms: 10
            baseline: 0.3
            priors: {sigma: 0.02, rho: 0.98, s: 0.05, prediction_error: 0.1}
            threshold: 0.01
            """
        )
        #expect(prediction.verdict == .notActionable)
        #expect(prediction.recommendation.action.contains("best arm to everyone"))
    }

    @Test("Spike-and-slab means show the inverse U of Figure 6 on the arm curve")
    func inverseU() throws {
        let prediction = try Self.predict(
            """
            experiment: fig6d
            arms: 5
            baseline: 100
            priors: {sigma: 10, rho: 0.5, s: 22.36, prediction_error: 0}
            arm_means: {distribution: spike-and-slab, spike_probability: 0.9}
            threshold: 1
            """
        )
        let gains = prediction.armCurve.map(\.gain)
        let peak = try #require(gains.indices.max { gains[$0] < gains[$1] })
        #expect(peak > 0 && peak < gains.count - 1, "interior maximum")
        #expect(gains.last! < gains[peak] * 0.95, "falls after the peak")
    }

    static let withPriors = """
        experiment: cands
        arms: [4, 12]
        baseline: 0.3
        sample_size: 20000
        outcome: {sd: 0.5}
        priors:
          sigma: {distribution: log-normal, median: 0.1, log_sd: 0.3}
          rho: {distribution: beta, alpha: 6, beta: 2}
          s: {distribution: uniform, min: 0.005, max: 0.02}
          prediction_error: {distribution: normal, mean: 0.1, sd: 0.02}
        threshold: {relative: 0.02}
        seed: 7
        """

    @Test("A 5,000-arm proposal gets a bounded arm curve that still spans 2 … 2m")
    func largeArmCount() throws {
        let prediction = try Self.predict(Self.penn.replacingOccurrences(of: "arms: 20", with: "arms: 5000"))
        let counts = prediction.armCurve.map(\.arms)
        #expect(counts.count <= 100)
        #expect(counts.first == 2 && counts.last == 10_000 && counts.contains(5000))
        #expect(Array(2...40).allSatisfy(counts.contains))
        #expect(prediction.armCurve.allSatisfy { $0.gain.isFinite })
    }

    @Test("Priors give a spread, candidates give per-count summaries, levers reuse the draws")
    func priorsAndCandidates() throws {
        let prediction = try Self.predict(Self.withPriors)
        #expect(
            prediction.gain.sd > 0 && prediction.gain.p05 < prediction.gain.p50
                && prediction.gain.p50 < prediction.gain.p95
        )
        #expect(prediction.candidates.map(\.arms) == [4, 12])
        #expect(prediction.levers.contains { $0.name == "add-samples" })
        for lever in prediction.levers { #expect(lever.gainNow == prediction.levers[0].gainNow) }
        #expect(try Self.predict(Self.withPriors) == prediction, "a seed reproduces the report exactly")
    }

    @Test("Counterfactual swaps as in Table 5: Penn-Geisinger with Walmart's σ loses its gain")
    func counterfactuals() throws {
        let prediction = try Self.predict(
            Self.penn
                + "\ncompare_with: {label: walmart, sigma: 0.078, rho: 0.61, s: 0.007, prediction_error: 0.39, arms: 23}"
        )
        let bySwap = Dictionary(uniqueKeysWithValues: prediction.counterfactuals.map { ($0.parameter, $0.gain) })
        let original = try #require(bySwap["original"])
        #expect(try #require(bySwap["sigma"]) < 0.1 * original)
        #expect(try #require(bySwap["rho"]) > original)
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

    @Test("Percentages never round a real chance to 0% or 100%")
    func percent() {
        #expect(NumberText.percent(0.004) == "<1%")
        #expect(NumberText.percent(0.996) == ">99%")
        #expect(NumberText.percent(0) == "0%" && NumberText.percent(1) == "100%")
        #expect(NumberText.percent(0.7998) == "80%")
    }
}
