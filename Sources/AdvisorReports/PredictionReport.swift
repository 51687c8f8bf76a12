import AdvisorModel
import Foundation

/// Renders a prediction for people (text) and for scripts (JSON).
///
/// The text is ordered for a product manager: verdict and the one thing to do first, then the
/// numbers, then each lever, then the parameters, and the method last. Every figure is defined
/// in Sources/AdvisorModel/AdvisorModel.docc/GainFromPersonalization.md.
public enum PredictionReport {
    static let row = ReportText.row
    static let num = ReportText.number
    static let pct = NumberText.percent
    static let points = ReportText.points

    /// JSON with snake_case keys, sorted, pretty-printed, with the sentences in place. Fails
    /// rather than write a NaN.
    public static func json(_ prediction: Prediction) throws -> String {
        try ReportJSON.encode(PredictionWording.worded(prediction))
    }

    /// The central parameters (`parameters.central`) of a prediction report's JSON; nil when the
    /// text is not one. Read here, beside the writer, so the schema lives in one place; only that
    /// field is read, so reports from older versions still count.
    public static func centralParameters(fromJSON data: Data) -> ModelParameters? {
        struct Report: Decodable {
            struct Parameters: Decodable { var central: ModelParameters }
            var parameters: Parameters
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return (try? decoder.decode(Report.self, from: data))?.parameters.central
    }

    /// The human-readable report.
    public static func text(_ p: Prediction) -> String {
        var out: [String] = []
        out.append("Experiment \(p.experiment): will personalization beat the best single arm?")
        out.append("")
        out.append("VERDICT: \(ReportText.verdictLabel(p.verdict.rawValue))")
        out.append(PredictionWording.headline(p))
        out.append("")
        out.append("DO THIS: \(PredictionWording.action(p))")
        out.append("WHY: \(PredictionWording.why(p))")
        out.append("")
        out.append("THE NUMBERS")
        let g = p.gain
        // Percentage points only read right for a rate: a 0/1 outcome, or (when the proposal does
        // not describe its outcome) one whose best arm lies in [0, 1].
        let rate = p.parameters.binaryOutcome ?? (0...1).contains(p.bestUniformValue)
        out.append(row("Predicted gain (mean)", "\(num(g.mean)) in outcome units" + (rate ? points(g.mean) : "")))
        if g.draws > 1 {
            out.append(row("90% range", "\(num(g.p05)) to \(num(g.p95)) (median \(num(g.p50)))"))
            out.append(
                row("Chance gain > threshold", "\(pct(g.probabilityActionable)) (threshold \(num(p.threshold)))")
            )
        } else {
            out.append(row("Threshold", "\(num(p.threshold)) (parameters are fixed: the gain is exact)"))
        }
        if let r = p.relativeGain {
            out.append(row("Relative to best arm", ReportText.relativePercent(r)))
        }
        out.append(row("Best single arm (expected)", num(p.bestUniformValue)))
        if !p.candidates.isEmpty {
            out.append("")
            out.append("ARM-COUNT CANDIDATES")
            for c in p.candidates {
                out.append(
                    "  \(String(format: "%4d", c.arms)) arms: mean gain \(num(c.gainMean)), chance above threshold \(pct(c.probabilityActionable))"
                )
            }
        }
        out.append("")
        out.append(
            "WHAT EACH LEVER WOULD DO (predicted gain now -> after; best first by the value of what you would deploy)"
        )
        for lever in p.levers {
            out.append("  - \(PredictionWording.change(lever))")
            out.append(
                "      \(num(lever.gainNow)) -> \(num(lever.gainAfter))  (chance above threshold \(pct(lever.probabilityActionableAfter)); what you would deploy: \(num(lever.deployedValueNow)) -> \(num(lever.deployedValueAfter)))"
            )
        }
        if !p.armCurve.isEmpty {
            out.append("")
            out.append("GAIN BY ARM COUNT")
            let top = max(p.armCurve.map(\.gain).max() ?? 0, 1e-300)
            let best = p.armCurve.bestArmCount
            // At most ~20 rows: every k-th count, plus the best and the proposal's own count.
            let step = max(1, (p.armCurve.count + 19) / 20)
            let current = p.parameters.armCandidates.first
            let shown = p.armCurve.enumerated().filter { index, point in
                index % step == 0 || point.arms == best || point.arms == current
            }.map(\.element)
            for point in shown {
                let bar = String(repeating: "#", count: ReportText.barLength(point.gain, of: top, width: 40))
                let mark = point.arms == best ? "  <- best" : (point.arms == current ? "  <- proposed" : "")
                out.append(
                    "  \(String(format: "%4d", point.arms)) \(num(point.gain).padding(toLength: 11, withPad: " ", startingAt: 0)) \(bar)\(mark)"
                )
            }
        }
        out.append("")
        out.append("SENSITIVITY (gain after a 1% change, as in the paper's Table 6)")
        for e in p.elasticities {
            out.append(
                "  \(PredictionWording.change(e).padding(toLength: 16, withPad: " ", startingAt: 0)) -> \(num(e.gainAfter))  (elasticity \(String(format: "%.2f", e.elasticity)))"
            )
        }
        if p.counterfactuals.count > 1 {
            out.append("")
            out.append("COUNTERFACTUALS (one parameter taken from the comparison study, Table 5)")
            for c in p.counterfactuals {
                let value = c.value.map { " = \(num($0))" } ?? ""
                let parameter = c.parameter?.key ?? "original"
                out.append(
                    "  \((parameter + value).padding(toLength: 28, withPad: " ", startingAt: 0)) gain \(num(c.gain))"
                )
            }
        }
        out.append("")
        out.append("PARAMETERS USED")
        let q = p.parameters
        out.append(row(ReportText.label(.sigma), "\(q.sigma) (central \(num(q.central.sigma)))"))
        out.append(row(ReportText.label(.rho), "\(q.rho) (central \(num(q.central.rho)))"))
        out.append(
            row(
                ReportText.label(.s),
                "\(q.s) (central \(num(q.central.s)); overall SD of arm means \(num(q.overallArmMeanSD)))"
            )
        )
        out.append(
            row(ReportText.label(.predictionError), "\(q.predictionError) (central \(num(q.central.predictionError)))")
        )
        out.append(row("arms", q.armCandidates.map(String.init).joined(separator: ", ")))
        out.append(row("arm means", q.armMeans))
        out.append(row("baseline", num(q.baseline)))
        if let units = q.unitsPerArm, let sd = q.outcomeSD {
            let sizes = Set(units).count == 1 ? "\(num(units[0])) per arm" : units.map(num).joined(separator: ", ")
            out.append(row("sample size", "\(sizes); outcome SD \(num(sd))"))
        } else {
            out.append(row("sample size", "not given (infinite population)"))
        }
        out.append(row("prior draws / seed", "\(g.draws) / \(q.seed)"))
        out.append("")
        out.append("METHOD")
        out.append(
            "  The gain is the expected outcome under a policy that gives each person the arm its outcome model"
        )
        out.append(
            "  predicts best, minus that of the single arm a test would pick. It is computed exactly (closed forms and"
        )
        out.append(
            "  one-dimensional quadrature, Shchetkina & Berman 2024, extended to prediction error and finite samples),"
        )
        out.append(
            "  then averaged over draws from the priors. Levers reuse the same draws. Formulas: AdvisorModel.docc."
        )
        for note in p.notes { out.append("  Note: \(PredictionWording.note(note))") }
        return out.joined(separator: "\n") + "\n"
    }
}
