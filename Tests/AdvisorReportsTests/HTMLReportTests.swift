import AdvisorFormats
import AdvisorModel
import Foundation
import Testing

@testable import AdvisorReports

/// The HTML renditions and the SVG module they are drawn with. The browser checks (console,
/// requests, overflow at phone width) run in scripts/html-check.sh; these hold the pieces.
@Suite("HTML reports and charts")
struct HTMLReportTests {
    @Test(
        "Ticks are round (1, 2 or 5 × 10^k), inside the range, about the count asked for",
        arguments: [(0.0, 1.0), (-0.037, 0.052), (3.0, 3.0001), (-1200.0, -15.0), (0.0, 0.000_42), (2.0, 30.0)]
    )
    func ticks(lo: Double, hi: Double) throws {
        let ticks = SVGChart.ticks(lo, hi)
        #expect(ticks.count >= 2 && ticks.count <= 11, "\(ticks)")
        #expect(ticks.allSatisfy { $0 >= lo - 1e-12 && $0 <= hi + 1e-12 }, "\(ticks)")
        let step = ticks[1] - ticks[0]
        let magnitude = SVGChart.powerOfTen(below: step)
        // Tolerance 1e-9 relative: steps are built by multiplying powers of ten, so they are exact
        // to a few ulps, not bits.
        #expect([1.0, 2, 5, 10].contains { abs(step - $0 * magnitude) < 1e-9 * step }, "step \(step)")
        for (a, b) in zip(ticks, ticks.dropFirst()) { #expect(abs((b - a) - step) < 1e-9 * step) }
    }

    @Test("A scale maps its domain's ends to its range's; a flat domain maps to the middle")
    func scale() {
        let s = SVGChart.LinearScale(domain: (2, 6), range: (100, 300))
        #expect(s(2) == 100 && s(6) == 300 && s(4) == 200)
        #expect(SVGChart.LinearScale(domain: (5, 5), range: (0, 10))(5) == 5)
        #expect(SVGChart.extent([7]) == (6.3, 7.7))
        #expect(SVGChart.extent([]) == (0, 1))
        #expect(SVGChart.extent([0, .nan, 10]) == (-0.5, 10.5))
    }

    @Test("Text is escaped in markup, so an arm named with markup stays text")
    func escaping() {
        #expect(SVGChart.escape("<a href=\"x\">B&'C</a>") == "&lt;a href=&quot;x&quot;&gt;B&amp;&#39;C&lt;/a&gt;")
        let chart = SVGChart.bars(title: "arms <b>", desc: "d", axis: "x", rows: [("<script>", 1, false)])
        #expect(!chart.contains("<script>") && chart.contains("&lt;script&gt;"))
    }

    static func prediction(_ file: String) throws -> Prediction {
        try Predictor().predict(try ProposalFile.load(path: RepositoryFile.path("config/proposals/\(file)")))
    }

    @Test("A prediction page leads with the verdict and the action, every chart titled, no NaN, self-contained")
    func predictionPage() throws {
        for file in ["example-minimal.yaml", "message-names.yaml", "price-test-arm-counts.yaml"] {
            let p = try Self.prediction(file)
            let html = PredictionReport.html(p)
            try Self.checkPage(html)
            let verdict = try #require(html.range(of: "class=\"verdict"))
            let action = try #require(html.range(of: "Do this:"))
            let method = try #require(html.range(of: "<h2>Method</h2>"))
            let chart = try #require(html.range(of: "<svg"))
            #expect(verdict.lowerBound < action.lowerBound && action.lowerBound < chart.lowerBound)
            #expect(chart.lowerBound < method.lowerBound, "\(file): the method comes last")
            #expect(html.contains(SVGChart.escape(PredictionWording.headline(p))))
            #expect(PredictionReport.html(p) == html, "the same prediction renders to the same bytes")
        }
    }

    @Test("A prediction with uncertain priors draws its gain distribution with the threshold marked")
    func histogram() throws {
        let p = try Self.prediction("example-minimal.yaml")
        #expect(p.gain.draws > 1)
        // 20 bins, or 21 when the threshold is moved onto a bin edge.
        #expect([20, 21].contains(p.gain.histogram.count))
        #expect(p.gain.histogram.reduce(0) { $0 + $1.count } == p.gain.draws)
        #expect(PredictionReport.html(p).contains("Predicted gain over the priors"))
    }

    /// What every page must be: one document, no script, nothing fetched, every chart with a
    /// title and a description, no NaN or infinity anywhere.
    static func checkPage(_ html: String, minimumCharts: Int = 2) throws {
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("Content-Security-Policy") && html.contains("default-src 'none'"))
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("url("))
        // The SVG namespace is a name, not a fetch; nothing else may point anywhere.
        let stripped = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        #expect(!stripped.contains("http://") && !stripped.contains("https://") && !stripped.contains("//"))
        let svgs = html.components(separatedBy: "<svg").count - 1
        #expect(svgs >= minimumCharts)
        #expect(html.components(separatedBy: "<title id=").count - 1 == svgs, "every chart has a title")
        #expect(html.components(separatedBy: "<desc id=").count - 1 == svgs, "every chart has a description")
        for bad in ["nan", "NaN", "inf\"", "Infinity"] { #expect(!html.contains(bad), "\(bad) in the page") }
    }

    @Test("A verdict page: verdict and action first, guardrails right after, charts, then the method")
    func verdictPage() throws {
        var truth = SyntheticExperiment(sigma: 0.4, rho: 0.1, armMeans: [1, 1.02, 1.04], noise: 0.5)
        truth.guardrails = [
            SyntheticGuardrail(
                column: "unsubscribed",
                armMeans: [0, 0, 0],
                sigma: 0.3,
                correlation: 0.8,
                noise: 0.3,
                largerIsBetter: false,
                maxLoss: .absolute(0.02)
            )
        ]
        var settings = AnalysisSettings()
        settings.bootstrap = 50
        settings.estimateBootstrap = 5
        var prediction = PredictionSettings()
        prediction.leverDraws = 50
        let v = try PostExperimentAnalyzer(settings: settings, prediction: prediction).analyze(
            experiment: "html",
            data: truth.generate(units: 6_000, seed: 4),
            covariateNames: (0..<truth.columns).map { "x\($0)" },
            binaryOutcome: false,
            models: [("ridge-t-learner", RidgeOutcomeModel())]
        ).verdict
        let html = VerdictReport.html(v)
        try Self.checkPage(html)
        let action = try #require(html.range(of: "Do this:"))
        let guardrails = try #require(html.range(of: "<h2>Guardrails</h2>"))
        let policies = try #require(html.range(of: "<h2>Each policy against the best single arm</h2>"))
        let method = try #require(html.range(of: "<h2>Method</h2>"))
        #expect(action.lowerBound < guardrails.lowerBound && guardrails.lowerBound < policies.lowerBound)
        #expect(policies.lowerBound < method.lowerBound)
        for policy in v.policies { #expect(html.contains(SVGChart.escape(policy.name))) }

        // A name that slipped past its reader: each text line stays one line, escapes shown.
        var named = v
        named.data.arms[0].arm = "x\nverdict: personalize FORGED\u{1B}[2J"
        named.bestUniformArm = named.data.arms[0].arm
        let text = VerdictReport.text(named)
        #expect(!text.contains("\nverdict: personalize FORGED") && !text.contains("\u{1B}"))
        #expect(text.contains("x\\nverdict: personalize FORGED\\u{1B}[2J"), "\(text)")

        // Finite extremes and worse, in every figure a chart draws (a summary's SE, outcome
        // SD, σ̂, gain curve): the page still renders (issue 31: it trapped on Int(±inf)).
        for extreme in [1e308, -1e308, Double.infinity, Double.nan, Double.leastNonzeroMagnitude] {
            var bad = v
            bad.data.outcomeSD = extreme
            bad.estimates.sigma = extreme
            bad.threshold = extreme
            for k in bad.policies.indices {
                bad.policies[k].aipw.standardError = extreme
                bad.policies[k].aipw.gain = extreme
                for j in bad.policies[k].gainCurve.indices {
                    bad.policies[k].gainCurve[j].gain = extreme
                    bad.policies[k].gainCurve[j].standardError = extreme
                }
            }
            bad.predicted.gain = extreme
            bad.predicted.realizedStandardError = extreme
            for k in bad.data.arms.indices { bad.data.arms[k].mean = extreme }
            let page = VerdictReport.html(bad)
            #expect(page.contains("<h2>Method</h2>"), "\(extreme)")
        }
    }
}

@Suite("The personalization curve in words")
struct CurveReadingTests {
    @Test("A part is never quoted as larger than its whole")
    func partWithinWhole() {
        // The case: 30% gains 0.009709, everyone 0.004825.
        let curve: [PersonalizationCurve.Point] = [
            .init(share: 0, gain: 0, standardError: 0), .init(share: 0.3, gain: 0.009709, standardError: 0.003),
            .init(share: 0.6, gain: 0.007, standardError: 0.004), .init(share: 1, gain: 0.004825, standardError: 0.005),
        ]
        let words = VerdictWording.curveReading(curve, policy: "p")
        #expect(!words.contains("of the 0.004825"), "\(words)")
        #expect(words.contains("0.009709, more than the 0.004825"), "\(words)")
        // A curve that is negative at 100% but positive early does not say it never beats the arm.
        var early = curve
        early[3].gain = -0.001
        #expect(!VerdictWording.curveReading(early, policy: "p").contains("does not beat"))
    }
}
