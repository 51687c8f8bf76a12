import AdvisorModel
import Foundation

/// Renders a post-experiment verdict for people (text) and scripts (JSON), in the same order
/// as a prediction: verdict and the one thing to do, the numbers, the policies, the estimated
/// parameters, the levers for the next test, the data, the method. Every figure is defined in
/// Sources/AdvisorModel/AdvisorModel.docc/EstimatingParameters.md.
public enum VerdictReport {
    /// JSON with snake_case keys, sorted. At least `verdict`, `best_uniform_arm`,
    /// `estimates.{sigma,rho,s,prediction_error}`, `realized.{gain,standard_error}`, `predicted.gain`.
    /// `policyFile`: the path of the policy file written with it (`policy_file`, null without one).
    public static func json(_ verdict: PostExperimentVerdict, policyFile: String? = nil) throws -> String {
        var worded = VerdictWording.worded(verdict)
        worded.words["policy_file"] = policyFile.map { .text($0) } ?? .null
        return try ReportJSON.encode(worded)
    }

    public static func text(_ v: PostExperimentVerdict) -> String {
        let row = ReportText.row
        let num = ReportText.number
        var out: [String] = []
        out.append("Experiment \(v.experiment): personalize, or ship the best arm to everyone?")
        out.append("")
        out.append("VERDICT: \(ReportText.verdictLabel(v.verdict.rawValue))")
        out.append(VerdictWording.headline(v))
        out.append("")
        out.append("DO THIS: \(VerdictWording.action(v))")
        out.append("")
        let guardrails = v.outcomes.filter { $0.role == .guardrail }
        if !guardrails.isEmpty {
            out.append(
                "GUARDRAILS (holdout: the \(v.policy) policy against shipping '\(v.bestUniformArm)' to everyone)"
            )
            for g in guardrails { out.append("  - \(VerdictWording.guardrail(g, benchmark: v.bestUniformArm))") }
            out.append("  All guardrails pass: \(v.guardrailsPass ? "yes" : "no").")
            if !v.excludedArms.isEmpty {
                let excluded = v.excludedArms.prefix(8).map { "'\($0.arm)' (\($0.guardrail))" }.joined(separator: ", ")
                out.append("  Arms that could not be the benchmark because they break a guardrail: \(excluded).")
            }
            if !v.tradeoff.isEmpty {
                let columns = guardrails.map(\.column)
                out.append(
                    "  Trade-off on the validation units (T-learner on primary + weight · guardrails, weight in outcome SDs):"
                )
                out.append(
                    "    "
                        + (["weight", "primary gain"] + columns + ["keeps all"]).map {
                            $0.padding(toLength: 14, withPad: " ", startingAt: 0)
                        }.joined()
                )
                for row in v.tradeoff {
                    let cells =
                        [num(row.weight), num(row.primaryGain)] + row.guardrailChanges.map(num)
                        + [(row.guardrailsPass ? "yes" : "no") + (row.chosen ? "  <- used" : "")]
                    out.append("    " + cells.map { $0.padding(toLength: 14, withPad: " ", startingAt: 0) }.joined())
                }
            }
            for e in v.guardrailEstimates {
                out.append("  - \(VerdictWording.guardrailEstimate(e, primary: v.outcomes.first?.column ?? "outcome"))")
            }
            out.append("")
        }
        if !v.fragility.isEmpty {
            out.append("WHY THE EVIDENCE IS FRAGILE")
            for f in v.fragility { out.append("  - \(VerdictWording.fragility(f))") }
            out.append("")
        }
        out.append("THE NUMBERS (holdout units only)")
        let r = v.realized
        let relative = r.relativeGain.map { ", \(ReportText.relativePercent($0)) vs the best arm" } ?? ""
        out.append(
            row(
                "Realized gain (AIPW)",
                "\(num(r.gain)) ± \(num(r.standardError)) (interval \(num(r.lower)) to \(num(r.upper)))\(relative)"
            )
        )
        out.append(row("Realized gain (IPW, eq. 9)", "\(num(r.ipwGain)) ± \(num(r.ipwStandardError))"))
        out.append(
            row("Best single arm", "'\(v.bestUniformArm)' (chosen on the training split), value \(num(r.uniformValue))")
        )
        out.append(row("Policy value", "\(num(r.policyValue)) (\(v.policy))"))
        out.append(row("Threshold", "\(num(v.threshold)) \(VerdictWording.thresholdOrigin(v))"))
        let p = v.predicted
        let e = v.estimates
        out.append(row("Predicted gain (model)", VerdictWording.predictedFigure(v)))
        out.append(
            row(
                "  with another σ_ε",
                "gain \(num(p.gainWithPaperPredictionError)) with the paper's σ_ε \(num(e.predictionError)) (outcome noise counted as error); gain \(num(p.gainWithRefinedPredictionError)) with the within-cell σ_ε \(num(e.predictionErrorRefined))"
            )
        )
        out.append("  \(VerdictWording.statement(v))")
        out.append("  \(VerdictWording.choice(v))")
        if let chosen = v.policies.first(where: { $0.name == v.policy }), chosen.gainCurve.count > 1 {
            out.append("  \(VerdictWording.curveReading(chosen.gainCurve, policy: chosen.name))")
        }
        out.append("")
        out.append("POLICIES")
        for p in v.policies {
            out.append(
                "  \(p.name): AIPW gain \(num(p.aipw.gain)) ± \(num(p.aipw.standardError)), IPW gain \(num(p.ipw.gain)) ± \(num(p.ipw.standardError))"
            )
            let shares = p.armShares.sorted { $0.share > $1.share }.prefix(8)
                .map { "\($0.arm) \(NumberText.percent($0.share))" }.joined(separator: ", ")
            out.append("      arms it assigns: \(shares)")
            if !p.outcomes.isEmpty {
                out.append(
                    "      guardrails: "
                        + p.outcomes.map {
                            "\($0.column) \(num($0.change)) ± \(num($0.standardError)) (\($0.status.rawValue))"
                        }
                        .joined(separator: ", ")
                        + (p.guardrailWeights == nil ? "" : VerdictWording.guardrailWeight(v).map { " — \($0)" } ?? "")
                )
            }
            if !p.drivers.isEmpty {
                out.append(
                    "      driven by: "
                        + p.drivers.map { "\($0.covariate) (\(String(format: "%.2f", $0.score)))" }.joined(
                            separator: ", "
                        )
                )
            }
            if let tree = p.tree {
                let fidelity =
                    tree.fidelity.map { ", agrees with the black box on \(NumberText.percent($0)) of units" } ?? ""
                out.append("      as rules (depth \(tree.depth)\(fidelity)):")
                for rule in tree.rules where rule.share > 0 || tree.rules.count <= 8 {
                    out.append("        \(VerdictWording.rule(rule))")
                }
            }
        }
        out.append("")
        out.append("ESTIMATED PARAMETERS (paper section 5.2, with noise corrections)")
        let se = e.standardErrors
        func withSE(_ x: Double, _ s: Double?) -> String { s.map { "\(num(x)) (SE \(num($0)))" } ?? num(x) }
        out.append(
            row(ReportText.label(.sigma), "\(withSE(e.sigma, se?.sigma)); uncorrected \(num(e.sigmaUncorrected))")
        )
        out.append(row(ReportText.label(.rho), withSE(e.rho, se?.rho)))
        out.append(row(ReportText.label(.s), "\(withSE(e.s, se?.s)); uncorrected \(num(e.sUncorrected))"))
        if let model = e.modelError {
            out.append(
                row(
                    ReportText.label(.predictionError),
                    "\(withSE(model.predictionError, se?.modelError)): the models' error against the true mean, √(variance \(num(model.variance)) + squared bias \(num(model.bias)))"
                )
            )
        }
        out.append(
            row(
                e.modelError == nil ? ReportText.label(.predictionError) : "  other ways to count it",
                "\(withSE(e.predictionError, se?.predictionError)) as in the paper (outcome noise counted as error); \(num(e.predictionErrorRefined)) within cells (all within-cell variance counted as noise)"
            )
        )
        out.append(row("outcome noise (within cells)", num(e.irreducibleNoise)))
        out.append(
            "  Reliability: \(e.cellsPerArm) quantile cells per arm, the smallest with \(e.smallestCell) holdout units"
                + (se.map { "; standard errors from \($0.replications) bootstrap resamples of the holdout." } ?? ".")
        )
        if !v.priorComparison.isEmpty {
            out.append("")
            out.append("YOUR PROPOSAL'S PRIORS VS THE DATA")
            for comparison in v.priorComparison { out.append("  - \(VerdictWording.priorComparison(comparison))") }
        }
        out.append("")
        out.append("FOR THE NEXT TEST (predicted gain now -> after the change)")
        out.append(
            "  Its proposal, priors from these estimates, is ready to drop into incoming/: the daemon writes it beside"
        )
        out.append("  this report (…-next-proposal.yaml); `analyze --next-proposal-out FILE` writes it too.")
        for lever in v.levers {
            out.append("  - \(PredictionWording.change(lever))")
            out.append(
                "      \(num(lever.gainNow)) -> \(num(lever.gainAfter))  (what you would deploy: \(num(lever.deployedValueNow)) -> \(num(lever.deployedValueAfter)))"
            )
        }
        out.append("")
        out.append("DATA")
        let d = v.data
        out.append(
            row(
                "units",
                "\(d.units) (\(d.trainingUnits) training, \(d.holdoutUnits) holdout; \(d.rowsDropped) rows dropped"
                    + (d.duplicateUnitIds > 0
                        ? "; \(d.duplicateUnitIds) rows repeat a unit_id, see the note below)" : ")")
            )
        )
        out.append(row("outcome", "\(d.binaryOutcome ? "binary (0/1)" : "continuous"), SD \(num(d.outcomeSD))"))
        for arm in d.arms.prefix(30) {
            out.append(
                "    \(arm.arm.padding(toLength: 26, withPad: " ", startingAt: 0)) \(String(format: "%8d", arm.units)) units, mean \(num(arm.mean))"
            )
        }
        if d.arms.count > 30 { out.append("    … and \(d.arms.count - 30) more arms (JSON report)") }
        out.append("")
        out.append("METHOD")
        for line in [
            "  Units were split at random into training and holdout. One outcome model per arm was fitted on the",
            "  training units (a T-learner), whose policy sends each unit to the arm with the best prediction.",
            "  The policy tree is the depth-limited tree of covariate splits that earns the most on cross-fitted",
            "  doubly robust scores of the training units; the distilled tree imitates the first model's T-learner's",
            "  choices on the same units. The recommended policy is the one worth most on the training units kept",
            "  apart from every model (the validation parts); realized gains compare each policy with the best",
            "  training-split arm on the holdout by doubly robust (AIPW) and inverse-propensity (IPW) scores, with",
            "  paired bootstrap standard errors. σ_ε is the models' error against the true mean: their variance",
            "  from refits on half the data, their bias from the holdout; the prediction's interval carries the",
            "  estimates' bootstrap spread through the model. Formulas: AdvisorModel.docc/EstimatingParameters.md",
            "  and PolicyTrees.md.",
        ] {
            out.append(line)
        }
        if let provenance = VerdictWording.provenance(v) { out.append("  \(provenance)") }
        for note in v.notes { out.append("  Note: \(VerdictWording.note(note))") }
        // Each element is one line: a control character inside one is a name's, shown escaped.
        return out.map(ReportText.visible).joined(separator: "\n") + "\n"
    }
}
