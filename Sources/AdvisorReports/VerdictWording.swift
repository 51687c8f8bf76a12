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
            let z = Normal.quantile(0.5 + v.confidence / 2)
            let breaking = v.policies.filter { $0.outcomes.contains { $0.status == .fail } }
            let counted = v.policies.filter { p in !breaking.contains { $0.name == p.name } }
            let top = counted.map { $0.aipw.gain + z * $0.aipw.standardError }.max() ?? r.upper
            let excluded =
                breaking.isEmpty
                ? ""
                : " Not counted, because they break a guardrail: \(breaking.map { "the \($0.name) policy (\($0.outcomes.filter { $0.status == .fail }.map(\.column).joined(separator: ", ")))" }.joined(separator: "; "))."
            return
                "Ship '\(best)' to everyone: the \(v.policy) policy gained \(n(r.gain)), and no learned policy\(breaking.isEmpty ? "" : " that keeps the guardrails") has a \(percent)% interval that reaches the \(n(v.threshold)) worth having (the highest top: \(n(top))).\(excluded)"
        case .inconclusive where v.fragility.isEmpty && r.lower > 0 && r.gain >= v.threshold && !v.guardrailsPass:
            let g = v.blockingGuardrail
            return
                "Inconclusive: the \(v.policy) policy gained \(n(r.gain)) ± \(n(r.standardError)) over shipping '\(best)', but it is not shown to keep the guardrail '\(g?.column ?? "")' within its allowed loss (\(g.map(guardrailFigures) ?? "")), so it is not a policy to deploy."
        case .inconclusive where !v.fragility.isEmpty && r.lower > 0 && r.gain >= v.threshold:
            return
                "Inconclusive: the \(v.policy) policy gained \(n(r.gain)) ± \(n(r.standardError)) over shipping '\(best)', but the evidence is fragile (\(v.fragility.map(\.reason.rawValue).joined(separator: ", "))), so this is not yet a reason to personalize."
        case .inconclusive:
            return
                "Inconclusive: personalization gained \(n(r.gain)) ± \(n(r.standardError)), which cannot yet be told apart from \(r.gain >= v.threshold ? "zero" : "the \(n(v.threshold)) threshold")."
        }
    }

    /// The one thing to do: a single instruction (the next test's design options are their own
    /// section, so they never pull against it).
    public static func action(_ v: PostExperimentVerdict) -> String {
        let best = v.bestUniformArm
        switch v.verdict {
        case .personalize:
            return "Deploy the \(v.policy) policy; keep '\(best)' as the fallback for units the model cannot score."
        case .shipUniform:
            return "Ship '\(best)' to everyone."
        case .inconclusive where !v.fragility.isEmpty:
            return "Do not personalize on this evidence; until more data settle it, ship '\(best)'."
        case .inconclusive where !v.guardrailsPass && v.realized.lower > 0 && v.realized.gain >= v.threshold:
            return
                "Do not deploy the \(v.policy) policy: it may worsen '\(v.blockingGuardrail?.column ?? "")' by more than allowed. Ship '\(best)', which keeps the guardrails, and collect more data (or loosen max_loss if that loss is acceptable)."
        case .inconclusive:
            return "Collect more data before deciding; until then ship '\(best)'."
        }
    }

    /// The realized gain next to the model's prediction, both of the recommended policy.
    public static func statement(_ v: PostExperimentVerdict) -> String {
        let p = v.predicted
        let percent = Int(PostExperimentVerdict.PredictedGain.coverage * 100)
        let realized = "The \(p.policy) policy's realized gain (\(n(p.realizedGain)) ± \(n(p.realizedStandardError)))"
        let predicted =
            "the model's prediction for it (\(n(p.gain)), \(percent)% interval \(n(p.lower)) to \(n(p.upper)))"
        let source = estimatesSource(p)
        return p.agrees
            ? "\(realized) agrees with \(predicted) from the estimated parameters\(source)."
            : "\(realized) \(p.realizedGain > p.gain ? "exceeds" : "falls short of") \(predicted) by more than their joint uncertainty\(source)."
    }

    /// Whose models the estimates come from, when not the predicted policy's own (a tree or a
    /// guarded T-learner follows another's): empty otherwise.
    static func estimatesSource(_ p: PostExperimentVerdict.PredictedGain) -> String {
        p.estimatesFrom == p.policy ? "" : " (the estimates are of the \(p.estimatesFrom) models, which it follows)"
    }

    /// The predicted gain's figure: value, interval, the policy and the σ_ε it was predicted with.
    public static func predictedFigure(_ v: PostExperimentVerdict) -> String {
        let p = v.predicted
        let percent = Int(PostExperimentVerdict.PredictedGain.coverage * 100)
        return
            "\(n(p.gain)) (\(percent)% interval \(n(p.lower)) to \(n(p.upper))) for the \(p.policy) policy, with σ_ε \(n(v.estimates.sigmaEpsilon)) (the models' error)\(estimatesSource(p))"
    }

    /// One sentence per reason the evidence is fragile.
    public static func fragility(_ f: Fragility) -> String {
        let x = { (key: String) in f.figures[key].map(n) ?? "–" }
        switch f.reason {
        case .estimatorsDisagree:
            return
                "The two estimates of the gain disagree: AIPW says \(x("aipw")), IPW says \(x("ipw")), further apart than their noise (\(x("joint_standard_error"))) explains; the outcome model may be misleading the AIPW figure."
        case .heavyTail:
            return
                "A few units hold much of the outcome: the top 1% hold \(NumberText.percent(f.figures["top_percent_share"] ?? 0)) of it, so a handful of units can decide every comparison."
        case .uniformArmUnstable:
            return
                "The best single arm looked better on the training split (\(x("training"))) than it does on the holdout (\(x("holdout"))), by more than noise (\(x("joint_standard_error"))): the benchmark was partly picked on luck."
        case .uniformArmSmall:
            return
                "The best single arm is a small one (\(x("units")) training units against a median of \(x("median_arm_units"))): its value is the least certain of all."
        case .noisyEstimate:
            let name = f.parameter?.symbol ?? "an estimate"
            return
                "The estimate of \(name) (\(x("estimate"))) is smaller than its standard error (\(x("standard_error"))): the data barely pin it down."
        case .emptyCells:
            return "Some quantile cells hold no holdout unit: σ̂ and ρ̂ rest on too few units per arm."
        }
    }

    /// How the recommended policy was chosen.
    public static func choice(_ v: PostExperimentVerdict) -> String {
        let c = v.policyChoice
        let values = c.values.map { "\($0.policy) \(n($0.value))" }.joined(separator: ", ")
        return
            "The \(c.policy) policy was chosen by its value on \(c.units) training units no model was fitted on (\(values)); its gain above is measured on the holdout, which the choice never read."
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
    /// "age <= 42.5", "channel = web", "income is missing".
    public static func condition(_ c: PolicyRule.Condition) -> String {
        switch c.op {
        case "missing": "\(c.covariate) is missing"
        case "==": "\(c.covariate) = \(c.value ?? "")"
        default: "\(c.covariate) \(c.op) \(c.value.map { Double($0).map(NumberText.significant) ?? $0 } ?? "")"
        }
    }

    /// Where the personalization curve peaks: "Most of the gain comes from the first 30% of
    /// units: personalizing them alone gains 0.21 of the 0.24." (or that it keeps rising).
    public static func curveReading(_ curve: [PersonalizationCurve.Point], policy: String) -> String {
        let n = NumberText.significant
        let pct = NumberText.percent
        guard let full = curve.last, let peak = curve.max(by: { $0.gain < $1.gain }), peak.gain > 0 else {
            return "Personalizing by the \(policy) policy does not beat the best single arm at any share of units."
        }
        guard full.gain > 0 else {
            return
                "Only the units the model is surest about gain: personalizing the first \(pct(peak.share)) gains \(n(peak.gain)), while personalizing everyone gains \(n(full.gain))."
        }
        let peakClause =
            peak.share < 1 && peak.gain - full.gain > full.standardError
            ? " (the most, \(n(peak.gain)), at \(pct(peak.share)))" : ""
        if let most = curve.first(where: { $0.gain >= 0.8 * full.gain }), most.share < 0.75 {
            // A part is quoted as a part only when it is no larger than the whole.
            if most.gain <= full.gain {
                return
                    "Most of the gain comes from the units the model is surest about: personalizing the first \(pct(most.share)) gains \(n(most.gain)) of the \(n(full.gain)) that personalizing everyone gains\(peakClause)."
            }
            return
                "The units the model is surest about hold all of the gain: personalizing the first \(pct(most.share)) gains \(n(most.gain)), more than the \(n(full.gain)) of personalizing everyone, so the policy's choices for the other units lose some of it\(peakClause)."
        }
        return
            "The gain keeps rising as more units are personalized: the benefit is spread across units, not held by a few."
    }

    /// A condition without its covariate, as a tree's branch shows it: "≤ 42.5", "= web", "missing".
    public static func test(_ c: PolicyRule.Condition) -> String {
        let value = c.value.map { Double($0).map(NumberText.significant) ?? $0 } ?? ""
        switch c.op {
        case "missing": return "missing"
        case "<=": return "≤ \(value)"
        case "==": return "= \(value)"
        case "!=": return "≠ \(value)"
        default: return "\(c.op) \(value)"
        }
    }

    public static func rule(_ rule: PolicyRule) -> String {
        let conditions = rule.conditions.map(condition)
        let when = conditions.isEmpty ? "everyone" : conditions.joined(separator: " and ")
        return "\(when) → '\(rule.arm)'  (\(NumberText.percent(rule.share)) of units)"
    }

    /// The guardrail weight a policy was learned with, as the trade-off table quotes it: κ in
    /// outcome SDs (its per-guardrail products κ·s_g stay in the JSON's `guardrail_weights`).
    public static func guardrailWeight(_ v: PostExperimentVerdict) -> String? {
        guard let row = v.tradeoff.first(where: \.chosen) else { return nil }
        return "learned with guardrail weight \(n(row.weight)) (outcome SDs; the row marked used in the trade-off)"
    }

    /// "rise 0.004 (95% interval 0.001 to 0.007), allowed 0.002".
    static func guardrailFigures(_ o: PostExperimentVerdict.OutcomeResult) -> String {
        let direction = o.change >= 0 ? "rises" : "falls"
        return
            "\(direction) \(n(abs(o.change))) (interval \(n(o.lower)) to \(n(o.upper)) for the change) against an allowed loss of \(n(o.maxLoss ?? 0))"
    }

    /// One guardrail's result in words: its change against the benchmark and pass or fail.
    public static func guardrail(_ o: PostExperimentVerdict.OutcomeResult, benchmark: String) -> String {
        let better = o.largerIsBetter ? "larger is better" : "smaller is better"
        let status: String
        switch o.status {
        case .pass: status = "passes: it is not worse than shipping '\(benchmark)' by more than the allowed loss"
        case .fail: status = "fails: it is worse than shipping '\(benchmark)' by more than the allowed loss"
        case .inconclusive: status = "not settled: the interval reaches past the allowed loss"
        }
        return "'\(o.column)' (\(better)): \(guardrailFigures(o)); \(status)."
    }

    /// What the estimates say about a guardrail's heterogeneity next to the primary's.
    public static func guardrailEstimate(_ e: PostExperimentVerdict.GuardrailEstimate, primary: String) -> String {
        let r = e.benefitCorrelation
        let relation: String
        if r < -0.3 {
            relation =
                "the units that gain the most on '\(primary)' are also the ones where '\(e.column)' gets worse the most"
        } else if r > 0.3 {
            relation = "the units that gain the most on '\(primary)' also gain on '\(e.column)'"
        } else {
            relation = "the gains on '\(primary)' and on '\(e.column)' fall on different units"
        }
        return
            "'\(e.column)': σ̂ \(n(e.sigma)), ρ̂ \(n(e.rho)), ŝ \(n(e.s)), σ̂_ε \(n(e.predictionError)); correlation of predicted benefits with the primary's \(n(r)): \(relation)."
    }

    /// Where the analysis ran and what it read, from the summary's provenance: a verdict decided
    /// from a summary made elsewhere (the Spark job) says so.
    public static func provenance(_ v: PostExperimentVerdict) -> String? {
        guard let p = v.provenance else { return nil }
        let engine =
            p.engine == AnalysisSummary.Provenance.singleMachine
            ? "experiment-advisor on one machine"
            : p.engine + (p.engineVersion.isEmpty ? "" : " (version \(p.engineVersion))")
        let place = p.ranOn.isEmpty ? "" : " on \(p.ranOn)"
        let input = p.input.isEmpty ? "" : " from \(p.input)"
        return "The analysis ran in \(engine)\(place)\(input), \(p.rowsRead) rows read, split seed \(p.seed)."
    }

    public static func note(_ note: PostExperimentVerdict.VerdictNote) -> String {
        switch note {
        case .noArmKeepsGuardrails(let benchmark):
            return
                "No arm keeps every guardrail against its reference (no control_arm was named, so each guardrail's reference is the arm best on it); the benchmark '\(benchmark)' breaks them by the least. Name the control arm in the manifest."
        case .noWeightKeepsGuardrails:
            return
                "No guardrail weight tried (up to \(n(PostExperimentAnalysis.guardrailWeights.last ?? 0)) outcome SDs) kept every guardrail on the validation units: the guarded policies still break one."
        case .sparseCells(let smallest):
            return
                "Some quantile cells hold only \(smallest) holdout units: σ̂ and ρ̂ are noisy (see their standard errors)."
        case .duplicateUnitIDs(let rows):
            return
                "\(rows) rows repeat a unit_id read earlier: if a unit was logged twice, its outcome counts twice in every figure here. Check the export before acting on the verdict."
        case .split(let training, let holdout):
            return
                "The best uniform arm was chosen on the training split (\(training) units) and every policy evaluated on the holdout (\(holdout) units) only."
        }
    }

    /// The journal entry's MESSAGE: the verdict, realized and predicted gain, the one thing to do.
    public static func journalMessage(_ v: PostExperimentVerdict) -> String {
        "\(v.experiment): \(v.verdict.rawValue), realized gain \(n(v.realized.gain)) ± \(n(v.realized.standardError)) (predicted \(n(v.predicted.gain))); do: \(action(v))"
    }

    /// The estimates as the JSON report shows them: `prediction_error` is the σ_ε the text
    /// shows and the prediction used (the models' error), `prediction_error_paper` the paper's
    /// residual SD, so the obvious key holds the figure a reader sees.
    static func estimatesJSON(_ e: ParameterEstimates) -> Worded<ParameterEstimates> {
        var words: [String: Worded<ParameterEstimates>.WordValue] = [
            "prediction_error": .object(e.sigmaEpsilon),
            "prediction_error_paper": .object(e.predictionError),
        ]
        if let se = e.standardErrors {
            words["standard_errors"] = .object(
                Worded(
                    value: se,
                    words: [
                        "prediction_error": se.modelError.map { .object($0) } ?? .null,
                        "prediction_error_paper": .object(se.predictionError),
                    ]
                )
            )
        }
        return Worded(value: e, words: words)
    }

    /// Whose threshold the verdict used, so a team sees its own bar was applied (or why not).
    public static func thresholdSource(_ v: PostExperimentVerdict) -> String {
        "threshold \(n(v.threshold)) \(thresholdOrigin(v))"
    }

    /// Where the threshold came from: "from your proposal flu-2027, 3% of its baseline 0.31".
    public static func thresholdOrigin(_ v: PostExperimentVerdict) -> String {
        switch v.thresholdSource {
        case .manifest:
            return "from the data's manifest"
        case let .proposal(name, relative, baseline):
            let share = relative.map { ", \(n($0 * 100))% of its baseline \(n(baseline))" } ?? ""
            return "from your proposal \(name)\(share)"
        case .analysisDefault(let share):
            return
                "(the analysis default, \(n(share * 100))% of the best single arm's value: no proposal or manifest gave one)"
        }
    }

    /// The verdict with every sentence in place, as the JSON report shows it.
    static func worded(_ v: PostExperimentVerdict) -> Worded<PostExperimentVerdict> {
        Worded(
            value: v,
            words: [
                "headline": .text(headline(v)),
                "threshold_statement": .text(thresholdSource(v)),
                "estimates": .object(estimatesJSON(v.estimates)),
                "action": .text(action(v)),
                "predicted": .object(Worded(value: v.predicted, words: ["statement": .text(statement(v))])),
                "policy_choice": .object(Worded(value: v.policyChoice, words: ["statement": .text(choice(v))])),
                "levers": .objects(v.levers.map(PredictionWording.worded)),
                "fragility": .objects(
                    v.fragility.map { Worded(value: $0, words: ["statement": .text(fragility($0))]) }
                ),
                "prior_comparison": .list(v.priorComparison.map(priorComparison)),
                "outcomes": .objects(
                    v.outcomes.map {
                        Worded(
                            value: $0,
                            words: [
                                "statement": .text(
                                    $0.role == .guardrail ? guardrail($0, benchmark: v.bestUniformArm) : headline(v)
                                )
                            ]
                        )
                    }
                ),
                "guardrail_estimates": .objects(
                    v.guardrailEstimates.map {
                        Worded(
                            value: $0,
                            words: ["statement": .text(guardrailEstimate($0, primary: v.outcomes.first?.column ?? ""))]
                        )
                    }
                ),
                "notes": .list(v.notes.map(note)),
            ]
        )
    }
}
