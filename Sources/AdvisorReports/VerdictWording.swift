import AdvisorModel

/// Every sentence a verdict report says, from the verdict's decisions and numbers. The text
/// report, the JSON report and the journal MESSAGE all read them from here.
public enum VerdictWording {
    static let n = NumberText.significant

    /// The verdict in a sentence.
    public static func headline(_ v: PostExperimentVerdict) -> String {
        let r = v.realized
        let best = v.bestUniformArm
        let percent = Int(v.confidence * 100)
        switch v.verdict {
        case .personalize:
            return
                "Personalize: the \(v.policy) policy beat shipping '\(best)' to everyone by \(n(r.gain)) (\(percent)% interval \(n(r.lower)) to \(n(r.upper)))."
        case .shipUniform:
            return
                "Ship '\(best)' to everyone: personalization gained \(n(r.gain)), and even the top of its \(percent)% interval (\(n(r.upper))) is below the \(n(v.threshold)) worth having."
        case .inconclusive:
            return
                "Inconclusive: personalization gained \(n(r.gain)) ± \(n(r.standardError)), which cannot yet be told apart from \(r.gain >= v.threshold ? "zero" : "the \(n(v.threshold)) threshold")."
        }
    }

    /// The one thing to do.
    public static func action(_ v: PostExperimentVerdict) -> String {
        let best = v.bestUniformArm
        let next = PredictionWording.action(v.nextTest)
        switch v.verdict {
        case .personalize:
            return "Deploy the \(v.policy) policy; keep '\(best)' as the fallback for units the model cannot score."
        case .shipUniform:
            return "Ship '\(best)' to everyone. For the next test: \(next)"
        case .inconclusive:
            return "Collect more data before deciding; until then ship '\(best)'. For the next test: \(next)"
        }
    }

    /// The realized gain next to the model's prediction.
    public static func statement(_ v: PostExperimentVerdict) -> String {
        let r = v.realized
        let predicted = n(v.predicted.gain)
        return v.predicted.agrees
            ? "The realized gain (\(n(r.gain)) ± \(n(r.standardError))) agrees with the model's prediction (\(predicted)) from the estimated parameters."
            : "The realized gain (\(n(r.gain)) ± \(n(r.standardError))) \(r.gain > v.predicted.gain ? "exceeds" : "falls short of") the model's prediction (\(predicted)) by more than two standard errors."
    }

    /// "Your ρ prior of 0.3 was optimistic: the data say 0.8."
    public static func priorComparison(_ c: PostExperimentVerdict.PriorComparison) -> String {
        let name = c.parameter.symbol
        switch c.assessment {
        case .matched:
            return "Your \(name) prior of \(n(c.prior)) matched the data (\(n(c.estimate)))."
        case .optimistic, .pessimistic:
            return
                "Your \(name) prior of \(n(c.prior)) was \(c.assessment == .optimistic ? "optimistic" : "pessimistic"): the data say \(n(c.estimate))."
        }
    }

    /// "tenure <= 12 and channel = web → 'discount-10'  (31% of units)".
    public static func rule(_ rule: PolicyRule) -> String {
        let conditions = rule.conditions.map { c -> String in
            switch c.op {
            case "missing": return "\(c.covariate) is missing"
            case "==": return "\(c.covariate) = \(c.value ?? "")"
            default:
                return "\(c.covariate) \(c.op) \(c.value.map { Double($0).map(NumberText.significant) ?? $0 } ?? "")"
            }
        }
        let when = conditions.isEmpty ? "everyone" : conditions.joined(separator: " and ")
        return "\(when) → '\(rule.arm)'  (\(NumberText.percent(rule.share)) of units)"
    }

    public static func note(_ note: PostExperimentVerdict.VerdictNote) -> String {
        switch note {
        case .sparseCells(let smallest):
            return
                "Some quantile cells hold only \(smallest) holdout units: σ̂ and ρ̂ are noisy (see their standard errors)."
        case .split(let training, let holdout):
            return
                "The best uniform arm was chosen on the training split (\(training) units) and every policy evaluated on the holdout (\(holdout) units) only."
        }
    }

    /// The journal entry's MESSAGE: the verdict, realized and predicted gain, the one thing to do.
    public static func journalMessage(_ v: PostExperimentVerdict) -> String {
        "\(v.experiment): \(v.verdict.rawValue), realized gain \(n(v.realized.gain)) ± \(n(v.realized.standardError)) (predicted \(n(v.predicted.gain))); do: \(action(v))"
    }

    /// The verdict with every sentence in place, as the JSON report shows it.
    static func worded(_ v: PostExperimentVerdict) -> Worded<PostExperimentVerdict> {
        Worded(
            value: v,
            words: [
                "headline": .text(headline(v)),
                "action": .text(action(v)),
                "predicted": .object(Worded(value: v.predicted, words: ["statement": .text(statement(v))])),
                "levers": .objects(v.levers.map(PredictionWording.worded)),
                "prior_comparison": .list(v.priorComparison.map(priorComparison)),
                "notes": .list(v.notes.map(note)),
            ]
        )
    }
}
