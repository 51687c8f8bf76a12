import AdvisorModel

/// `reports/index.html`: the track record first (how often the predictions held, as a chart and
/// a table), then every experiment with links to its latest prediction and verdict. The page
/// sits in `reports/`, so the links are relative and the folder can be copied or served as is.
extension ExperimentIndex {
    /// At most `limit` experiments (the most recent) are listed, so that a spool with years of
    /// experiments still writes a page in milliseconds; `history` lists every one.
    public func html(limit: Int = 500) -> String {
        typealias H = HTMLPage
        typealias W = IndexWording
        let n = NumberText.significant
        var b = "<h1>Experiments: predicted and realized gains from personalization</h1>"
        let record = trackRecord
        b += H.paragraph(W.headline(experiments: experiments.count, held: Self.held(record)))

        if !record.isEmpty {
            b += H.heading("Track record")
            let charted = record.prefix(Self.chartedPairs)
            var rows: [SVGChart.IntervalRow] = []
            for t in charted {
                let f = t.forecast
                rows.append(
                    .init(
                        label: "\(t.experiment) predicted",
                        value: f.gain,
                        lower: f.range?.lower ?? f.gain,
                        upper: f.range?.upper ?? f.gain
                    )
                )
                let se = t.verdict.standardError ?? 0
                rows.append(
                    .init(
                        label: "\(t.experiment) realized",
                        value: t.verdict.gain,
                        lower: t.verdict.gain - 1.96 * se,
                        upper: t.verdict.gain + 1.96 * se,
                        highlight: true
                    )
                )
            }
            let more = record.count > charted.count ? " (the \(charted.count) most recent of \(record.count))" : ""
            b += SVGChart.intervals(
                title: "Predicted 90% range and realized gain, by experiment\(more)",
                desc:
                    "For each experiment, the gain its proposal predicted before the test (blue point: mean, line: 90% range over the priors) and the gain its verdict realized on held-out units (orange point, line: 95% interval), in the experiment's outcome units; zero is marked.",
                axis: "gain over the best single arm (each experiment's outcome units)",
                rows: rows,
                references: [.init(value: 0, label: "0")]
            )
            b += H.table(
                [
                    "experiment", "predicted gain", "predicted 90% range", "realized gain ± SE", "range held?",
                    "verdict",
                ],
                record.prefix(limit).map {
                    [
                        $0.experiment, n($0.forecast.gain), W.range($0.forecast), W.realized($0.verdict), W.held($0),
                        $0.verdict.verdict,
                    ]
                },
                numeric: [1, 3]
            )
            b += H.paragraph(W.calibrationNote)
        }

        // Verdicts with no prediction before them (data dropped without a proposal) have no
        // track record, but their realized gains are still what a reader of the page wants first.
        let paired = Set(record.map(\.experiment))
        let unpaired = byRecency.filter { $0.latestVerdict != nil && !paired.contains($0.id) }
        if !unpaired.isEmpty {
            b += H.heading(record.isEmpty ? "Verdicts" : "Verdicts without a prediction")
            // In standard errors: the experiments' outcomes have their own units (dollars beside
            // clicks), so only the gain's size against its noise reads on one axis. A verdict
            // without a standard error has no place on it; the table below still lists it.
            let chartable: [SVGChart.IntervalRow] = unpaired.compactMap { e in
                guard let v = e.latestVerdict, let se = v.standardError, se > 0, v.gain.isFinite else { return nil }
                // A tiny standard error (5e-324) makes the ratio infinite: such a verdict has no
                // place on the axis either (the table lists it).
                let z = v.gain / se
                guard z.isFinite else { return nil }
                return .init(label: e.id, value: z, lower: z - 1.96, upper: z + 1.96)
            }
            let rows = Array(chartable.prefix(min(limit, 2 * Self.chartedPairs)))
            let more = chartable.count > rows.count ? " (the \(rows.count) most recent of \(chartable.count))" : ""
            if !rows.isEmpty {
                b += SVGChart.intervals(
                    title: "Realized gain of each experiment's latest verdict, in standard errors\(more)",
                    desc:
                        "For each experiment whose data came without a proposal before it, the gain its latest verdict realized on held-out units over the best single arm, divided by its standard error (point, line: 95% interval); beyond ±1.96 the gain is more than noise.",
                    axis: "realized gain / its standard error",
                    rows: rows,
                    references: [
                        .init(value: -1.96, label: "-1.96"), .init(value: 0, label: "0"),
                        .init(value: 1.96, label: "1.96"),
                    ]
                )
            }
            b += H.paragraph(W.unpairedNote)
        }

        b += H.heading("Every experiment")
        let listed = byRecency.prefix(limit)
        if experiments.count > listed.count {
            b += H.paragraph(
                "The \(listed.count) most recently active of \(experiments.count); `experiment-advisor history` lists every one."
            )
        }
        func link(_ r: Report?, _ text: (Report) -> String) -> String {
            guard let r else { return "–" }
            let label = H.escape("\(ExperimentIndex.readable(r.stamp)): \(text(r))")
            guard let page = r.page else { return label }
            return "<a href=\"\(H.escape(Self.href(page)))\">\(label)</a>"
        }
        b += H.table(
            ["experiment", "latest prediction", "latest verdict", "reports"],
            listed.map { e in
                [
                    H.escape(e.id),
                    link(e.latestPrediction, W.prediction),
                    link(e.latestVerdict, W.verdict),
                    "\(e.predictions.count) prediction\(e.predictions.count == 1 ? "" : "s"), \(e.verdicts) verdict\(e.verdicts == 1 ? "" : "s")",
                ]
            },
            markup: [0, 1, 2, 3]
        )
        if !rejections.isEmpty {
            b += H.heading("Rejected inputs")
            b += H.table(
                ["when", "input", "experiment", "reason", "error file"],
                rejections.map {
                    [
                        ExperimentIndex.readable($0.stamp), $0.name, $0.experiment ?? "–", W.reason($0),
                        $0.errorFile ?? "–",
                    ]
                }
            )
            b += H.paragraph(W.rejectedNote(shown: rejections.count))
        }
        b +=
            "<p class=\"method\">Rewritten after every report. A verdict is judged against the last prediction made for the same experiment before it; the predicted range is the 5th to 95th percentile of the gain over the proposal's priors, the realized gain the recommended policy's AIPW gain over the best uniform arm on held-out units (GainFromPersonalization.md, EstimatingParameters.md).</p>"
        return H.page(title: "Experiments: track record", body: b)
    }

    /// Pairs drawn in the chart (each is two rows); the table holds the rest.
    static let chartedPairs = 30

    /// A relative link to a report: each path segment percent-encoded, so an experiment id with
    /// a space, `#` or `?` still links to its folder.
    static func href(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            var out = ""
            for byte in segment.utf8 {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                    UInt8(ascii: "~"):
                    out.unicodeScalars.append(Unicode.Scalar(byte))
                default:
                    let hex = Array("0123456789ABCDEF")
                    out += "%\(hex[Int(byte >> 4)])\(hex[Int(byte & 15)])"
                }
            }
            return out
        }
        .joined(separator: "/")
    }
}
