import AdvisorModel
import Foundation

/// The index's sentences and cells, shared by `reports/index.html` and `history`, so the page
/// and the terminal say the same thing in the same words.
public enum IndexWording {
    static let n = NumberText.significant

    /// The page's and the text's lead: how many experiments, and how often the forecasts held.
    public static func headline(_ index: ExperimentIndex) -> String {
        headline(experiments: index.experiments.count, held: index.held)
    }

    static func headline(experiments count: Int, held: (held: Int, of: Int)) -> String {
        let experiments = "\(count) experiment\(count == 1 ? "" : "s")"
        let (held, judged) = held
        guard judged > 0 else {
            return
                "\(experiments). No experiment has both a proposal's prediction and a verdict yet: drop the proposal before the test and the data after it, under the same experiment id, to build the track record."
        }
        return
            "\(experiments). Of the \(judged) with a prediction before the test and a verdict after it, the realized gain fell inside the predicted 90% range in \(held) (\(NumberText.percent(Double(held) / Double(judged))))."
    }

    /// Under the chart of verdicts that no prediction came before.
    public static let unpairedNote =
        "These tests were analyzed without a proposal dropped before them, so there is no forecast to hold them to; drop the proposal before the next test to build a track record."

    /// What a 90% range should do, so a reader can judge the rate in the headline.
    public static let calibrationNote =
        "A well-calibrated 90% range holds about 9 times in 10 over many experiments; far fewer means the priors were too narrow or biased, far more that they were wider than they needed to be. The realized gain is itself an estimate (± its standard error), so a miss by less than two standard errors is not a clear miss."

    /// Under the list of rejected inputs.
    public static func rejectedNote(shown: Int) -> String {
        "The \(shown) most recent rejections, newest first. Each input was moved to rejected/ in the spool with its error file beside it; fix what the reason says and drop the file again. `experiment-advisor history` lists every one."
    }

    /// A rejection's reason as the index shows it: its first 400 characters.
    public static func reason(_ r: ExperimentIndex.Rejection) -> String {
        r.reason.count > 400 ? String(r.reason.prefix(400)) + "…" : r.reason
    }

    public static func prediction(_ r: ExperimentIndex.Report) -> String {
        "\(r.verdict), gain \(n(r.gain))" + (r.range.map { " (90%: \(n($0.lower)) to \(n($0.upper)))" } ?? "")
    }

    public static func verdict(_ r: ExperimentIndex.Report) -> String {
        "\(r.verdict), realized gain \(realized(r))"
    }

    public static func realized(_ r: ExperimentIndex.Report) -> String {
        n(r.gain) + (r.standardError.map { " ± \(n($0))" } ?? "")
    }

    public static func range(_ r: ExperimentIndex.Report) -> String {
        r.range.map { "\(n($0.lower)) to \(n($0.upper))" } ?? "–"
    }

    public static func held(_ t: ExperimentIndex.TrackRecord) -> String {
        switch t.held {
        case true?: "held"
        case false?: t.verdict.gain < (t.forecast.range?.lower ?? 0) ? "missed (below)" : "missed (above)"
        case nil: "no range"
        }
    }

    /// The text `history` prints after its list of inputs.
    public static func text(_ index: ExperimentIndex) -> String {
        var lines = ["", "Experiments (most recent first):"]
        for e in index.byRecency {
            var parts: [String] = []
            if let p = e.latestPrediction {
                parts.append("prediction \(ExperimentIndex.readable(p.stamp)) \(prediction(p))")
            }
            if let v = e.latestVerdict { parts.append("verdict \(ExperimentIndex.readable(v.stamp)) \(verdict(v))") }
            lines.append("  \(e.id): " + parts.joined(separator: "; "))
        }
        let record = index.trackRecord
        lines += [
            "", "Track record: " + headline(experiments: index.experiments.count, held: ExperimentIndex.held(record)),
        ]
        for t in record {
            lines.append(
                "  \(t.experiment): predicted \(n(t.forecast.gain)) (90%: \(range(t.forecast))), realized \(realized(t.verdict)): \(held(t))"
            )
        }
        return lines.joined(separator: "\n")
    }
}
