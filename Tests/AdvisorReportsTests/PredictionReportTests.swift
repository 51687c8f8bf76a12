import AdvisorModel
import AdvisorFormats
@testable import AdvisorReports
import Foundation
import Testing

@Suite("Prediction reports")
struct PredictionReportTests {
    static func predict(_ text: String) throws -> Prediction {
        try Predictor().predict(try ProposalFile.parse(text, file: "p.yaml"))
    }

    @Test("Gains read as percentage points for a 0/1 outcome only, not for a continuous one at a level in [0, 1]")
    func percentagePoints() throws {
        let rate = try Predictor().predict(
            try ProposalFile.load(path: RepositoryFile.path("config/proposals/example-minimal.yaml"))
        )
        #expect(PredictionReport.text(rate).contains("percentage points"))
        // example-results: outcome {sd: 0.67} at a level of 0.3, which a rate could also have.
        let level = try Predictor().predict(
            try ProposalFile.load(path: RepositoryFile.path("config/proposals/example-results.yaml"))
        )
        #expect(level.parameters.binaryOutcome == false && (0...1).contains(level.bestUniformValue))
        #expect(!PredictionReport.text(level).contains("percentage points"))
    }

    @Test("A verdict near its cut-off is the same under every seed, or called borderline under each that differs")
    func borderlineAcrossSeeds() throws {
        // The README's running example sits at a chance of about 0.80, the actionable cut-off.
        let path = RepositoryFile.path("config/proposals/example-minimal.yaml")
        var proposal = try ProposalFile.load(path: path)
        var answers: [(verdict: Verdict, borderline: Bool)] = []
        for seed in [1, 2, 3, 20_240_601] as [UInt64] {
            proposal.seed = seed
            let prediction = try Predictor().predict(proposal)
            let borderline = prediction.notes.contains { if case .borderline = $0 { true } else { false } }
            answers.append((prediction.verdict, borderline))
            if borderline {
                #expect(PredictionWording.headline(prediction).contains("borderline"))
                #expect(prediction.gain.draws > 4000, "more draws before calling it borderline")
            }
        }
        for a in answers {
            for b in answers where a.verdict != b.verdict {
                #expect(a.borderline && b.borderline, "\(answers)")
            }
        }
        // Fixed priors give an exact chance: never borderline.
        proposal.priors = .init(sigma: .fixed(0.15), rho: .fixed(0.7), s: .fixed(0.007), predictionError: .fixed(0.3))
        #expect(
            !(try Predictor().predict(proposal)).notes.contains { if case .borderline = $0 { true } else { false } }
        )
    }

    @Test("The histogram puts the threshold on a bin edge, so no bar straddles it")
    func histogramThreshold() throws {
        let path = RepositoryFile.path("config/proposals/example-minimal.yaml")
        let prediction = try Predictor().predict(try ProposalFile.load(path: path))
        let bins = prediction.gain.histogram
        #expect(!bins.isEmpty)
        for bin in bins {
            #expect(!(bin.lower < prediction.threshold - 1e-12 && bin.upper > prediction.threshold + 1e-12), "\(bin)")
        }
        #expect(bins.reduce(0) { $0 + $1.count } == prediction.gain.draws)
    }

    @Test("JSON carries the keys scripts rely on, and no NaN")
    func jsonKeys() throws {
        let path = RepositoryFile.path("config/proposals/example-minimal.yaml")
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
        // The curve spans 2 … 2m at least, and goes on until it has peaked or flattened.
        #expect(curve.count >= 39 && curve.first?["arms"] as? Int == 2)
        #expect((curve.last?["arms"] as? Int ?? 0) >= 40)
        #expect(object["elasticities"] is [[String: Any]])
        #expect(object["parameters"] is [String: Any])
        #expect(!json.contains("nan") && !json.contains("NaN"))
    }

    @Test("The text report leads with the verdict and the action, and ends with the method")
    func textOrder() throws {
        let path = RepositoryFile.path("config/proposals/example-minimal.yaml")
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
        #expect(PredictionWording.action(prediction).contains("best arm to everyone"))
    }

    @Test("The central parameters read back from a report's JSON are the ones written")
    func centralRoundTrip() throws {
        let path = RepositoryFile.path("config/proposals/example-minimal.yaml")
        let prediction = try Predictor().predict(try ProposalFile.load(path: path))
        let json = try PredictionReport.json(prediction)
        #expect(PredictionReport.centralParameters(fromJSON: Data(json.utf8)) == prediction.parameters.central)
        #expect(PredictionReport.centralParameters(fromJSON: Data("{}".utf8)) == nil)
    }

    @Test("ρ = 1 (no crossover, every gain ≤ 0 up to rounding) renders: no trap, empty bars, a verdict")
    func rhoOne() throws {
        let prediction = try Self.predict(
            """
            experiment: r1
            arms: 4
            baseline: 0.3
            priors: {sigma: 0.2, rho: 1, s: 0.01, prediction_error: 0.1}
            threshold: 0.01
            """
        )
        let text = PredictionReport.text(prediction)
        #expect(text.contains("VERDICT: NOT ACTIONABLE"))
        #expect(!text.contains("#"), "no bar for a gain at or below 0")
        #expect(!(try PredictionReport.json(prediction)).contains("NaN"))
    }

    @Test(
        "Bar lengths stay within 0 … width for any pair of numbers",
        arguments: [
            (0.5, 1.0, 20), (1.0, 1.0, 40), (2.0, 1.0, 40), (-1e-17, 1e-300, 0), (1e-17, 1e-300, 40), (.nan, 1, 0),
            (1, .infinity, 0), (1, 0, 0), (.infinity, 1, 0),
        ] as [(Double, Double, Int)]
    )
    func barLength(value: Double, top: Double, expected: Int) {
        #expect(ReportText.barLength(value, of: top, width: 40) == expected)
    }
}

/// A file of this repository by its path from the top: the bundled examples and the one copy of
/// each test fixture (Tests/Fixtures), never a copy in a test target.
enum RepositoryFile {
    static func path(_ relative: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(relative).path
    }
}
