import AdvisorModel

/// The HTML rendition of a prediction: the verdict and the one thing to do, then the charts
/// (each with its numbers in a table), then the parameters and the method. Every figure is one
/// the JSON and text reports show (GainFromPersonalization.md defines them).
extension PredictionReport {
    public static func html(_ p: Prediction) -> String {
        typealias H = HTMLPage
        let n = NumberText.significant
        let pct = NumberText.percent
        var b = "<h1>Experiment \(H.escape(p.experiment)): will personalization beat the best single arm?</h1>"
        let tone = p.verdict == .actionable ? "good" : p.verdict == .notActionable ? "bad" : "unsure"
        b += "<p><span class=\"verdict \(tone)\">\(H.escape(ReportText.verdictLabel(p.verdict.rawValue)))</span></p>"
        b += H.paragraph(PredictionWording.headline(p))
        b +=
            "<div class=\"action\"><strong>Do this:</strong> \(H.escape(PredictionWording.action(p)))<br><strong>Why:</strong> \(H.escape(PredictionWording.why(p)))</div>"

        b += H.heading("The predicted gain")
        let g = p.gain
        if g.draws > 1 && !g.histogram.isEmpty {
            b += SVGChart.histogram(
                title: "Predicted gain over the priors: \(pct(g.probabilityActionable)) of draws above the threshold",
                desc:
                    "Histogram of the gain from personalization over \(g.draws) draws from the priors, in outcome units; the threshold \(n(p.threshold)) is marked; mean \(n(g.mean)), 90% range \(n(g.p05)) to \(n(g.p95)).",
                axis: "gain over the best single arm (outcome units)",
                bins: g.histogram.map { ($0.lower, $0.upper, $0.count) },
                markers: [.init(value: p.threshold, label: "threshold \(n(p.threshold))")]
            )
        }
        var rows = [["mean", n(g.mean)]]
        if g.draws > 1 {
            rows += [
                ["90% range", "\(n(g.p05)) to \(n(g.p95))"], ["median", n(g.p50)],
                ["chance above the threshold", pct(g.probabilityActionable)],
            ]
        }
        rows += [["threshold", n(p.threshold)], ["best single arm (expected)", n(p.bestUniformValue)]]
        if let r = p.relativeGain { rows.append(["relative to the best arm", ReportText.relativePercent(r)]) }
        b += H.table(["figure", "value"], rows, numeric: [1])

        if !p.levers.isEmpty {
            b += H.heading("What each lever would do")
            b += SVGChart.beforeAfter(
                title: "The predicted gain now and after each change",
                desc:
                    "For each lever, the predicted gain now (hollow point) and after the change (filled point); the threshold is the dashed line.",
                axis: "predicted gain (outcome units)",
                rows: p.levers.map { (PredictionWording.change($0), $0.gainNow, $0.gainAfter) },
                references: [.init(value: p.threshold, label: "threshold")]
            )
            b += H.table(
                [
                    "lever", "gain now", "gain after", "chance above threshold after",
                    "what you would deploy, now → after",
                ],
                p.levers.map {
                    [
                        PredictionWording.change($0), n($0.gainNow), n($0.gainAfter),
                        pct($0.probabilityActionableAfter),
                        "\(n($0.deployedValueNow)) → \(n($0.deployedValueAfter))",
                    ]
                },
                numeric: [1, 2, 3]
            )
        }

        if !p.armCurve.isEmpty {
            b += H.heading("Gain by arm count")
            let best = p.armCurve.bestArmCount
            let proposed = p.parameters.armCandidates.first
            var markers: [SVGChart.Reference] = []
            if let proposed { markers.append(.init(value: Double(proposed), label: "proposed (\(proposed))")) }
            if let best, best != proposed {
                markers.append(.init(value: Double(best), label: "best (\(best))"))
            }
            b += SVGChart.lines(
                title: "Predicted gain by the number of arms",
                desc:
                    "The predicted gain for each arm count at the central parameters; the proposal's count and the best count are marked.",
                xAxis: "arms",
                yAxis: "gain",
                series: [.init(name: "gain", points: p.armCurve.map { (Double($0.arms), $0.gain) })],
                markers: markers
            )
            b += H.table(["arms", "gain"], p.armCurve.map { ["\($0.arms)", n($0.gain)] }, numeric: [0, 1])
        }

        b += H.heading("What σ, ρ and s mean here")
        b += crossoverSketch(p.parameters.central, baseline: p.parameters.baseline)

        if !p.sensitivity.isEmpty {
            b += H.heading("Sensitivity")
            for curve in p.sensitivity {
                let name = ReportText.label(curve.parameter)
                b += SVGChart.lines(
                    title: "Gain as \(name) varies, the others at their central values",
                    desc: "The predicted gain at \(curve.values.count) values of \(name) (paper Figure 12).",
                    xAxis: name,
                    yAxis: "gain",
                    series: [.init(name: name, points: zip(curve.values, curve.gains).map { ($0, $1) })],
                    horizontal: [.init(value: p.threshold, label: "threshold")],
                    height: 200
                )
            }
            b += H.table(
                ["parameter", "gain after a 1% favourable change", "elasticity"],
                p.elasticities.map { [PredictionWording.change($0), n($0.gainAfter), n($0.elasticity)] },
                numeric: [1, 2]
            )
        }

        b += H.heading("Parameters used")
        let q = p.parameters
        b += H.table(
            ["parameter", "prior", "central"],
            [
                [ReportText.label(.sigma), q.sigma, n(q.central.sigma)],
                [ReportText.label(.rho), q.rho, n(q.central.rho)],
                [ReportText.label(.s), q.s, n(q.central.s)],
                [ReportText.label(.predictionError), q.predictionError, n(q.central.predictionError)],
                ["arms", q.armCandidates.map(String.init).joined(separator: ", "), ""],
                ["baseline", n(q.baseline), ""],
                ["prior draws / seed", "\(g.draws) / \(q.seed)", ""],
            ]
        )
        b += H.heading("Method")
        b +=
            "<p class=\"method\">The gain is the expected outcome under a policy that gives each person the arm its outcome model predicts best, minus that of the single arm a test would pick, computed exactly (closed forms and one-dimensional quadrature, Shchetkina &amp; Berman 2024, extended to prediction error and finite samples) and averaged over draws from the priors. Levers reuse the same draws. Formulas: AdvisorModel.docc, GainFromPersonalization.md.</p>"
        for note in p.notes { b += "<p class=\"method\">Note: \(H.escape(PredictionWording.note(note)))</p>" }
        return H.page(title: "\(p.experiment): prediction", body: b)
    }

    /// Two arms' outcomes across twelve people at the central parameters: within-arm spread σ,
    /// cross-arm correlation ρ, and arm means s apart. Fixed normal scores, so it is a sketch of
    /// the parameters, not data.
    static func crossoverSketch(_ c: ModelParameters, baseline: Double) -> String {
        let z: [Double] = [-1.7, -1.2, -0.8, -0.5, -0.25, 0, 0.2, 0.45, 0.7, 1.0, 1.35, 1.8]
        let w: [Double] = [0.6, -1.1, 1.3, -0.3, 0.9, -1.5, 0.2, 1.1, -0.7, 0.4, -1.2, 0.8]
        let rho = min(max(c.rho, -1), 1)
        let a = z.map { baseline + c.sigma * $0 }
        let bArm = zip(z, w).map { baseline + c.s + c.sigma * (rho * $0 + (1 - rho * rho).squareRoot() * $1) }
        let crossings = zip(a, bArm).filter { $0 > $1 }.count
        return SVGChart.lines(
            title:
                "Two arms across twelve people: σ = \(NumberText.significant(c.sigma)), ρ = \(NumberText.significant(c.rho)), s = \(NumberText.significant(c.s))",
            desc:
                "A sketch, not data: each person's outcome under arm A and arm B. The spread within an arm is σ, how closely the two lines move together is ρ, the gap between their averages is s. Personalization pays where the lines cross: arm A is better for \(crossings) of the 12 people.",
            xAxis: "people, ordered by their outcome under arm A",
            yAxis: "outcome",
            series: [
                .init(name: "arm A", points: a.enumerated().map { (Double($0 + 1), $1) }),
                .init(name: "arm B", points: bArm.enumerated().map { (Double($0 + 1), $1) }),
            ],
            height: 220
        )
    }
}

/// The HTML rendition of a verdict: the verdict and the one thing to do, the guardrails, then
/// the charts (each with its numbers), the estimates and the method (EstimatingParameters.md
/// and Guardrails.md define every figure).
extension VerdictReport {
    public static func html(_ v: PostExperimentVerdict) -> String {
        typealias H = HTMLPage
        let n = NumberText.significant
        let pct = NumberText.percent
        let percent = Int(v.confidence * 100)
        var b = "<h1>Experiment \(H.escape(v.experiment)): personalize, or ship the best arm to everyone?</h1>"
        let tone = v.verdict == .personalize ? "good" : v.verdict == .shipUniform ? "bad" : "unsure"
        b += "<p><span class=\"verdict \(tone)\">\(H.escape(ReportText.verdictLabel(v.verdict.rawValue)))</span></p>"
        b += H.paragraph(VerdictWording.headline(v))
        b += "<div class=\"action\"><strong>Do this:</strong> \(H.escape(VerdictWording.action(v)))</div>"
        if !v.fragility.isEmpty {
            b += H.heading("Why the evidence is fragile")
            b += H.list(v.fragility.map(VerdictWording.fragility))
        }
        let guardrails = v.outcomes.filter { $0.role == .guardrail }
        if !guardrails.isEmpty {
            b += H.heading("Guardrails")
            b += H.list(guardrails.map { VerdictWording.guardrail($0, benchmark: v.bestUniformArm) })
            b += SVGChart.intervals(
                title: "Each guardrail's change against shipping '\(v.bestUniformArm)' (\(percent)% intervals)",
                desc:
                    "The recommended policy's change on each guardrail as measured, with its interval; zero is no change.",
                axis: "change (each outcome's own units)",
                rows: guardrails.map {
                    .init(
                        label: $0.column,
                        value: $0.change,
                        lower: $0.lower,
                        upper: $0.upper,
                        highlight: $0.status != .pass
                    )
                },
                references: [.init(value: 0, label: "0")]
            )
            b += H.table(
                ["guardrail", "direction", "change", "interval", "allowed loss", "status"],
                guardrails.map {
                    [
                        $0.column, $0.largerIsBetter ? "larger is better" : "smaller is better", n($0.change),
                        "\(n($0.lower)) to \(n($0.upper))", n($0.maxLoss ?? 0), $0.status.rawValue,
                    ]
                },
                numeric: [2, 4]
            )
            if !v.tradeoff.isEmpty {
                b += H.table(
                    ["guardrail weight", "primary gain (validation)"] + guardrails.map(\.column) + ["keeps all"],
                    v.tradeoff.map { row in
                        [n(row.weight) + (row.chosen ? " (used)" : ""), n(row.primaryGain)]
                            + row.guardrailChanges.map(n)
                            + [row.guardrailsPass ? "yes" : "no"]
                    },
                    numeric: [1]
                )
            }
            for e in v.guardrailEstimates {
                b += H.paragraph(VerdictWording.guardrailEstimate(e, primary: v.outcomes.first?.column ?? "outcome"))
            }
        }

        b += H.heading("Each policy against the best single arm")
        b += H.paragraph("The verdict's " + VerdictWording.thresholdSource(v) + ".")
        let z = Normal.quantile(0.5 + v.confidence / 2)
        b += SVGChart.intervals(
            title:
                "Gain of each policy over shipping '\(v.bestUniformArm)' to everyone (holdout, \(percent)% intervals)",
            desc:
                "AIPW gain of each learned policy on the holdout with its \(percent)% interval; the recommended policy is highlighted; zero and the threshold \(n(v.threshold)) are marked.",
            axis: "gain over the best single arm (outcome units)",
            rows: v.policies.map {
                .init(
                    label: $0.name,
                    value: $0.aipw.gain,
                    lower: $0.aipw.gain - z * $0.aipw.standardError,
                    upper: $0.aipw.gain + z * $0.aipw.standardError,
                    highlight: $0.name == v.policy
                )
            },
            references: [.init(value: 0, label: "0"), .init(value: v.threshold, label: "threshold")]
        )
        b += H.table(
            ["policy", "AIPW gain", "SE", "IPW gain", "SE"],
            v.policies.map {
                [$0.name, n($0.aipw.gain), n($0.aipw.standardError), n($0.ipw.gain), n($0.ipw.standardError)]
            },
            numeric: [1, 2, 3, 4]
        )
        let p = v.predicted
        b += SVGChart.intervals(
            title: "Realized gain next to the prediction",
            desc:
                "The \(p.policy) policy's realized gain (\(percent)% interval) and the model's prediction from the estimated parameters (90% interval).",
            axis: "gain (outcome units)",
            rows: [
                .init(
                    label: "realized (\(p.policy))",
                    value: p.realizedGain,
                    lower: p.realizedGain - z * p.realizedStandardError,
                    upper: p.realizedGain + z * p.realizedStandardError,
                    highlight: true
                ),
                .init(label: "predicted", value: p.gain, lower: p.lower, upper: p.upper),
            ],
            references: [.init(value: v.threshold, label: "threshold")]
        )
        b += H.paragraph(VerdictWording.statement(v))
        b += H.paragraph(VerdictWording.choice(v))

        if let chosen = v.policies.first(where: { $0.name == v.policy }), chosen.gainCurve.count > 1 {
            let curve = chosen.gainCurve
            b += H.heading("Personalizing more units")
            b += SVGChart.lines(
                title: "Gain over '\(v.bestUniformArm)' as the \(chosen.name) policy personalizes more units",
                desc:
                    "Holdout units ranked by the predicted benefit of the policy's arm over the best single arm; at each share the top units get the policy's arm and the rest '\(v.bestUniformArm)'. The gain is by AIPW, with ±\(percent)% bands; at 100% it is the realized gain, at 0% it is shipping '\(v.bestUniformArm)' (the dashed baseline).",
                xAxis: "share of units personalized (%)",
                yAxis: "gain",
                series: [
                    .init(name: "gain (AIPW)", points: curve.map { ($0.share * 100, $0.gain) }),
                    .init(
                        name: "upper \(percent)% bound",
                        points: curve.map { ($0.share * 100, $0.gain + z * $0.standardError) }
                    ),
                    .init(
                        name: "lower \(percent)% bound",
                        points: curve.map { ($0.share * 100, $0.gain - z * $0.standardError) }
                    ),
                ],
                horizontal: [.init(value: 0, label: "shipping '\(v.bestUniformArm)'")]
            )
            b += H.table(
                ["share personalized", "gain", "SE"],
                curve.map { [pct($0.share), n($0.gain), n($0.standardError)] },
                numeric: [0, 1, 2]
            )
            b += H.paragraph(VerdictWording.curveReading(curve, policy: chosen.name))
        }

        // What the verdict recommends is assigned here: the chosen policy when it personalizes,
        // else the one arm for everyone (the learned policy follows under its own name).
        if v.verdict != .personalize {
            b += H.heading("What the recommended policy assigns")
            b += H.paragraph("Everyone gets '\(v.bestUniformArm)': \(pct(1)) of units. No learned policy is deployed.")
        }
        if let chosen = v.policies.first(where: { $0.name == v.policy }) {
            let recommended = v.verdict == .personalize
            b += H.heading(
                recommended
                    ? "What the recommended policy assigns"
                    : "What the \(chosen.name) policy would assign (not deployed)"
            )
            let shares = chosen.armShares.sorted { $0.share > $1.share }.prefix(25)
            b += SVGChart.bars(
                title: "Share of holdout units the \(chosen.name) policy sends to each arm",
                desc:
                    "Arm shares of the \(recommended ? "recommended" : "learned, not deployed,") policy on the holdout (paper Figure 9); the best single arm is highlighted.",
                axis: "share of units",
                rows: shares.map { ($0.arm, $0.share, $0.arm == v.bestUniformArm) }
            )
            b += H.table(
                ["policy"] + shares.map(\.arm),
                v.policies.map { policy in
                    [policy.name]
                        + shares.map { arm in pct(policy.armShares.first { $0.arm == arm.arm }?.share ?? 0) }
                },
                numeric: Set(1...max(shares.count, 1))
            )
            if let tree = chosen.tree {
                b += treeChart(tree, name: chosen.name, best: v.bestUniformArm)
                b += H.paragraph("As rules (depth \(tree.depth)):")
                b += H.list(tree.rules.map(VerdictWording.rule))
            }
        }
        for policy in v.policies where policy.tree != nil && policy.name != v.policy {
            if let tree = policy.tree {
                let fidelity = tree.fidelity.map { ", agrees with the black box on \(pct($0)) of units" } ?? ""
                b += treeChart(tree, name: policy.name, best: v.bestUniformArm)
                b += H.paragraph("The \(policy.name) policy as rules (depth \(tree.depth)\(fidelity)):")
                b += H.list(tree.rules.map(VerdictWording.rule))
            }
        }

        b += H.heading("The arms")
        let d = v.data
        b += SVGChart.bars(
            title: "Mean outcome of each arm (all units)",
            desc: "Each arm's mean outcome over all its units; the best single arm, the benchmark, is highlighted.",
            axis: "mean outcome",
            rows: d.arms.prefix(30).map { ($0.arm, $0.mean, $0.arm == v.bestUniformArm) }
        )
        b += H.table(["arm", "units", "mean"], d.arms.map { [$0.arm, "\($0.units)", n($0.mean)] }, numeric: [1, 2])

        b += H.heading("Estimated parameters")
        let e = v.estimates
        let se = e.standardErrors
        b += H.table(
            ["parameter", "estimate", "standard error"],
            [
                [ReportText.label(.sigma), n(e.sigma), se.map { n($0.sigma) } ?? "–"],
                [ReportText.label(.rho), n(e.rho), se.map { n($0.rho) } ?? "–"],
                [ReportText.label(.s), n(e.s), se.map { n($0.s) } ?? "–"],
                [ReportText.label(.predictionError), n(e.sigmaEpsilon), se?.modelError.map(n) ?? "–"],
            ],
            numeric: [1, 2]
        )
        b += H.paragraph(
            "Reliability: \(e.cellsPerArm) quantile cells per arm, the smallest with \(e.smallestCell) holdout units."
        )
        if !v.levers.isEmpty {
            b += H.heading("For the next test")
            b += H.table(
                ["lever", "gain now", "gain after"],
                v.levers.map { [PredictionWording.change($0), n($0.gainNow), n($0.gainAfter)] },
                numeric: [1, 2]
            )
        }
        b += H.heading("Data")
        b += H.paragraph(
            "\(d.units) units (\(d.trainingUnits) training, \(d.holdoutUnits) holdout; \(d.rowsDropped) rows dropped); outcome \(d.binaryOutcome ? "binary (0/1)" : "continuous"), SD \(n(d.outcomeSD))."
        )
        b += H.heading("Method")
        b +=
            "<p class=\"method\">Units were split at random into training and holdout. One outcome model per arm was fitted on the training units (a T-learner); the policy tree earns the most on cross-fitted doubly robust scores; the recommended policy is the one worth most on training units no model saw; realized gains compare each policy with the best training-split arm on the holdout by AIPW and IPW with paired bootstrap standard errors. Formulas: AdvisorModel.docc, EstimatingParameters.md, PolicyTrees.md and Guardrails.md.</p>"
        if let provenance = VerdictWording.provenance(v) {
            b += "<p class=\"method\">\(H.escape(provenance))</p>"
        }
        for note in v.notes { b += "<p class=\"method\">Note: \(H.escape(VerdictWording.note(note)))</p>" }
        return H.page(title: "\(v.experiment): verdict", body: b)
    }

    /// The policy tree as a tree: each split's covariate, the tests on the branches, each
    /// leaf's arm and share, the best single arm in vermillion. Its rules follow it as a list.
    /// A branch for missing values that no holdout unit took is left out of the drawing (the
    /// rules keep it), so the drawing shows where units go.
    static func treeChart(_ tree: PostExperimentVerdict.TreeSummary, name: String, best: String) -> String {
        let drawn = tree.rules.filter { rule in rule.share > 0 || !rule.conditions.contains { $0.op == "missing" } }
        let root = SVGChart.TreeNode(
            paths: drawn.map { rule in
                (
                    (rule.path ?? rule.conditions).map { ($0.covariate, VerdictWording.test($0)) },
                    "\(rule.arm)\n\(NumberText.percent(rule.share))"
                )
            }
        )
        return SVGChart.tree(
            title: "The \(name) policy as a tree (depth \(tree.depth))",
            desc:
                "Follow a unit from the top: at each split, on the covariate named there, take the branch whose test it passes; the box it reaches is the arm it gets, with the share of holdout units that land there. The best single arm (\(best)) is in vermillion.",
            root: root,
            highlight: { $0.hasPrefix(best + "\n") }
        )
    }
}
