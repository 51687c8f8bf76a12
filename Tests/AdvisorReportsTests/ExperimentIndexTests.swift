import AdvisorModel
import Foundation
import Testing

@testable import AdvisorReports

/// The report index: which prediction a verdict is judged against, when a range held, and the
/// page and text built from the same numbers.
@Suite("Report index and track record")
struct ExperimentIndexTests {
    typealias Report = ExperimentIndex.Report

    static func prediction(_ stamp: String, gain: Double, _ lower: Double, _ upper: Double, id: String = "x") -> Report
    {
        Report(
            kind: .prediction,
            stamp: stamp,
            verdict: "actionable",
            gain: gain,
            range: (lower, upper),
            files: [
                "\(id)/\(stamp)-prediction.json", "\(id)/\(stamp)-prediction.txt", "\(id)/\(stamp)-prediction.html",
            ]
        )
    }

    static func verdict(_ stamp: String, gain: Double, se: Double = 0.01, id: String = "x") -> Report {
        Report(
            kind: .verdict,
            stamp: stamp,
            verdict: "personalize",
            gain: gain,
            standardError: se,
            files: ["\(id)/\(stamp)-verdict.json", "\(id)/\(stamp)-verdict.html"]
        )
    }

    @Test("A verdict is judged against the last prediction before it, not one made after the data came back")
    func pairing() throws {
        var index = ExperimentIndex()
        index.add(Self.prediction("20270101T000000.000Z", gain: 0.1, 0.05, 0.15), experiment: "x")
        index.add(Self.prediction("20270201T000000.000Z", gain: 0.2, 0.1, 0.3), experiment: "x")
        index.add(Self.verdict("20270301T000000.000Z", gain: 0.25), experiment: "x")
        index.add(Self.prediction("20270401T000000.000Z", gain: 0.9, 0.8, 1.0), experiment: "x")
        let record = try #require(index.trackRecord.first)
        #expect(index.trackRecord.count == 1)
        #expect(record.forecast.stamp == "20270201T000000.000Z")
        #expect(record.held == true)
        // The page's "latest prediction" is still the newest one.
        #expect(index.experiments["x"]?.latestPrediction?.gain == 0.9)
    }

    @Test("A range holds when the realized gain is inside it, ends included; below, above and no range are told apart")
    func held() {
        var index = ExperimentIndex()
        let cases: [(String, Double, Double, Double, Bool?)] = [
            ("inside", 0.2, 0.1, 0.3, true), ("at-lower", 0.1, 0.1, 0.3, true), ("below", 0.05, 0.1, 0.3, false),
            ("above", 0.31, 0.1, 0.3, false),
        ]
        for (id, realized, lower, upper, _) in cases {
            index.add(Self.prediction("20270101T000000.000Z", gain: 0.2, lower, upper, id: id), experiment: id)
            index.add(Self.verdict("20270102T000000.000Z", gain: realized, id: id), experiment: id)
        }
        var fixed = Report(kind: .prediction, stamp: "20270101T000000.000Z", verdict: "marginal", gain: 0.2, files: [])
        fixed.range = nil
        index.add(fixed, experiment: "fixed")
        index.add(Self.verdict("20270102T000000.000Z", gain: 0.2, id: "fixed"), experiment: "fixed")
        let byID = Dictionary(uniqueKeysWithValues: index.trackRecord.map { ($0.experiment, $0) })
        for (id, _, _, _, expected) in cases { #expect(byID[id]?.held == expected, "\(id)") }
        #expect(byID["fixed"]?.held == nil)
        #expect(byID["below"].map(IndexWording.held) == "missed (below)")
        #expect(byID["above"].map(IndexWording.held) == "missed (above)")
        // Four with a range, two held; the one without a range is not counted either way.
        #expect(index.held == (2, 4))
        #expect(IndexWording.headline(index).contains("in 2 (50%)"))
        #expect(IndexWording.headline(index).hasPrefix("5 experiments. Of the 4"))
    }

    @Test("A report added twice (a restart reads the ledger again) is counted once")
    func idempotent() {
        var index = ExperimentIndex()
        for _ in 0..<3 {
            index.add(Self.prediction("20270101T000000.000Z", gain: 0.2, 0.1, 0.3), experiment: "x")
            index.add(Self.verdict("20270102T000000.000Z", gain: 0.2), experiment: "x")
        }
        #expect(index.experiments["x"]?.predictions.count == 1)
        #expect(index.experiments["x"]?.verdicts == 1)
        // An older verdict read again after a newer one is not counted again either.
        index.add(Self.verdict("20270103T000000.000Z", gain: 0.3), experiment: "x")
        index.add(Self.verdict("20270102T000000.000Z", gain: 0.2), experiment: "x")
        #expect(index.experiments["x"]?.verdicts == 2)
        #expect(index.experiments["x"]?.latestVerdict?.gain == 0.3)
    }

    @Test("Without a forecast and a verdict there is no track record, and the headline says how to get one")
    func empty() throws {
        var index = ExperimentIndex()
        #expect(IndexWording.headline(index).hasPrefix("0 experiments."))
        index.add(Self.verdict("20270102T000000.000Z", gain: 0.2), experiment: "only-data")
        #expect(index.trackRecord.isEmpty)
        #expect(IndexWording.headline(index).contains("drop the proposal before the test"))
        let html = index.html()
        #expect(!html.contains("Track record</h2>"))
        #expect(html.contains("only-data"))
        // Its realized gain is still charted, apart from any track record, and says why.
        #expect(html.contains("Verdicts</h2>") && html.contains("in standard errors"))
        #expect(html.contains(IndexWording.unpairedNote))
        try HTMLReportTests.checkPage(html, minimumCharts: 1)
        index.add(Self.prediction("20270101T000000.000Z", gain: 0.2, 0.1, 0.3, id: "paired"), experiment: "paired")
        index.add(Self.verdict("20270102T000000.000Z", gain: 0.25, id: "paired"), experiment: "paired")
        let mixed = index.html()
        #expect(mixed.contains("Track record</h2>") && mixed.contains("Verdicts without a prediction</h2>"))
        try HTMLReportTests.checkPage(mixed, minimumCharts: 2)
    }

    @Test("The page links each experiment's latest HTML reports relative to reports/, every chart titled, no NaN")
    func page() throws {
        var index = ExperimentIndex()
        index.add(Self.prediction("20270101T000000.000Z", gain: 0.2, 0.1, 0.3, id: "flu.2027"), experiment: "flu.2027")
        index.add(Self.verdict("20270102T000000.000Z", gain: 0.25, id: "flu.2027"), experiment: "flu.2027")
        let html = index.html()
        #expect(html.contains("href=\"flu.2027/20270101T000000.000Z-prediction.html\""))
        #expect(html.contains("href=\"flu.2027/20270102T000000.000Z-verdict.html\""))
        #expect(html.contains("2027-01-02 00:00 UTC"))
        try HTMLReportTests.checkPage(html, minimumCharts: 1)
        let headline = try #require(html.range(of: "in 1 (100%)"))
        let chart = try #require(html.range(of: "<svg"))
        let table = try #require(html.range(of: "Every experiment"))
        #expect(headline.lowerBound < chart.lowerBound && chart.lowerBound < table.lowerBound)
    }

    @Test("A link's path segments are percent-encoded; the text is escaped")
    func encoding() {
        #expect(ExperimentIndex.href("a b/c#d?.html") == "a%20b/c%23d%3F.html")
        #expect(ExperimentIndex.href("é/x") == "%C3%A9/x")
        var index = ExperimentIndex()
        index.add(Self.verdict("20270102T000000.000Z", gain: 0.2, id: "<b>"), experiment: "<b>")
        #expect(!index.html().contains("<b>") && index.html().contains("&lt;b&gt;"))
    }

    @Test("The page lists at most `limit` experiments, the most recent, and says where the rest are")
    func limit() {
        var index = ExperimentIndex()
        for k in 0..<30 {
            let stamp = "202701\(k < 10 ? "0" : "")\(k)T000000.000Z"
            index.add(Self.verdict(stamp, gain: 0.1, id: "e\(k)"), experiment: "e\(k)")
        }
        let html = index.html(limit: 5)
        #expect(html.contains("The 5 most recently active of 30"))
        #expect(html.contains(">e29<") && !html.contains(">e3<"))
    }

    @Test("history's text says what the page says")
    func text() {
        var index = ExperimentIndex()
        index.add(Self.prediction("20270101T000000.000Z", gain: 0.2, 0.1, 0.3), experiment: "x")
        index.add(Self.verdict("20270102T000000.000Z", gain: 0.35), experiment: "x")
        let text = IndexWording.text(index)
        #expect(text.contains("Track record: " + IndexWording.headline(index)))
        #expect(text.contains("x: predicted 0.2 (90%: 0.1 to 0.3), realized 0.35 ± 0.01: missed (above)"))
        #expect(index.html().contains(IndexWording.headline(index)))
    }

    @Test("Stamps read as dates; anything else is shown as it is")
    func readable() {
        #expect(ExperimentIndex.readable("20261129T083405.123Z") == "2026-11-29 08:34 UTC")
        #expect(ExperimentIndex.readable("odd") == "odd")
    }

    @Test("Rejected inputs are listed newest first with their reasons, each once, at most 50, a long reason cut")
    func rejections() {
        var index = ExperimentIndex()
        #expect(!index.html().contains("Rejected inputs"), "no section without a rejection")
        for day in 1...60 {
            let stamp = String(format: "2027%04dT000000.000Z", day)
            index.add(
                .init(
                    stamp: stamp,
                    name: "bad-\(day).yaml",
                    experiment: nil,
                    reason: "bad-\(day).yaml: <field> 'x' is wrong",
                    errorFile: "rejected/\(stamp)-bad-\(day).yaml.error.txt"
                )
            )
        }
        #expect(index.rejections.count == ExperimentIndex.rejectionsKept)
        #expect(zip(index.rejections, index.rejections.dropFirst()).allSatisfy { $0.stamp >= $1.stamp })
        let first = index.rejections[0]
        index.add(first)
        #expect(index.rejections.count == ExperimentIndex.rejectionsKept, "seen again, listed once")
        let page = index.html()
        #expect(page.contains("<h2>Rejected inputs</h2>") && page.contains("&lt;field&gt; &#39;x&#39; is wrong"))
        #expect(page.contains(">\(first.name)<") && page.contains(">\(first.errorFile ?? "")<"))
        let long = ExperimentIndex.Rejection(
            stamp: "s",
            name: "n",
            experiment: "e",
            reason: String(repeating: "r", count: 1000),
            errorFile: nil
        )
        #expect(IndexWording.reason(long).count == 401)
    }
}

@Suite("Progress lines")
struct ProgressWordingTests {
    @Test("A stage with a known total reads k/n, one without counts its models, a name stays one line")
    func lines() {
        #expect(
            ProgressWording.step(.init(stage: "outcome_models", done: 7, total: 23)) == "fitting outcome models 7/23"
        )
        #expect(
            ProgressWording.step(.init(stage: "policy_tree", done: 1)) == "learning the policy tree (1 model fitted)"
        )
        #expect(ProgressWording.step(.init(stage: "split")) == "splitting the units")
        #expect(ProgressWording.step(.init(stage: "new_stage")) == "new stage")
        #expect(
            ProgressWording.line("flu\n2027", .init(stage: "reading")) == "analyzing flu 2027: reading the data"
        )
    }
}

@Suite("Policy tree drawing")
struct TreeDrawingTests {
    @Test("A tree's rules become the tree they came from: shared first conditions share a branch")
    func fromRules() {
        let root = SVGChart.TreeNode(paths: [
            ([("age", "≤ 40"), ("income", "≤ 3")], "A"), ([("age", "≤ 40"), ("income", "> 3")], "B"),
            ([("age", "> 40")], "C"),
        ])
        #expect(
            root
                == .split(
                    "age",
                    [
                        .init(
                            condition: "≤ 40",
                            node: .split(
                                "income",
                                [.init(condition: "≤ 3", node: .leaf("A")), .init(condition: "> 3", node: .leaf("B"))]
                            )
                        ),
                        .init(condition: "> 40", node: .leaf("C")),
                    ]
                )
        )
        #expect(root.leaves == 3 && root.depth == 2)
        #expect(SVGChart.TreeNode(paths: [([], "everyone")]) == .leaf("everyone"))
    }

    @Test("The drawing titles itself, labels every split, edge and leaf, and marks the highlighted arm")
    func drawing() {
        let root = SVGChart.TreeNode(paths: [([("x", "≤ 1")], "arm-1\n40%"), ([("x", "> 1")], "arm-2\n60%")])
        let svg = SVGChart.tree(title: "t", desc: "d", root: root) { $0.hasPrefix("arm-2\n") }
        #expect(svg.contains("<title id=") && svg.contains(">≤ 1<") && svg.contains(">&gt; 1<") && svg.contains(">x<"))
        #expect(svg.contains(">arm-1<") && svg.contains(">60%<"))
        #expect(svg.components(separatedBy: "fill=\"#D55E00\"").count == 2, "one highlighted leaf")
    }

    @Test("A condition reads the same in the rules and, without its covariate, on the tree's branch")
    func tests() {
        let c = PolicyRule.Condition(covariate: "age", op: "<=", value: "42.5")
        #expect(VerdictWording.condition(c) == "age <= 42.5" && VerdictWording.test(c) == "≤ 42.5")
        #expect(VerdictWording.test(.init(covariate: "x", op: "missing", value: nil)) == "missing")
        #expect(VerdictWording.test(.init(covariate: "ch", op: "==", value: "web")) == "= web")
    }
}

/// Numbers an input can make extreme reach the index and the charts from stored decisions; the
/// daemon renders them in its own process, so nothing here may trap or loop (issue 31).
@Suite("Extreme numbers in the index and the charts")
struct ExtremeNumberTests {
    typealias Report = ExperimentIndex.Report

    @Test(
        "The index renders verdicts whose gain over SE overflows, or whose figures are ±1e308, ±inf or NaN",
        arguments: [
            (1.0, Double.leastNonzeroMagnitude), (1e308, 1e-300), (-1e308, 1.0), (1.0, 1e308), (.infinity, 1.0),
            (1.0, .nan),
            (.nan, .infinity), (Double.leastNonzeroMagnitude, Double.leastNonzeroMagnitude),
        ] as [(Double, Double)]
    )
    func index(gain: Double, se: Double) throws {
        var index = ExperimentIndex()
        // One unpaired verdict (charted in standard errors) and one paired with a forecast.
        index.add(ExperimentIndexTests.verdict("20270102T000000.000Z", gain: gain, se: se, id: "a"), experiment: "a")
        index.add(
            ExperimentIndexTests.prediction("20270101T000000.000Z", gain: gain, -1e308, 1e308, id: "b"),
            experiment: "b"
        )
        index.add(ExperimentIndexTests.verdict("20270102T000000.000Z", gain: gain, se: se, id: "b"), experiment: "b")
        let html = index.html()
        #expect(html.contains("Every experiment"))
        #expect(!html.contains("nan") && !html.contains("inf\""), "a non-finite number reached the page")
    }

    @Test("A coordinate is clamped and NaN drawn at 0; ticks of extreme spans end, empty if no round step fits")
    func pieces() {
        #expect(SVGChart.number(.infinity) == "1000000" && SVGChart.number(-.infinity) == "-1000000")
        #expect(SVGChart.number(.nan) == "0" && SVGChart.number(1e308) == "1000000")
        #expect(SVGChart.number(12.34) == "12.3" && SVGChart.number(-3) == "-3")
        for (lo, hi) in [
            (-1e308, 1e308), (-Double.leastNonzeroMagnitude, Double.leastNonzeroMagnitude),
            (0, Double.leastNonzeroMagnitude), (1e307, 1.7e308), (-1.7e308, -1e307),
        ] {
            #expect(SVGChart.ticks(lo, hi).count <= 24, "\(lo)…\(hi)")
        }
        #expect(SVGChart.powerOfTen(below: .infinity) == 1 && SVGChart.powerOfTen(below: 0) == 1)
        let chart = SVGChart.intervals(
            title: "t",
            desc: "d",
            axis: "x",
            rows: [
                .init(label: "a", value: 1e308, lower: -1e308, upper: .infinity),
                .init(label: "b", value: .nan, lower: Double.leastNonzeroMagnitude, upper: 1),
            ]
        )
        #expect(chart.contains("<svg"))
        let lines = SVGChart.lines(
            title: "t",
            desc: "d",
            xAxis: "x",
            yAxis: "y",
            series: [.init(name: "s", points: [(0, 1e308), (50, -1e308), (100, .infinity)])]
        )
        #expect(lines.contains("<polyline"))
        let bars = SVGChart.bars(
            title: "t",
            desc: "d",
            axis: "x",
            rows: [("a", 1e308, false), ("b", -.infinity, true)]
        )
        #expect(bars.contains("<rect"))
        let histogram = SVGChart.histogram(title: "t", desc: "d", axis: "x", bins: [(-1e308, 1e308, 3), (0, .nan, 1)])
        #expect(histogram.contains("<rect"))
    }
}
