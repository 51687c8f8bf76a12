extension PostExperimentAnalysis {
    /// Stages 7 and 8 on a summary alone: the finite-sample prediction, the follow-up test and
    /// its levers, the fragility checks and the verdict rule, reading nothing per unit, so a
    /// summary made on one machine, by `analyze --summary-out` or by the Spark job gives the
    /// same verdict from the same numbers. The prediction's seed is the summary's, so deciding
    /// again from a file reproduces the verdict made where it was written.
    public static func verdict(
        from summary: AnalysisSummary,
        settings daemonSettings: AnalysisSettings,
        prediction: PredictionSettings,
        earlierPriors: ModelParameters? = nil,
        teamProposal: Proposal? = nil
    ) throws -> PostExperimentVerdict {
        var settings = daemonSettings
        settings.seed = summary.provenance.seed
        let results = summary.policies
        guard !results.isEmpty else { throw ModelError.inconsistent("the summary judges no policy") }
        let armNames = summary.armNames
        let chosen = results.firstIndex { $0.name == summary.policyChoice.policy } ?? 0
        let estimates = summary.estimatesWithReplicates
        let design = Self.design(trainingSizes: summary.trainingSizes, outcomeSD: summary.data.outcomeSD)
        // The verdict and the model's prediction are both about the chosen policy: the
        // estimates come from the models it acts on (the first policy's), so the prediction is
        // set beside its realized gain, never another candidate's.
        let realized = realizedGain(results[chosen], confidence: settings.confidence)
        // The team's threshold is the bar it set for this experiment: a manifest's explicit one
        // wins, then the proposal's (relative to the proposal's baseline), then the default.
        let threshold: Double
        let thresholdSource: PostExperimentVerdict.ThresholdSource
        if let manifest = summary.threshold {
            (threshold, thresholdSource) = (manifest, .manifest)
        } else if let team = teamProposal {
            threshold = team.threshold.absoluteValue(baseline: team.baseline)
            var relative: Double?
            if case .relative(let r) = team.threshold { relative = r }
            thresholdSource = .proposal(name: team.experiment, relative: relative, baseline: team.baseline)
        } else {
            threshold = settings.relativeThreshold * abs(realized.uniformValue)
            thresholdSource = .analysisDefault(share: settings.relativeThreshold)
        }
        var followUp = nextProposal(
            experiment: summary.experiment,
            armNames: armNames,
            design: design,
            estimates: estimates,
            uniformValue: realized.uniformValue,
            threshold: threshold,
            settings: settings
        )
        // The next test continues the team's: its threshold and baseline, and the sample size it
        // planned (else the units this test ran), not the training split's.
        if let team = teamProposal {
            followUp.baseline = team.baseline
            if summary.threshold == nil { followUp.threshold = team.threshold }
            followUp.sampleSize = team.sampleSize ?? .eachArm(summary.data.arms.map { Double($0.units) })
        }
        let teamPriors = teamProposal.flatMap { try? Predictor(settings: prediction).centralParameters($0) }
        let predicted = try predictedGain(
            arms: armNames.count,
            design: design,
            estimates: estimates,
            realized: realized,
            policy: results[chosen].name,
            modelsOf: results[0].name,
            settings: settings
        )
        let next = try nextTest(
            experiment: summary.experiment,
            armNames: armNames,
            design: design,
            estimates: estimates,
            uniformValue: realized.uniformValue,
            threshold: threshold,
            settings: settings,
            prediction: prediction
        )
        let fragility = Fragility.assess(
            summary.fragility,
            chosen: results[chosen],
            trainingSizes: summary.trainingSizes,
            benchmark: summary.bestUniformArm,
            estimates: estimates
        )
        let deployable = results.filter { !$0.outcomes.contains { $0.status == .fail } }
        var kind = decide(
            realized,
            all: deployable.map { realizedGain($0, confidence: settings.confidence) },
            threshold: threshold,
            chosenDeployable: !results[chosen].outcomes.contains { $0.status == .fail }
        )
        // Fragile evidence never says personalize, nor a policy not shown to keep its guardrails.
        if kind == .personalize && !fragility.isEmpty { kind = .inconclusive }
        let z = Normal.quantile(0.5 + settings.confidence / 2)
        let largerIsBetter = summary.primaryOutcome.largerIsBetter
        let sign = largerIsBetter ? 1.0 : -1.0
        let primaryResult = PostExperimentVerdict.OutcomeResult(
            column: summary.primaryOutcome.column,
            role: .primary,
            largerIsBetter: largerIsBetter,
            change: sign * realized.gain,
            standardError: realized.standardError,
            lower: sign > 0
                ? realized.gain - z * realized.standardError : -(realized.gain + z * realized.standardError),
            upper: sign > 0
                ? realized.gain + z * realized.standardError : -(realized.gain - z * realized.standardError),
            ipwChange: sign * realized.ipwGain,
            benchmarkValue: sign * realized.uniformValue,
            maxLoss: nil,
            status: realized.lower > 0 && realized.gain >= threshold
                ? .pass : realized.upper < threshold ? .fail : .inconclusive
        )
        let outcomes = [primaryResult] + results[chosen].outcomes
        if kind == .personalize && outcomes.contains(where: { $0.role == .guardrail && $0.status != .pass }) {
            kind = .inconclusive
        }
        let guardrails = summary.guardrails
        var notes: [PostExperimentVerdict.VerdictNote] = []
        if estimates.smallestCell < 30 { notes.append(.sparseCells(smallest: estimates.smallestCell)) }
        if summary.data.duplicateUnitIds > 0 { notes.append(.duplicateUnitIDs(rows: summary.data.duplicateUnitIds)) }
        notes.append(.split(training: summary.data.trainingUnits, holdout: summary.data.holdoutUnits))
        if guardrails.noArmKeepsGuardrails {
            notes.append(.noArmKeepsGuardrails(benchmark: armNames[summary.bestUniformArm]))
        }
        if !guardrails.tradeoff.isEmpty && !guardrails.tradeoff.contains(where: \.guardrailsPass) {
            notes.append(.noWeightKeepsGuardrails)
        }
        return PostExperimentVerdict(
            experiment: summary.experiment,
            verdict: kind,
            fragility: fragility,
            bestUniformArm: armNames[summary.bestUniformArm],
            policy: results[chosen].name,
            policyChoice: summary.policyChoice,
            threshold: threshold,
            thresholdSource: thresholdSource,
            teamProposal: teamProposal?.experiment,
            confidence: settings.confidence,
            realized: realized,
            predicted: predicted,
            estimates: estimates,
            policies: results,
            nextTest: anchored(next, now: predicted.gain),
            nextProposal: followUp,
            priorComparison: (earlierPriors ?? teamPriors).map { compare(prior: $0, estimates: estimates) } ?? [],
            data: summary.data,
            notes: notes,
            timings: summary.timings,
            outcomes: outcomes,
            tradeoff: guardrails.tradeoff,
            guardrailEstimates: guardrails.estimates,
            excludedArms: guardrails.excludedArms,
            provenance: summary.provenance
        )
    }
}
