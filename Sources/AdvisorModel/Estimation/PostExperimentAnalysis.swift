import Foundation

/// The operator's knobs for post-experiment analysis (configuration file, `analysis:` block).
public struct AnalysisSettings: Sendable, Hashable {
    public var holdoutShare = 0.3
    /// Share of each arm's training units kept to early-stop its outcome model.
    public var validationShare = 0.2
    public var seed: UInt64 = 20_240_601
    /// Paired bootstrap replications for the realized gain's standard error.
    public var bootstrap = 500
    /// Bootstrap replications for the standard errors of σ̂, ρ̂, ŝ, σ̂_ε.
    public var estimateBootstrap = 30
    /// Threshold when the manifest gives none: this share of the best uniform arm's value.
    public var relativeThreshold = 0.01
    /// Two-sided confidence of the realized-gain interval the verdict reads.
    public var confidence = 0.95
    /// The daemon rejects a data drop whose analysis takes longer (it runs beside proposals).
    public var timeLimitSeconds = 3600.0

    public init() {}
}

/// What the analysis concludes.
public enum PostExperimentVerdictKind: String, Sendable, Hashable, Codable {
    /// The interval is above zero and the gain reaches the threshold.
    case personalize
    /// The whole interval is below the threshold: shipping the best arm loses nothing worth having.
    case shipUniform = "ship-uniform"
    /// Neither: collect more data.
    case inconclusive
}

/// The post-experiment verdict, as the report and the journal show it. Every figure is defined
/// in EstimatingParameters.md.
public struct PostExperimentVerdict: Sendable, Codable {
    public var experiment: String
    public var verdict: PostExperimentVerdictKind
    public var headline: String
    /// The one thing to do.
    public var action: String
    public var bestUniformArm: String
    /// The policy the verdict is about (the first model listed: the paper's XGBoost T-learner).
    public var policy: String
    public var threshold: Double
    public var realized: RealizedGain
    public var predicted: PredictedGain
    public var estimates: ParameterEstimates
    public var policies: [PolicyResult]
    public var levers: [Lever]
    /// "your ρ prior of 0.3 was optimistic: the data say 0.8", when a proposal was seen first.
    public var priorComparison: [String]
    public var data: DataSummary
    public var notes: [String]

    public struct RealizedGain: Sendable, Codable {
        /// AIPW gain of the policy over the best uniform arm on the holdout, in outcome units.
        public var gain: Double
        public var standardError: Double
        public var lower: Double
        public var upper: Double
        public var relativeGain: Double?
        public var policyValue: Double
        public var uniformValue: Double
        /// The same gain by IPW (the paper's eq. 9).
        public var ipwGain: Double
        public var ipwStandardError: Double
    }

    public struct PredictedGain: Sendable, Codable {
        /// The gain engine's finite-sample prediction from the estimates, with the refined σ_ε.
        public var gain: Double
        /// The same with the paper's σ_ε (outcome noise counted as model error).
        public var gainWithPaperPredictionError: Double
        public var monteCarloStandardError: Double
        /// Realized and predicted agree when they differ by at most two standard errors of the
        /// realized gain.
        public var agrees: Bool
        public var statement: String
    }

    public struct PolicyResult: Sendable, Codable {
        public var name: String
        public var ipw: PolicyComparison
        public var aipw: PolicyComparison
        public var armShares: [ArmShare]
        /// Covariates whose effect differs most between arms: what makes the policy choose.
        public var drivers: [Driver]
    }

    public struct ArmShare: Sendable, Codable {
        public var arm: String
        public var share: Double
    }

    public struct Driver: Sendable, Codable {
        public var covariate: String
        /// SD over arms of corr(covariate, the arm's centred prediction): 0 when the covariate
        /// moves every arm's prediction alike (it cannot change the choice).
        public var score: Double
    }

    public struct DataSummary: Sendable, Codable {
        public var units: Int
        public var trainingUnits: Int
        public var holdoutUnits: Int
        public var rowsDropped: Int
        public var binaryOutcome: Bool
        public var outcomeSD: Double
        public var arms: [ArmSummary]
    }

    public struct ArmSummary: Sendable, Codable {
        public var arm: String
        public var units: Int
        public var mean: Double
    }
}

/// Runs the whole post-experiment analysis on data already in memory.
public struct PostExperimentAnalyzer {
    public var settings: AnalysisSettings
    public var prediction: PredictionSettings

    public init(settings: AnalysisSettings = AnalysisSettings(), prediction: PredictionSettings = PredictionSettings())
    {
        self.settings = settings
        self.prediction = prediction
    }

    /// `models`: named outcome models, the first being the one the verdict is about.
    /// `earlierPriors`: the central priors of this experiment's proposal, if one was processed.
    /// `shouldStop` is polled before every per-arm model and stage, so a caller that gave up (a
    /// time limit, shutdown) does not leave the models fitting; it then throws `ModelError.stopped`.
    public func analyze(
        experiment: String,
        data: ExperimentData,
        covariateNames: [String],
        binaryOutcome: Bool,
        rowsDropped: Int = 0,
        threshold manifestThreshold: Double? = nil,
        models: [(name: String, model: any OutcomeModel)],
        earlierPriors: ModelParameters? = nil,
        shouldStop: () -> Bool = { false }
    ) throws -> PostExperimentVerdict {
        precondition(!models.isEmpty, "at least one outcome model")
        // One split for every model, and one bootstrap pass for every policy.
        let split = TLearnerSplit(
            data: data,
            holdoutShare: settings.holdoutShare,
            validationShare: settings.validationShare,
            seed: settings.seed
        )
        var fits: [TLearnerFit] = []
        for entry in models {
            fits.append(try TLearnerFit.fit(data: data, split: split, model: entry.model, shouldStop: shouldStop))
        }
        if shouldStop() { throw ModelError.stopped }
        let evaluations = PolicyEvaluation.evaluate(
            data: data,
            fits: fits,
            bootstrap: settings.bootstrap,
            seed: settings.seed
        )
        let results = models.indices.map { index in
            PostExperimentVerdict.PolicyResult(
                name: models[index].name,
                ipw: evaluations[index].ipw,
                aipw: evaluations[index].aipw,
                armShares: zip(data.armNames, evaluations[index].armShares).map { .init(arm: $0, share: $1) },
                drivers: Self.drivers(
                    features: split.holdoutFeatures,
                    predictions: fits[index].predictions,
                    names: covariateNames
                )
            )
        }
        // The verdict is about the first model (`models` is not empty: checked above).
        let fit = fits[0]
        let evaluation = evaluations[0]
        if shouldStop() { throw ModelError.stopped }

        let estimates = ParameterEstimates.estimate(
            data: data,
            holdout: fit.holdout,
            predictions: fit.predictions,
            bootstrap: settings.estimateBootstrap,
            seed: settings.seed
        )
        let z = Normal.quantile(0.5 + settings.confidence / 2)
        let aipw = evaluation.aipw
        let realized = PostExperimentVerdict.RealizedGain(
            gain: aipw.gain,
            standardError: aipw.standardError,
            lower: aipw.gain - z * aipw.standardError,
            upper: aipw.gain + z * aipw.standardError,
            relativeGain: aipw.relativeGain,
            policyValue: aipw.policyValue,
            uniformValue: aipw.uniformValue,
            ipwGain: evaluation.ipw.gain,
            ipwStandardError: evaluation.ipw.standardError
        )
        let threshold = manifestThreshold ?? settings.relativeThreshold * abs(aipw.uniformValue)

        // Per-arm sizes of the training split: the design the policy and the benchmark were chosen on.
        var trainingSizes = Array(repeating: 0.0, count: data.arms)
        for i in fit.training { trainingSizes[data.arm[i]] += 1 }
        let outcomeSD = Self.standardDeviation(data.outcome)
        let design = SampleDesign(unitsPerArm: trainingSizes.map { max($0, 1) }, outcomeSD: outcomeSD)
        let engine = GainEngine(monteCarloDraws: 400, seed: settings.seed)
        let rho = min(max(estimates.rho, ModelParameters.lowestRho(arms: data.arms)), 1)
        let sigma = max(estimates.sigma, 1e-9)
        // Arms further apart in size than the engine models are predicted for an infinite population.
        let sizeRatio = (trainingSizes.max() ?? 1) / max(trainingSizes.min() ?? 1, 1)
        let usableDesign = sizeRatio <= SampleDesign.maximumSizeRatio ? design : nil
        func predicted(_ eps: Double) throws -> GainEstimate {
            try engine.gain(
                ModelParameters(sigma: sigma, rho: rho, s: estimates.s, predictionError: eps, arms: data.arms),
                means: .normal,
                design: usableDesign
            )
        }
        let refined = try predicted(estimates.predictionErrorRefined)
        let paper = try predicted(estimates.predictionError)
        let agrees = abs(realized.gain - refined.gain) <= 2 * max(realized.standardError, refined.standardError)
        let statement =
            agrees
            ? "The realized gain (\(NumberText.significant(realized.gain)) ± \(NumberText.significant(realized.standardError))) agrees with the model's prediction (\(NumberText.significant(refined.gain))) from the estimated parameters."
            : "The realized gain (\(NumberText.significant(realized.gain)) ± \(NumberText.significant(realized.standardError))) \(realized.gain > refined.gain ? "exceeds" : "falls short of") the model's prediction (\(NumberText.significant(refined.gain))) by more than two standard errors."

        let kind: PostExperimentVerdictKind
        if realized.lower > 0 && realized.gain >= threshold {
            kind = .personalize
        } else if realized.upper < threshold {
            kind = .shipUniform
        } else {
            kind = .inconclusive
        }
        let best = data.armNames[fit.bestUniformArm]
        let primaryName = results[0].name

        // Levers for the next test, from the estimates as fixed parameters.
        let proposal = Proposal(
            experiment: experiment,
            armCandidates: [data.arms],
            baseline: aipw.uniformValue,
            sampleSize: .eachArm(trainingSizes.map { max($0, 1) }),
            outcomeSD: outcomeSD,
            priors: .init(
                sigma: .fixed(sigma),
                rho: .fixed(rho),
                s: .fixed(estimates.s),
                predictionError: .fixed(estimates.predictionErrorRefined)
            ),
            armMeans: .normal,
            threshold: .absolute(threshold),
            seed: settings.seed
        )
        let next = try Predictor(settings: prediction).predict(proposal)

        let headline: String
        let action: String
        switch kind {
        case .personalize:
            headline =
                "Personalize: the \(primaryName) policy beat shipping '\(best)' to everyone by \(NumberText.significant(realized.gain)) (\(Int(settings.confidence * 100))% interval \(NumberText.significant(realized.lower)) to \(NumberText.significant(realized.upper)))."
            action =
                "Deploy the \(primaryName) policy; keep '\(best)' as the fallback for units the model cannot score."
        case .shipUniform:
            headline =
                "Ship '\(best)' to everyone: personalization gained \(NumberText.significant(realized.gain)), and even the top of its \(Int(settings.confidence * 100))% interval (\(NumberText.significant(realized.upper))) is below the \(NumberText.significant(threshold)) worth having."
            action = "Ship '\(best)' to everyone. For the next test: \(next.recommendation.action)"
        case .inconclusive:
            headline =
                "Inconclusive: personalization gained \(NumberText.significant(realized.gain)) ± \(NumberText.significant(realized.standardError)), which cannot yet be told apart from \(realized.gain >= threshold ? "zero" : "the \(NumberText.significant(threshold)) threshold")."
            action =
                "Collect more data before deciding; until then ship '\(best)'. For the next test: \(next.recommendation.action)"
        }

        let (counts, sums, _) = data.armTotals()
        var notes: [String] = []
        if estimates.smallestCell < 30 {
            notes.append(
                "Some quantile cells hold only \(estimates.smallestCell) holdout units: σ̂ and ρ̂ are noisy (see their standard errors)."
            )
        }
        notes.append(
            "The best uniform arm was chosen on the training split (\(fit.training.count) units) and every policy evaluated on the holdout (\(fit.holdout.count) units) only."
        )
        return PostExperimentVerdict(
            experiment: experiment,
            verdict: kind,
            headline: headline,
            action: action,
            bestUniformArm: best,
            policy: primaryName,
            threshold: threshold,
            realized: realized,
            predicted: .init(
                gain: refined.gain,
                gainWithPaperPredictionError: paper.gain,
                monteCarloStandardError: refined.standardError,
                agrees: agrees,
                statement: statement
            ),
            estimates: estimates,
            policies: results,
            levers: next.levers,
            priorComparison: earlierPriors.map { Self.compare(prior: $0, estimates: estimates) } ?? [],
            data: .init(
                units: data.units,
                trainingUnits: fit.training.count,
                holdoutUnits: fit.holdout.count,
                rowsDropped: rowsDropped,
                binaryOutcome: binaryOutcome,
                outcomeSD: outcomeSD,
                arms: (0..<data.arms).map {
                    .init(arm: data.armNames[$0], units: Int(counts[$0]), mean: sums[$0] / max(counts[$0], 1))
                }
            ),
            notes: notes
        )
    }

    public static func standardDeviation(_ x: [Double]) -> Double {
        let mean = x.reduce(0, +) / Double(max(x.count, 1))
        return (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(x.count - 1, 1))).squareRoot()
    }

    /// The covariates that make the policy choose: for covariate j, the SD over arms of the
    /// correlation between x_j and the arm's prediction centred on the mean over arms (a
    /// covariate that moves every arm alike scores 0). `features`: the holdout units' rows.
    public static func drivers(
        features: FeatureMatrix,
        predictions: [[Double]],
        names: [String]
    ) -> [PostExperimentVerdict.Driver] {
        let n = features.rows
        let m = predictions.count
        let p = features.columns
        guard n > 2, m > 0, !names.isEmpty else { return [] }
        // Each unit's mean prediction over arms, subtracted from every arm's.
        var rowMean = [Double](repeating: 0, count: n)
        for column in predictions {
            for k in 0..<n { rowMean[k] += column[k] }
        }
        for k in 0..<n { rowMean[k] /= Double(m) }
        var drivers: [PostExperimentVerdict.Driver] = []
        var dx = [Double](repeating: 0, count: n)
        var present = [Double](repeating: 0, count: n)
        for j in 0..<p {
            // x_j centred on the mean of the units that have it; a missing x_j gets weight 0.
            var count = 0
            var sum = 0.0
            for k in 0..<n where !features[k, j].isNaN {
                sum += Double(features[k, j])
                count += 1
            }
            guard count > 2 else { continue }
            let mean = sum / Double(count)
            var sxx = 0.0
            for k in 0..<n {
                let v = features[k, j]
                present[k] = v.isNaN ? 0 : 1
                dx[k] = v.isNaN ? 0 : Double(v) - mean
                sxx += dx[k] * dx[k]
            }
            let units = Double(count)
            let correlations = predictions.map { column -> Double in
                // Σ w·y, Σ w·y², Σ dx·y over units, y the centred prediction; four units at a
                // time in SIMD lanes (a single running sum would wait on every addition).
                var sy = SIMD4<Double>.zero
                var syy = SIMD4<Double>.zero
                var sxy = SIMD4<Double>.zero
                var tail = (sy: 0.0, syy: 0.0, sxy: 0.0)
                column.withUnsafeBufferPointer { c in
                    rowMean.withUnsafeBufferPointer { r in
                        dx.withUnsafeBufferPointer { d in
                            present.withUnsafeBufferPointer { w in
                                var k = 0
                                while k + 4 <= n {
                                    let y =
                                        SIMD4(c[k], c[k + 1], c[k + 2], c[k + 3])
                                        - SIMD4(r[k], r[k + 1], r[k + 2], r[k + 3])
                                    let weight = SIMD4(w[k], w[k + 1], w[k + 2], w[k + 3])
                                    sy += weight * y
                                    syy += weight * y * y
                                    sxy += SIMD4(d[k], d[k + 1], d[k + 2], d[k + 3]) * y
                                    k += 4
                                }
                                while k < n {
                                    let y = c[k] - r[k]
                                    tail.sy += w[k] * y
                                    tail.syy += w[k] * y * y
                                    tail.sxy += d[k] * y
                                    k += 1
                                }
                            }
                        }
                    }
                }
                let ySum = sy.sum() + tail.sy
                let ySquares = syy.sum() + tail.syy
                // Σ dx = 0 over the units present, so Σ dx·y is n·cov(x, y).
                let cross = sxy.sum() + tail.sxy
                let variance = ySquares / units - (ySum / units) * (ySum / units)
                return sxx > 0 && variance > 1e-14 * ySquares / units
                    ? (cross / units) / (sxx / units * variance).squareRoot() : 0
            }
            let average = correlations.reduce(0, +) / Double(m)
            let spread = (correlations.reduce(0) { $0 + ($1 - average) * ($1 - average) } / Double(m)).squareRoot()
            drivers.append(.init(covariate: j < names.count ? names[j] : "x\(j)", score: spread))
        }
        return Array(drivers.sorted { $0.score > $1.score }.prefix(5))
    }

    /// Plain statements comparing a proposal's central priors with the estimates. A prior is
    /// "optimistic" when it points to more gain than the data (higher σ, lower ρ, lower s,
    /// lower σ_ε); only differences beyond 20% (or 0.1 for ρ) are mentioned.
    public static func compare(prior: ModelParameters, estimates: ParameterEstimates) -> [String] {
        var lines: [String] = []
        func say(_ name: String, _ prior: Double, _ data: Double, optimisticWhenPriorHigher: Bool, differs: Bool) {
            guard differs else {
                lines.append(
                    "Your \(name) prior of \(NumberText.significant(prior)) matched the data (\(NumberText.significant(data)))."
                )
                return
            }
            let optimistic = (prior > data) == optimisticWhenPriorHigher
            lines.append(
                "Your \(name) prior of \(NumberText.significant(prior)) was \(optimistic ? "optimistic" : "pessimistic"): the data say \(NumberText.significant(data))."
            )
        }
        func relative(_ a: Double, _ b: Double) -> Bool { abs(a - b) > 0.2 * max(abs(a), abs(b), 1e-12) }
        say(
            "σ",
            prior.sigma,
            estimates.sigma,
            optimisticWhenPriorHigher: true,
            differs: relative(prior.sigma, estimates.sigma)
        )
        say(
            "ρ",
            prior.rho,
            estimates.rho,
            optimisticWhenPriorHigher: false,
            differs: abs(prior.rho - estimates.rho) > 0.1
        )
        say("s", prior.s, estimates.s, optimisticWhenPriorHigher: false, differs: relative(prior.s, estimates.s))
        say(
            "σ_ε",
            prior.predictionError,
            estimates.predictionErrorRefined,
            optimisticWhenPriorHigher: false,
            differs: relative(prior.predictionError, estimates.predictionErrorRefined)
        )
        return lines
    }
}
