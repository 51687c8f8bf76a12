/// The guardrail stages of the post-experiment analysis (Guardrails.md): outcome models for each
/// guardrail on the analysis's own split, a benchmark arm that keeps the guardrails, the weights
/// that make a learned policy keep them (chosen on the validation parts, never the holdout), and
/// every policy's change on every guardrail with a paired bootstrap interval.
public struct GuardrailModels {
    public var guardrails: [Guardrail]
    /// Per guardrail: the data with its oriented values as the outcome.
    public var data: [ExperimentData]
    /// Per guardrail: ridge T-learners on the same units as the primary's (the split is seeded
    /// by unit, not outcome). With known propensities AIPW is unbiased whatever the model, so
    /// the cheap model costs only variance.
    public var fits: [TLearnerFit]
    /// sd(primary) / sd(guardrail): the unit of a guardrail's weight, so one weight κ means the
    /// same trade for every guardrail whatever its scale.
    public var scale: [Double]

    public var count: Int { guardrails.count }
}

/// The uniform benchmark under the guardrails, chosen on the training split.
public struct GuardedBenchmark: Sendable {
    /// The arm every policy is compared with: the best primary arm among those that keep every
    /// guardrail against its reference.
    public var arm: Int
    /// The best primary arm before the guardrails.
    public var unconstrainedArm: Int
    /// Per guardrail: the reference arm (the control arm, else the arm best on that guardrail).
    public var references: [Int]
    /// Arms that could not be the benchmark, each with the first guardrail it breaks.
    public var excluded: [(arm: Int, guardrail: Int)]
    /// Whether some arm kept every guardrail (without a control arm none may).
    public var admissible: Bool
}

/// Scores of the training split's validation parts, where the policy choice and the guardrail
/// weights are made: no outcome model was fitted there and the holdout is never read.
public struct ValidationScores {
    public var units: [Int]
    public var features: FeatureMatrix
    /// predictions[a][k] of the primary models, and the scores they give.
    public var primaryPredictions: [[Double]]
    public var primary: DoublyRobustScores
    /// Per guardrail, the same (oriented outcome).
    public var guardrailPredictions: [[[Double]]]
    public var guardrails: [DoublyRobustScores]
}

extension PostExperimentAnalysis {
    /// The mean of the oriented change `scores[k][assignment k] − scores[k][benchmark]` and its
    /// standard error (the units are independent).
    static func change(_ scores: DoublyRobustScores, assignment: [Int], benchmark: Int) -> (mean: Double, se: Double) {
        let n = scores.count
        guard n > 1 else { return (0, .infinity) }
        var sum = 0.0
        var squares = 0.0
        for k in 0..<n {
            let d = scores.aipw(k, arm: assignment[k]) - scores.aipw(k, arm: benchmark)
            sum += d
            squares += d * d
        }
        let mean = sum / Double(n)
        let variance = max(0, (squares - Double(n) * mean * mean) / Double(n - 1))
        return (mean, (variance / Double(n)).squareRoot())
    }

    /// Stage 1b: the benchmark arm that keeps every guardrail, from training-split means. An arm
    /// breaks guardrail g when its oriented mean is below the reference's (the control arm, else
    /// the arm best on g) by more than the allowed loss plus z standard errors of the difference:
    /// the `fail` of the guardrail test, so that noise alone (and the best arm's winner's curse
    /// as a reference) does not rule an arm out. Without an arm that keeps all, the one that
    /// breaks its worst guardrail by the least.
    public static func guardedBenchmark(
        data: ExperimentData,
        split: TLearnerSplit,
        confidence: Double = 0.95
    ) -> GuardedBenchmark {
        let arms = data.arms
        let z = Normal.quantile(0.5 + confidence / 2)
        var count = [Double](repeating: 0, count: arms)
        for i in split.training { count[data.arm[i]] += 1 }
        func moments(_ values: [Double]) -> (mean: [Double], variance: [Double]) {
            var sum = [Double](repeating: 0, count: arms)
            var squares = sum
            for i in split.training {
                sum[data.arm[i]] += values[i]
                squares[data.arm[i]] += values[i] * values[i]
            }
            let mean = (0..<arms).map { count[$0] > 0 ? sum[$0] / count[$0] : -.infinity }
            let variance = (0..<arms).map { a in
                count[a] > 1 ? max(0, (squares[a] - count[a] * mean[a] * mean[a]) / (count[a] - 1)) : .infinity
            }
            return (mean, variance)
        }
        func means(_ values: [Double]) -> [Double] { moments(values).mean }
        let primary = means(data.outcome)
        let unconstrained = primary.indices.max { primary[$0] < primary[$1] } ?? 0
        var references: [Int] = []
        // excess[a]: how far arm a is past its worst guardrail's allowed loss, z SEs counted (≤ 0: it keeps all).
        var excess = [Double](repeating: -.infinity, count: arms)
        var firstBroken = [Int?](repeating: nil, count: arms)
        for (g, guardrail) in data.guardrails.enumerated() {
            let (raw, variance) = moments(guardrail.values)
            let oriented = raw.map { guardrail.sign * $0 }
            let reference = data.controlArm ?? (oriented.indices.max { oriented[$0] < oriented[$1] } ?? 0)
            references.append(reference)
            let allowed = guardrail.maxLoss.allowed(reference: raw[reference])
            for a in 0..<arms {
                let se =
                    a == reference
                    ? 0 : (variance[a] / max(count[a], 1) + variance[reference] / max(count[reference], 1)).squareRoot()
                let over = (oriented[reference] - oriented[a]) - z * se - allowed
                excess[a] = max(excess[a], over)
                if over > 0 && firstBroken[a] == nil { firstBroken[a] = g }
            }
        }
        let keeping = (0..<arms).filter { excess[$0] <= 0 }
        let arm =
            keeping.max { primary[$0] < primary[$1] }
            ?? (0..<arms).min { excess[$0] < excess[$1] } ?? unconstrained
        return GuardedBenchmark(
            arm: arm,
            unconstrainedArm: unconstrained,
            references: references,
            excluded: (0..<arms).compactMap { a in firstBroken[a].map { (a, $0) } },
            admissible: !keeping.isEmpty
        )
    }

    /// Stage 2b: a ridge T-learner per guardrail on the analysis's split.
    public static func fitGuardrails(
        data: ExperimentData,
        split: TLearnerSplit,
        settings: AnalysisSettings,
        shouldStop: () -> Bool = { false }
    ) throws -> GuardrailModels {
        var sets: [ExperimentData] = []
        var fits: [TLearnerFit] = []
        var scale: [Double] = []
        let primarySD = PostExperimentAnalyzer.standardDeviation(data.outcome)
        for g in data.guardrails.indices {
            let oriented = data.guardrailData(g)
            var own = Self.split(oriented, settings: settings)
            own.bestUniformArm = split.bestUniformArm
            precondition(own.holdout == split.holdout, "one split for every outcome")
            fits.append(
                try TLearnerFit.fit(split: own, model: RidgeOutcomeModel(), name: "ridge", shouldStop: shouldStop)
            )
            sets.append(oriented)
            let sd = PostExperimentAnalyzer.standardDeviation(oriented.outcome)
            scale.append(sd > 0 ? primarySD / sd : 0)
        }
        return GuardrailModels(guardrails: data.guardrails, data: sets, fits: fits, scale: scale)
    }

    /// The validation parts' predictions and scores for the primary and every guardrail.
    public static func validationScores(
        data: ExperimentData,
        split: TLearnerSplit,
        primary: TLearnerFit,
        guardrails: GuardrailModels?
    ) throws -> ValidationScores {
        let units = split.validationRows.flatMap { $0 }.sorted()
        let features = data.features.rows(units)
        let predictions = try primary.models.map { try $0.predict(features) }
        var guardPredictions: [[[Double]]] = []
        var guardScores: [DoublyRobustScores] = []
        for (g, fit) in (guardrails?.fits ?? []).enumerated() {
            let p = try fit.models.map { try $0.predict(features) }
            guardPredictions.append(p)
            guardScores.append(DoublyRobustScores(data: guardrails?.data[g] ?? data, units: units, predictions: p))
        }
        return ValidationScores(
            units: units,
            features: features,
            primaryPredictions: predictions,
            primary: DoublyRobustScores(data: data, units: units, predictions: predictions),
            guardrailPredictions: guardPredictions,
            guardrails: guardScores
        )
    }

    /// The loss guardrail g may take against the benchmark, from the benchmark's mean (as
    /// measured) on `units`.
    static func allowedLoss(_ guardrail: Guardrail, benchmark: Int, data: ExperimentData, units: [Int]) -> Double {
        var sum = 0.0
        var count = 0.0
        for i in units where data.arm[i] == benchmark {
            sum += guardrail.values[i]
            count += 1
        }
        return guardrail.maxLoss.allowed(reference: count > 0 ? sum / count : 0)
    }

    /// Whether an assignment of the validation units keeps every guardrail: each oriented change
    /// against the benchmark is non-inferior (its `confidence` interval's lower end above −the
    /// allowed loss, a one-sided test at (1 − confidence)/2). Returns the changes (as measured).
    static func keepsGuardrails(
        _ assignment: [Int],
        validation: ValidationScores,
        guardrails: GuardrailModels,
        benchmark: Int,
        data: ExperimentData,
        confidence: Double
    ) -> (pass: Bool, changes: [Double]) {
        let z = Normal.quantile(0.5 + confidence / 2)
        var pass = true
        var changes: [Double] = []
        for (g, scores) in validation.guardrails.enumerated() {
            let (mean, se) = change(scores, assignment: assignment, benchmark: benchmark)
            let allowed = allowedLoss(
                guardrails.guardrails[g],
                benchmark: benchmark,
                data: data,
                units: validation.units
            )
            if mean - z * se < -allowed { pass = false }
            changes.append(guardrails.guardrails[g].sign * mean)
        }
        return (pass, changes)
    }

    /// The weights κ tried, in units of sd(primary)/sd(guardrail): 0 is the primary alone.
    public static let guardrailWeights: [Double] = [0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 16]

    /// Stage 4b: the T-learner's argmax of primary + Σ_g κ·scale_g·guardrail_g on the validation
    /// parts for each κ of the grid, its primary gain and guardrail changes against the
    /// benchmark, and the smallest κ whose policy keeps every guardrail (the largest when none
    /// does). Between the grid's last failing and first passing κ, six bisection steps find the
    /// smallest passing κ more closely (its row joins the table): the primary gain falls fast
    /// there, so the grid alone can give away most of it.
    public static func tradeoff(
        data: ExperimentData,
        validation: ValidationScores,
        guardrails: GuardrailModels,
        benchmark: Int,
        confidence: Double
    ) -> [PostExperimentVerdict.TradeoffRow] {
        let n = validation.units.count
        func row(_ kappa: Double) -> PostExperimentVerdict.TradeoffRow {
            var combined = validation.primaryPredictions
            for (g, predictions) in validation.guardrailPredictions.enumerated() {
                let w = kappa * guardrails.scale[g]
                guard w != 0 else { continue }
                for a in combined.indices { for k in 0..<n { combined[a][k] += w * predictions[a][k] } }
            }
            let assignment = TLearnerPolicy.argmax(combined, count: n)
            let primary = change(validation.primary, assignment: assignment, benchmark: benchmark)
            let kept = keepsGuardrails(
                assignment,
                validation: validation,
                guardrails: guardrails,
                benchmark: benchmark,
                data: data,
                confidence: confidence
            )
            return .init(
                weight: kappa,
                guardrailWeights: guardrails.scale.map { kappa * $0 },
                primaryGain: primary.mean,
                guardrailChanges: kept.changes,
                guardrailsPass: kept.pass,
                chosen: false
            )
        }
        var rows = guardrailWeights.map(row)
        guard let first = rows.firstIndex(where: \.guardrailsPass) else {
            if !rows.isEmpty { rows[rows.count - 1].chosen = true }
            return rows
        }
        var chosen = rows[first]
        if first > 0 {
            var low = rows[first - 1].weight
            for _ in 0..<6 {
                let middle = row((low + chosen.weight) / 2)
                if middle.guardrailsPass { chosen = middle } else { low = middle.weight }
            }
        }
        chosen.chosen = true
        if chosen.weight == rows[first].weight {
            rows[first] = chosen
        } else {
            rows.insert(chosen, at: first)
        }
        return rows
    }

    /// Each candidate's change on every guardrail against the benchmark on the holdout: AIPW and
    /// IPW with the primary evaluation's bootstrap draws (same seed, same units), so a guardrail's
    /// interval is paired with the primary's.
    public static func guardrailOutcomes(
        data: ExperimentData,
        split: TLearnerSplit,
        candidates: [Candidate],
        guardrails: GuardrailModels,
        settings: AnalysisSettings
    ) -> [[PostExperimentVerdict.OutcomeResult]] {
        var byCandidate = [[PostExperimentVerdict.OutcomeResult]](repeating: [], count: candidates.count)
        let z = Normal.quantile(0.5 + settings.confidence / 2)
        for (g, fit) in guardrails.fits.enumerated() {
            let guardrail = guardrails.guardrails[g]
            let scores = DoublyRobustScores(data: guardrails.data[g], fit: fit)
            let evaluations = PolicyEvaluation.evaluate(
                candidates.map { ($0.assignment, scores) },
                uniformArm: split.bestUniformArm,
                arms: data.arms,
                bootstrap: settings.bootstrap,
                seed: settings.seed
            )
            let allowed = allowedLoss(guardrail, benchmark: split.bestUniformArm, data: data, units: split.holdout)
            for (c, evaluation) in evaluations.enumerated() {
                let a = evaluation.aipw
                let lower = a.gain - z * a.standardError
                let upper = a.gain + z * a.standardError
                let status: PostExperimentVerdict.OutcomeStatus =
                    lower > -allowed ? .pass : upper < -allowed ? .fail : .inconclusive
                // Back to the guardrail's own direction: oriented lower/upper swap when smaller is better.
                let sign = guardrail.sign
                byCandidate[c].append(
                    .init(
                        column: guardrail.column,
                        role: .guardrail,
                        largerIsBetter: guardrail.largerIsBetter,
                        change: sign * a.gain,
                        standardError: a.standardError,
                        lower: sign > 0 ? lower : -upper,
                        upper: sign > 0 ? upper : -lower,
                        ipwChange: sign * evaluation.ipw.gain,
                        benchmarkValue: sign * a.uniformValue,
                        maxLoss: allowed,
                        status: status
                    )
                )
            }
        }
        return byCandidate
    }

    /// σ̂, ρ̂, ŝ and σ̂_ε (the paper's) of each guardrail from its ridge T-learner's holdout
    /// predictions, and the correlation over holdout units of each guardrail's predicted benefit
    /// with the primary's: benefit_Y(k) = μ̂_Y[a*_k](x_k) − μ̂_Y[benchmark](x_k), a*_k the primary
    /// model's best arm for k (oriented, so a negative correlation means the units that gain the
    /// most on the primary lose the most on the guardrail).
    public static func guardrailEstimates(
        guardrails: GuardrailModels,
        primary: TLearnerFit,
        settings: AnalysisSettings
    ) -> [PostExperimentVerdict.GuardrailEstimate] {
        let n = primary.holdout.count
        let chosen = primary.assignment
        let bench = primary.bestUniformArm
        let primaryBenefit = (0..<n).map { primary.predictions[chosen[$0]][$0] - primary.predictions[bench][$0] }
        return guardrails.fits.enumerated().map { g, fit in
            let e = ParameterEstimates.estimate(
                data: guardrails.data[g],
                holdout: fit.holdout,
                predictions: fit.predictions,
                bootstrap: 0,
                seed: settings.seed
            )
            let benefit = (0..<n).map { fit.predictions[chosen[$0]][$0] - fit.predictions[bench][$0] }
            return .init(
                column: guardrails.guardrails[g].column,
                sigma: e.sigma,
                rho: e.rho,
                s: e.s,
                predictionError: e.predictionError,
                benefitCorrelation: correlation(primaryBenefit, benefit)
            )
        }
    }

    /// Pearson's correlation; 0 when either side is constant.
    static func correlation(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        guard x.count > 1 else { return 0 }
        let mx = x.reduce(0, +) / n
        let my = y.reduce(0, +) / n
        var sxy = 0.0
        var sxx = 0.0
        var syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        guard sxx > 0, syy > 0 else { return 0 }
        return sxy / (sxx * syy).squareRoot()
    }
}
