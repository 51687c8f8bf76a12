/// The post-experiment analysis as named stages, each a value in and a value out, so the
/// analyzer, the tests and the benchmarks run the same code (EstimatingParameters.md):
///
///     split → fit outcome models → doubly robust scores → policies → evaluation
///           → estimates → prediction → decision
public enum PostExperimentAnalysis {
    /// A named outcome model: the T-learner built from it is a candidate policy.
    public typealias NamedModel = (name: String, model: any OutcomeModel)

    /// A policy ready to be judged: its arm for each holdout unit and the scores its AIPW value
    /// reads.
    public struct Candidate {
        public var policy: any Policy
        public var assignment: [Int]
        public var scores: DoublyRobustScores
        /// The outcome model's holdout predictions, when the policy comes from one (drivers).
        public var predictions: [[Double]]? = nil
        /// For a distilled tree: the black box's arm for each holdout unit (fidelity).
        public var distills: [Int]? = nil
    }

    /// Stage 1: one seeded split for every model and policy.
    public static func split(_ data: ExperimentData, settings: AnalysisSettings) -> TLearnerSplit {
        TLearnerSplit(
            data: data,
            holdoutShare: settings.holdoutShare,
            validationShare: settings.validationShare,
            seed: settings.seed
        )
    }

    /// Stage 2: a T-learner per named model. `shouldStop` is polled before every arm's model.
    public static func fitOutcomeModels(
        split: TLearnerSplit,
        models: [NamedModel],
        shouldStop: () -> Bool = { false }
    ) throws -> [TLearnerFit] {
        try models.map { entry in
            try TLearnerFit.fit(split: split, model: entry.model, name: entry.name, shouldStop: shouldStop)
        }
    }

    /// Stages 3 and 4: each T-learner's argmax policy, with its own model's doubly robust scores.
    public static func policies(data: ExperimentData, fits: [TLearnerFit]) -> [Candidate] {
        fits.map { fit in
            Candidate(
                policy: fit.policy,
                assignment: fit.assignment,
                scores: DoublyRobustScores(data: data, fit: fit),
                predictions: fit.predictions
            )
        }
    }

    /// The distilled tree imitates the black box on at most this many training units.
    public static let distillationUnits = 20_000

    /// `count` of `items` drawn without replacement (a partial Fisher–Yates shuffle), in their
    /// original order; all of them when there are no more.
    static func randomSubset(_ items: [Int], count: Int, rng: inout SplitMix64) -> [Int] {
        guard items.count > count else { return items }
        var pool = items
        for k in 0..<count { pool.swapAt(k, k + Int(rng.next() % UInt64(pool.count - k))) }
        return Array(pool[..<count]).sorted()
    }

    /// Stage 4, the trees: a policy tree learned on cross-fitted doubly robust scores of the
    /// training units, and a distilled tree learned on the primary policy's own assignments
    /// (what the black box does, in a few rules). Both are judged like every policy: on the
    /// holdout, with the primary model's scores. At most `policyTreeUnits` training units (a
    /// seeded sample) feed the search. The scores come from ridge T-learners: with the known
    /// assignment probabilities of an experiment, AIPW is unbiased whatever the outcome model, so
    /// the cheap model costs only variance.
    public static func trees(
        data: ExperimentData,
        split: TLearnerSplit,
        primary: TLearnerFit,
        settings: AnalysisSettings,
        shouldStop: () -> Bool = { false }
    ) throws -> [Candidate] {
        var rng = SplitMix64(seed: settings.seed ^ 0x7EE5)
        let sample = Self.randomSubset(split.training, count: settings.policyTreeUnits, rng: &rng)
        let scores = try CrossFitting.scores(
            data: data,
            units: sample,
            model: RidgeOutcomeModel(),
            folds: settings.policyTree.folds,
            validationShare: settings.validationShare,
            seed: settings.seed,
            shouldStop: shouldStop
        )
        if shouldStop() { throw ModelError.stopped }
        let features = data.features.rows(sample)
        let arms = data.arms
        let rewards = (0..<sample.count).map { k in (0..<arms).map { scores.aipw(k, arm: $0) } }
        let learned = PolicyTreeSearch(features: features, rewards: rewards, settings: settings.policyTree)
            .search(depth: settings.policyTree.depth)
        if shouldStop() { throw ModelError.stopped }
        // The black box's choices on at most `distillationUnits` of the sample, drawn at random:
        // predicting them costs one model call per arm and unit, and a shallow imitation needs few.
        let imitated = features.rows(
            Self.randomSubset(Array(0..<sample.count), count: Self.distillationUnits, rng: &rng)
        )
        let blackBox = try primary.policy.assign(imitated)
        let imitation = blackBox.map { arm in (0..<arms).map { $0 == arm ? 1.0 : 0 } }
        let distilled = PolicyTreeSearch(features: imitated, rewards: imitation, settings: settings.policyTree)
            .search(depth: settings.policyTree.depth)
        let holdoutScores = DoublyRobustScores(data: data, fit: primary)
        let tree = PolicyTree(name: "policy-tree", root: learned.root)
        let distillation = PolicyTree(name: "distilled-tree", root: distilled.root)
        return [
            Candidate(policy: tree, assignment: tree.assign(split.holdoutFeatures), scores: holdoutScores),
            Candidate(
                policy: distillation,
                assignment: distillation.assign(split.holdoutFeatures),
                scores: holdoutScores,
                distills: primary.assignment
            ),
        ]
    }

    /// Stage 5: every candidate against the split's best uniform arm on the holdout, in one
    /// paired bootstrap pass, with its arm shares and the covariates that drive it.
    public static func evaluate(
        data: ExperimentData,
        split: TLearnerSplit,
        candidates: [Candidate],
        covariateNames: [String],
        settings: AnalysisSettings
    ) -> [PostExperimentVerdict.PolicyResult] {
        let evaluations = PolicyEvaluation.evaluate(
            candidates.map { ($0.assignment, $0.scores) },
            uniformArm: split.bestUniformArm,
            arms: data.arms,
            bootstrap: settings.bootstrap,
            seed: settings.seed
        )
        return zip(candidates, evaluations).map { candidate, evaluation in
            PostExperimentVerdict.PolicyResult(
                name: candidate.policy.name,
                ipw: evaluation.ipw,
                aipw: evaluation.aipw,
                armShares: zip(data.armNames, evaluation.armShares).map { .init(arm: $0, share: $1) },
                drivers: candidate.predictions.map {
                    PostExperimentVerdict.Driver.ranked(
                        features: split.holdoutFeatures,
                        predictions: $0,
                        names: covariateNames
                    )
                } ?? [],
                tree: (candidate.policy as? PolicyTree).map { tree in
                    .init(
                        depth: tree.depth,
                        rules: tree.rules(
                            covariateNames: covariateNames,
                            arms: data.armNames,
                            on: split.holdoutFeatures
                        ),
                        fidelity: candidate.distills.map { target in
                            Double(zip(target, candidate.assignment).filter { $0 == $1 }.count)
                                / Double(max(target.count, 1))
                        }
                    )
                }
            )
        }
    }

    /// Stage 6: σ̂, ρ̂, ŝ, σ̂_ε from the primary fit's holdout predictions (section 5.2).
    public static func estimate(
        data: ExperimentData,
        fit: TLearnerFit,
        settings: AnalysisSettings
    )
        -> ParameterEstimates
    {
        ParameterEstimates.estimate(
            data: data,
            holdout: fit.holdout,
            predictions: fit.predictions,
            bootstrap: settings.estimateBootstrap,
            seed: settings.seed
        )
    }

    /// The realized gain the verdict reads: AIPW with its interval, IPW beside it.
    public static func realizedGain(
        _ policy: PostExperimentVerdict.PolicyResult,
        confidence: Double
    )
        -> PostExperimentVerdict.RealizedGain
    {
        let z = Normal.quantile(0.5 + confidence / 2)
        let aipw = policy.aipw
        return .init(
            gain: aipw.gain,
            standardError: aipw.standardError,
            lower: aipw.gain - z * aipw.standardError,
            upper: aipw.gain + z * aipw.standardError,
            relativeGain: aipw.relativeGain,
            policyValue: aipw.policyValue,
            uniformValue: aipw.uniformValue,
            ipwGain: policy.ipw.gain,
            ipwStandardError: policy.ipw.standardError
        )
    }

    /// Stage 7: the gain engine's finite-sample prediction from the estimates at the training
    /// split's arm sizes, with the refined and with the paper's σ_ε. `realized` is the gain it
    /// is compared with (EstimatingParameters.md, "Prediction next to the realized gain").
    public static func predictedGain(
        data: ExperimentData,
        split: TLearnerSplit,
        estimates: ParameterEstimates,
        realized: PostExperimentVerdict.RealizedGain,
        settings: AnalysisSettings
    ) throws(ModelError) -> PostExperimentVerdict.PredictedGain {
        let design = self.design(data: data, split: split)
        let engine = GainEngine(monteCarloDraws: 400, seed: settings.seed)
        func predicted(_ eps: Double) throws(ModelError) -> GainEstimate {
            try engine.gain(
                modelParameters(estimates, arms: data.arms, predictionError: eps),
                means: .normal,
                design: design.usable
            )
        }
        let refined = try predicted(estimates.predictionErrorRefined)
        let paper = try predicted(estimates.predictionError)
        return .init(
            gain: refined.gain,
            gainWithPaperPredictionError: paper.gain,
            monteCarloStandardError: refined.standardError,
            agrees: abs(realized.gain - refined.gain) <= 2 * max(realized.standardError, refined.standardError)
        )
    }

    /// Stage 7 continued: a prediction for a next test designed from the estimates as fixed
    /// parameters, at the same arm sizes (its levers say what to change).
    public static func nextTest(
        experiment: String,
        data: ExperimentData,
        split: TLearnerSplit,
        estimates: ParameterEstimates,
        uniformValue: Double,
        threshold: Double,
        settings: AnalysisSettings,
        prediction: PredictionSettings
    ) throws(ModelError) -> Prediction {
        let design = self.design(data: data, split: split)
        let p = modelParameters(estimates, arms: data.arms, predictionError: estimates.predictionErrorRefined)
        let proposal = Proposal(
            experiment: experiment,
            armCandidates: [data.arms],
            baseline: uniformValue,
            sampleSize: .eachArm(design.full.unitsPerArm),
            outcomeSD: design.full.outcomeSD,
            priors: .init(
                sigma: .fixed(p.sigma),
                rho: .fixed(p.rho),
                s: .fixed(p.s),
                predictionError: .fixed(p.predictionError)
            ),
            armMeans: .normal,
            threshold: .absolute(threshold),
            seed: settings.seed
        )
        return try Predictor(settings: prediction).predict(proposal)
    }

    /// The estimates as the engine's parameters: σ kept above 0 and ρ inside its valid range
    /// (a bootstrap-noisy estimate can fall just outside either).
    static func modelParameters(_ e: ParameterEstimates, arms: Int, predictionError: Double) -> ModelParameters {
        ModelParameters(
            sigma: max(e.sigma, 1e-9),
            rho: min(max(e.rho, ModelParameters.lowestRho(arms: arms)), 1),
            s: e.s,
            predictionError: predictionError,
            arms: arms
        )
    }

    /// The training split's arm sizes (each at least 1) with the outcome's SD; `usable` is nil
    /// when the arms are further apart in size than the engine models (then the prediction is
    /// for an infinite population).
    static func design(data: ExperimentData, split: TLearnerSplit) -> (full: SampleDesign, usable: SampleDesign?) {
        let sizes = split.trainingSizes.map { max($0, 1) }
        let full = SampleDesign(unitsPerArm: sizes, outcomeSD: PostExperimentAnalyzer.standardDeviation(data.outcome))
        let ratio = (sizes.max() ?? 1) / (sizes.min() ?? 1)
        return (full, ratio <= SampleDesign.maximumSizeRatio ? full : nil)
    }

    /// Stage 8, the verdict rule (EstimatingParameters.md, "The verdict rule"): personalize when
    /// the interval is above zero and the gain reaches the threshold; ship the best arm when the
    /// whole interval is below the threshold; otherwise inconclusive.
    public static func decide(
        _ realized: PostExperimentVerdict.RealizedGain,
        threshold: Double
    )
        -> PostExperimentVerdictKind
    {
        if realized.lower > 0 && realized.gain >= threshold { return .personalize }
        if realized.upper < threshold { return .shipUniform }
        return .inconclusive
    }

    /// The proposal's central priors against the estimates (σ_ε against the refined one).
    public static func compare(
        prior: ModelParameters,
        estimates: ParameterEstimates
    )
        -> [PostExperimentVerdict.PriorComparison]
    {
        let pairs: [(ModelParameter, Double, Double)] = [
            (.sigma, prior.sigma, estimates.sigma),
            (.rho, prior.rho, estimates.rho),
            (.s, prior.s, estimates.s),
            (.predictionError, prior.predictionError, estimates.predictionErrorRefined),
        ]
        return pairs.map { parameter, prior, estimate in
            let differs =
                parameter == .rho
                ? abs(prior - estimate) > 0.1
                : abs(prior - estimate) > 0.2 * max(abs(prior), abs(estimate), 1e-12)
            let optimistic = (prior > estimate) == parameter.gainRisesWithValue
            return .init(
                parameter: parameter,
                prior: prior,
                estimate: estimate,
                assessment: !differs ? .matched : optimistic ? .optimistic : .pessimistic
            )
        }
    }
}

/// Runs the whole post-experiment analysis on data already in memory: the stages of
/// `PostExperimentAnalysis` in order.
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
    /// The verdict, and the policy it recommends deploying: the verdict's policy when it says
    /// personalize, else the best uniform arm for everyone.
    public func analyze(
        experiment: String,
        data: ExperimentData,
        covariateNames: [String],
        binaryOutcome: Bool,
        rowsDropped: Int = 0,
        threshold manifestThreshold: Double? = nil,
        models: [PostExperimentAnalysis.NamedModel],
        earlierPriors: ModelParameters? = nil,
        shouldStop: () -> Bool = { false }
    ) throws -> (verdict: PostExperimentVerdict, recommended: any Policy) {
        typealias Stage = PostExperimentAnalysis
        // Seconds per stage, for the report (the standard library's monotonic clock; no I/O).
        var timings: [String: Double] = [:]
        let clock = ContinuousClock()
        func timed<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
            let start = clock.now
            defer {
                let elapsed = clock.now - start
                timings[stage, default: 0] +=
                    Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
            return try body()
        }
        let split = timed("split") { Stage.split(data, settings: settings) }
        let fits = try timed("outcome_models") {
            try Stage.fitOutcomeModels(split: split, models: models, shouldStop: shouldStop)
        }
        guard let primary = fits.first else { throw ModelError.inconsistent("no outcome model to analyze with") }
        if shouldStop() { throw ModelError.stopped }
        let candidates =
            Stage.policies(data: data, fits: fits)
            + (settings.policyTree.depth > 0
                ? try timed("policy_tree") {
                    try Stage.trees(
                        data: data,
                        split: split,
                        primary: primary,
                        settings: settings,
                        shouldStop: shouldStop
                    )
                }
                : [])
        let results = timed("evaluation") {
            Stage.evaluate(
                data: data,
                split: split,
                candidates: candidates,
                covariateNames: covariateNames,
                settings: settings
            )
        }
        if shouldStop() { throw ModelError.stopped }
        let estimates = timed("estimates") { Stage.estimate(data: data, fit: primary, settings: settings) }
        let realized = Stage.realizedGain(results[0], confidence: settings.confidence)
        let threshold = manifestThreshold ?? settings.relativeThreshold * abs(realized.uniformValue)
        let (predicted, next) = try timed("prediction") {
            (
                try Stage.predictedGain(
                    data: data,
                    split: split,
                    estimates: estimates,
                    realized: realized,
                    settings: settings
                ),
                try Stage.nextTest(
                    experiment: experiment,
                    data: data,
                    split: split,
                    estimates: estimates,
                    uniformValue: realized.uniformValue,
                    threshold: threshold,
                    settings: settings,
                    prediction: prediction
                )
            )
        }
        var notes: [PostExperimentVerdict.VerdictNote] = []
        if estimates.smallestCell < 30 { notes.append(.sparseCells(smallest: estimates.smallestCell)) }
        notes.append(.split(training: split.training.count, holdout: split.holdout.count))
        let verdict = PostExperimentVerdict(
            experiment: experiment,
            verdict: Stage.decide(realized, threshold: threshold),
            bestUniformArm: data.armNames[split.bestUniformArm],
            policy: results[0].name,
            threshold: threshold,
            confidence: settings.confidence,
            realized: realized,
            predicted: predicted,
            estimates: estimates,
            policies: results,
            nextTest: next,
            priorComparison: earlierPriors.map { Stage.compare(prior: $0, estimates: estimates) } ?? [],
            data: Self.summary(data, split: split, rowsDropped: rowsDropped, binaryOutcome: binaryOutcome),
            notes: notes,
            timings: timings
        )
        let uniform = UniformPolicy(name: "uniform", arm: split.bestUniformArm)
        return (verdict, verdict.verdict == .personalize ? candidates[0].policy : uniform)
    }

    static func summary(
        _ data: ExperimentData,
        split: TLearnerSplit,
        rowsDropped: Int,
        binaryOutcome: Bool
    )
        -> PostExperimentVerdict.DataSummary
    {
        let (counts, sums, _) = data.armTotals()
        return .init(
            units: data.units,
            trainingUnits: split.training.count,
            holdoutUnits: split.holdout.count,
            rowsDropped: rowsDropped,
            binaryOutcome: binaryOutcome,
            outcomeSD: Self.standardDeviation(data.outcome),
            arms: (0..<data.arms).map {
                .init(arm: data.armNames[$0], units: Int(counts[$0]), mean: sums[$0] / max(counts[$0], 1))
            }
        )
    }

    /// The sample standard deviation (n − 1).
    public static func standardDeviation(_ x: [Double]) -> Double {
        let mean = x.reduce(0, +) / Double(max(x.count, 1))
        return (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(x.count - 1, 1))).squareRoot()
    }
}
