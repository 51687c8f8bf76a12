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
    ///
    /// Under guardrails, `weights[g]` (κ·scale_g, from `tradeoff`) adds each guardrail's
    /// cross-fitted scores to the rewards, and `blackBox` (the guarded T-learner) is what the
    /// distilled tree imitates.
    public static func trees(
        data: ExperimentData,
        split: TLearnerSplit,
        primary: TLearnerFit,
        settings: AnalysisSettings,
        guardrails: GuardrailModels? = nil,
        weights: [Double] = [],
        blackBox: Candidate? = nil,
        shouldStop: () -> Bool = { false }
    ) throws -> [Candidate] {
        var rng = SplitMix64(seed: settings.seed ^ 0x7EE5)
        // The validation parts stay out: the policy choice reads them (`choose`).
        let sample = Self.randomSubset(split.fitUnits, count: settings.policyTreeUnits, rng: &rng)
        /// Cross-fitted ridge scores of the sample for one outcome (the primary's or a guardrail's).
        func crossFitted(_ outcome: ExperimentData) throws -> DoublyRobustScores {
            try CrossFitting.scores(
                data: outcome,
                units: sample,
                model: RidgeOutcomeModel(),
                folds: settings.policyTree.folds,
                validationShare: settings.validationShare,
                seed: settings.seed,
                shouldStop: shouldStop
            )
        }
        let scores = try crossFitted(data)
        if shouldStop() { throw ModelError.stopped }
        let features = data.features.rows(sample)
        let arms = data.arms
        var rewards = (0..<sample.count).map { k in (0..<arms).map { scores.aipw(k, arm: $0) } }
        for (g, weight) in weights.enumerated() where weight != 0 {
            guard let guardrails else { break }
            let extra = try crossFitted(guardrails.data[g])
            for k in 0..<sample.count { for a in 0..<arms { rewards[k][a] += weight * extra.aipw(k, arm: a) } }
        }
        let learned = PolicyTreeSearch(features: features, rewards: rewards, settings: settings.policyTree)
            .search(depth: settings.policyTree.depth)
        if shouldStop() { throw ModelError.stopped }
        // The black box's choices on at most `distillationUnits` of the sample, drawn at random:
        // predicting them costs one model call per arm and unit, and a shallow imitation needs few.
        let imitated = features.rows(
            Self.randomSubset(Array(0..<sample.count), count: Self.distillationUnits, rng: &rng)
        )
        let imitatedArms = try (blackBox?.policy ?? primary.policy).assign(imitated)
        let imitation = imitatedArms.map { arm in (0..<arms).map { $0 == arm ? 1.0 : 0 } }
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
                distills: blackBox?.assignment ?? primary.assignment
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
                },
                gainCurve: PersonalizationCurve.curve(
                    assignment: candidate.assignment,
                    benefit: PersonalizationCurve.benefit(
                        assignment: candidate.assignment,
                        predictions: candidate.predictions ?? candidate.scores.predictions,
                        uniformArm: split.bestUniformArm
                    ),
                    scores: candidate.scores,
                    uniformArm: split.bestUniformArm
                )
            )
        }
    }

    /// Stage 5b, the honest choice: the policy to recommend, picked by its AIPW value on the
    /// training split's validation parts. No outcome model was fitted on those units (the
    /// boosted trees only stop early on them) and no tree was learned from them; the holdout is
    /// never read, so the chosen policy's holdout gain is not the maximum of several noisy
    /// holdout gains (the winner's curse). The scores come from the primary model.
    public static func choose(
        data: ExperimentData,
        split: TLearnerSplit,
        primary: TLearnerFit,
        candidates: [Candidate]
    ) throws -> PostExperimentVerdict.PolicyChoice {
        try choose(
            validation: validationScores(data: data, split: split, primary: primary, guardrails: nil),
            primary: primary,
            candidates: candidates
        )
    }

    /// The choice on scores already computed. Under guardrails, only the candidates that keep
    /// every guardrail there compete (all of them when none does: the verdict then says which
    /// guardrail blocks).
    public static func choose(
        validation: ValidationScores,
        primary: TLearnerFit,
        candidates: [Candidate],
        guardrails: GuardrailModels? = nil,
        data: ExperimentData? = nil,
        confidence: Double = 0.95
    ) throws -> PostExperimentVerdict.PolicyChoice {
        let units = validation.units
        let scores = validation.primary
        var keeps = [Bool](repeating: true, count: candidates.count)
        let values = try candidates.enumerated().map { c, candidate in
            // The primary's own policy is the argmax of the predictions already made here.
            let assignment =
                candidate.policy.name == primary.name
                ? TLearnerPolicy.argmax(validation.primaryPredictions, count: units.count)
                : try candidate.policy.assign(validation.features)
            if let guardrails, let data {
                keeps[c] =
                    keepsGuardrails(
                        assignment,
                        validation: validation,
                        guardrails: guardrails,
                        benchmark: primary.bestUniformArm,
                        data: data,
                        confidence: confidence
                    ).pass
            }
            return assignment.enumerated().reduce(0.0) { $0 + scores.aipw($1.offset, arm: $1.element) }
                / Double(max(units.count, 1))
        }
        let eligible = keeps.contains(true) ? values.indices.filter { keeps[$0] } : Array(values.indices)
        let chosen = eligible.max { values[$0] < values[$1] } ?? 0
        return .init(
            policy: candidates[chosen].policy.name,
            units: units.count,
            values: zip(candidates, values).map { .init(policy: $0.policy.name, value: $1) }
        )
    }

    /// Stage 6a: how much the primary model moves with its training sample, per arm (the
    /// variance part of σ̂_ε; ModelErrorEstimate), from two half-size refits per arm.
    public static func modelVariance(
        data: ExperimentData,
        split: TLearnerSplit,
        model: any OutcomeModel,
        shouldStop: () -> Bool = { false }
    ) throws -> [Double] {
        try ModelErrorEstimate.variance(data: data, split: split, model: model, shouldStop: shouldStop)
    }

    /// Stage 6b: σ̂, ρ̂, ŝ, σ̂_ε from the primary fit's holdout predictions (section 5.2), σ̂_ε
    /// as the model's error when `modelVariance` is given.
    public static func estimate(
        data: ExperimentData,
        fit: TLearnerFit,
        settings: AnalysisSettings,
        modelVariance: [Double]? = nil
    )
        -> ParameterEstimates
    {
        ParameterEstimates.estimate(
            data: data,
            holdout: fit.holdout,
            predictions: fit.predictions,
            bootstrap: settings.estimateBootstrap,
            seed: settings.seed,
            modelVariance: modelVariance
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
    /// split's arm sizes, with σ̂_ε (and, beside it, the paper's and the within-cell one), and
    /// its 90% interval: the engine run again at each bootstrap resample of the estimates, so
    /// their sampling error reaches the prediction. `realized` is the gain of `policy`, the
    /// recommended one, which it is compared with; `modelsOf` names the T-learner whose models
    /// the estimates came from (the policy itself unless it is a tree or a guarded T-learner;
    /// EstimatingParameters.md, "The predictive interval").
    public static func predictedGain(
        arms: Int,
        design: Design,
        estimates: ParameterEstimates,
        realized: PostExperimentVerdict.RealizedGain,
        policy: String,
        modelsOf: String? = nil,
        settings: AnalysisSettings
    ) throws(ModelError) -> PostExperimentVerdict.PredictedGain {
        let engine = GainEngine(monteCarloDraws: 400, seed: settings.seed)
        func predicted(
            _ e: ParameterEstimates,
            s: Double? = nil,
            eps: Double,
            design: SampleDesign?
        ) throws(ModelError) -> GainEstimate {
            var parameters = modelParameters(e, arms: arms, predictionError: eps)
            if let s { parameters.s = s }
            return try engine.gain(parameters, means: .normal, design: design)
        }
        let central = try predicted(estimates, eps: estimates.sigmaEpsilon, design: design.usable)
        let paper = try predicted(estimates, eps: estimates.predictionError, design: design.usable)
        let refined = try predicted(estimates, eps: estimates.predictionErrorRefined, design: design.usable)
        // The estimates' sampling spread: σ̂, ρ̂, σ̂_ε move together in each resample of the
        // holdout; ŝ (from all units' arm means) moves independently by its own SE. Each
        // resample is solved for equal arms at the harmonic mean size (closed form, no Monte
        // Carlo): the spread is a difference between nearby parameters, which the arms'
        // unequal sizes barely move.
        var spread = 0.0
        if let errors = estimates.standardErrors, errors.replicates.count >= 2 {
            var rng = SplitMix64(seed: settings.seed ^ 0x1A7E_57A1)
            let balanced = design.usable.map { d in
                let harmonic = Double(d.unitsPerArm.count) / d.unitsPerArm.reduce(0) { $0 + 1 / $1 }
                return SampleDesign(
                    unitsPerArm: Array(repeating: harmonic, count: d.unitsPerArm.count),
                    outcomeSD: d.outcomeSD
                )
            }
            var gains: [Double] = []
            for r in errors.replicates {
                var e = estimates
                e.sigma = r.sigma
                e.rho = r.rho
                let s = max(0, estimates.s + errors.s * rng.nextStandardNormal())
                gains.append(try predicted(e, s: s, eps: r.sigmaEpsilon, design: balanced).gain)
            }
            let mean = gains.reduce(0, +) / Double(gains.count)
            let variance = gains.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(gains.count - 1)
            spread = errors.scale * variance.squareRoot()
        }
        let standardError = (spread * spread + central.standardError * central.standardError).squareRoot()
        let z = Normal.quantile(0.5 + PostExperimentVerdict.PredictedGain.coverage / 2)
        let joint = (standardError * standardError + realized.standardError * realized.standardError).squareRoot()
        return .init(
            gain: central.gain,
            standardError: standardError,
            lower: central.gain - z * standardError,
            upper: central.gain + z * standardError,
            gainWithPaperPredictionError: paper.gain,
            gainWithRefinedPredictionError: refined.gain,
            monteCarloStandardError: central.standardError,
            policy: policy,
            estimatesFrom: modelsOf ?? policy,
            realizedGain: realized.gain,
            realizedStandardError: realized.standardError,
            agrees: abs(realized.gain - central.gain) <= z * joint
        )
    }

    /// Stage 7 continued: a prediction for a next test designed from the estimates as fixed
    /// parameters, at the same arm sizes (its levers say what to change).
    public static func nextTest(
        experiment: String,
        armNames: [String],
        design: Design,
        estimates: ParameterEstimates,
        uniformValue: Double,
        threshold: Double,
        settings: AnalysisSettings,
        prediction: PredictionSettings
    ) throws(ModelError) -> Prediction {
        var proposal = nextProposal(
            experiment: experiment,
            armNames: armNames,
            design: design,
            estimates: estimates,
            uniformValue: uniformValue,
            threshold: threshold,
            settings: settings
        )
        let p = modelParameters(estimates, arms: armNames.count, predictionError: estimates.sigmaEpsilon)
        proposal.armNames = nil
        proposal.sampleSize = .eachArm(design.full.unitsPerArm)
        proposal.priors = .init(
            sigma: .fixed(p.sigma),
            rho: .fixed(p.rho),
            s: .fixed(p.s),
            predictionError: .fixed(p.predictionError)
        )
        return try Predictor(settings: prediction).predict(proposal)
    }

    /// The stages from the split to the prediction for one outcome model, as the σ_ε study and
    /// the interval benchmark run them against known truth (the analyzer adds the other
    /// candidates, the choice and the verdict around the same calls).
    public static func predictOne(
        data: ExperimentData,
        model: any OutcomeModel,
        name: String,
        settings: AnalysisSettings
    ) throws -> (
        split: TLearnerSplit, fit: TLearnerFit, estimates: ParameterEstimates,
        realized: PostExperimentVerdict.RealizedGain, predicted: PostExperimentVerdict.PredictedGain
    ) {
        let split = split(data, settings: settings)
        guard let fit = try fitOutcomeModels(split: split, models: [(name, model)]).first else {
            throw ModelError.inconsistent("no outcome model was fitted")
        }
        let variance = try modelVariance(data: data, split: split, model: model)
        let estimates = estimate(data: data, fit: fit, settings: settings, modelVariance: variance)
        let results = evaluate(
            data: data,
            split: split,
            candidates: policies(data: data, fits: [fit]),
            covariateNames: [],
            settings: settings
        )
        let realized = realizedGain(results[0], confidence: settings.confidence)
        let predicted = try predictedGain(
            arms: data.arms,
            design: design(data: data, split: split),
            estimates: estimates,
            realized: realized,
            policy: name,
            settings: settings
        )
        return (split, fit, estimates, realized, predicted)
    }

    /// The levers with one figure for "now": the verdict's predicted gain, each lever's gain after
    /// the change moved by the same amount (the difference the lever makes is the predictor's;
    /// the two engines agree to their Monte Carlo error, and a report must not show two values).
    static func anchored(_ next: Prediction, now: Double) -> Prediction {
        var next = next
        next.levers = next.levers.map { lever in
            var lever = lever
            lever.gainAfter += now - lever.gainNow
            lever.gainNow = now
            return lever
        }
        return next
    }

    /// The follow-up test, ready to run: this test's arms and the sizes its policy learned from
    /// (the training split; none when the arms are too unequal for the finite-sample engine,
    /// as in the verdict's own prediction), and priors that are the estimates with their
    /// uncertainty, each a normal with the estimate as mean and its bootstrap SE as sd (truncated
    /// to the valid range; a number when no SE was measured).
    public static func nextProposal(
        experiment: String,
        armNames: [String],
        design: Design,
        estimates: ParameterEstimates,
        uniformValue: Double,
        threshold: Double,
        settings: AnalysisSettings
    ) -> Proposal {
        let p = modelParameters(estimates, arms: armNames.count, predictionError: estimates.sigmaEpsilon)
        let errors = estimates.standardErrors
        func prior(_ value: Double, _ error: Double?) -> Prior {
            guard let error, error > 0, error.isFinite else { return .fixed(value) }
            return .truncatedNormal(mean: value, sd: error, min: nil, max: nil)
        }
        return Proposal(
            experiment: experiment,
            armCandidates: [armNames.count],
            armNames: armNames,
            baseline: uniformValue,
            sampleSize: design.usable.map { .eachArm($0.unitsPerArm) },
            outcomeSD: design.full.outcomeSD,
            priors: .init(
                sigma: prior(p.sigma, errors?.sigma),
                rho: prior(p.rho, errors?.rho),
                s: prior(p.s, errors?.s),
                predictionError: prior(p.predictionError, errors?.modelError)
            ),
            armMeans: .normal,
            threshold: .absolute(threshold),
            seed: settings.seed
        )
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

    /// The design a prediction is made for: the training split's arm sizes (each at least 1)
    /// with the outcome's SD; `usable` is nil when the arms are further apart in size than the
    /// engine models (then the prediction is for an infinite population).
    public typealias Design = (full: SampleDesign, usable: SampleDesign?)

    public static func design(trainingSizes: [Double], outcomeSD: Double) -> Design {
        let sizes = trainingSizes.map { max($0, 1) }
        let full = SampleDesign(unitsPerArm: sizes, outcomeSD: outcomeSD)
        let ratio = (sizes.max() ?? 1) / (sizes.min() ?? 1)
        return (full, ratio <= SampleDesign.maximumSizeRatio ? full : nil)
    }

    static func design(data: ExperimentData, split: TLearnerSplit) -> Design {
        design(trainingSizes: split.trainingSizes, outcomeSD: PostExperimentAnalyzer.standardDeviation(data.outcome))
    }

    /// Stage 8, the verdict rule (EstimatingParameters.md, "The verdict rule"): personalize when
    /// the chosen policy's interval is above zero and its gain reaches the threshold; ship the
    /// best arm when no learned policy's interval (`all`) reaches the threshold (a chosen policy
    /// that personalizes little proves nothing about the others); otherwise inconclusive.
    ///
    /// Under guardrails, `all` holds only the policies that do not fail one on the holdout, and
    /// `chosenDeployable` says whether the chosen policy does not: a policy that breaks a
    /// guardrail could not be deployed whatever it gains, so it cannot keep the verdict from
    /// shipping the benchmark (which keeps them).
    public static func decide(
        _ realized: PostExperimentVerdict.RealizedGain,
        all: [PostExperimentVerdict.RealizedGain],
        threshold: Double,
        chosenDeployable: Bool = true
    )
        -> PostExperimentVerdictKind
    {
        if realized.lower > 0 && realized.gain >= threshold && chosenDeployable { return .personalize }
        if ((chosenDeployable ? [realized] : []) + all).allSatisfy({ $0.upper < threshold }) { return .shipUniform }
        return .inconclusive
    }

    /// The proposal's central priors against the estimates (σ_ε against the model's error).
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
            (.predictionError, prior.predictionError, estimates.sigmaEpsilon),
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
    /// `teamProposal`: that proposal itself, when known: its threshold and baseline carry over.
    /// `shouldStop` is polled before every per-arm model and stage, so a caller that gave up (a
    /// time limit, shutdown) does not leave the models fitting; it then throws `ModelError.stopped`.
    /// `progress` hears each stage as it starts and each model as it is about to be fitted.
    /// The verdict, the policy it recommends deploying (the verdict's policy when it says
    /// personalize, else the best uniform arm for everyone) and the summary it was decided from.
    public func analyze(
        experiment: String,
        data: ExperimentData,
        covariateNames: [String],
        binaryOutcome: Bool,
        rowsDropped: Int = 0,
        duplicateUnitIDs: Int = 0,
        threshold manifestThreshold: Double? = nil,
        models: [PostExperimentAnalysis.NamedModel],
        earlierPriors: ModelParameters? = nil,
        teamProposal: Proposal? = nil,
        primaryOutcome: (column: String, largerIsBetter: Bool) = ("outcome", true),
        shouldStop: () -> Bool = { false },
        progress: (AnalysisProgress) -> Void = { _ in }
    ) throws -> (verdict: PostExperimentVerdict, recommended: any Policy, summary: AnalysisSummary) {
        typealias Stage = PostExperimentAnalysis
        // Seconds per stage, for the report (the standard library's monotonic clock; no I/O).
        var timings: [String: Double] = [:]
        let clock = ContinuousClock()
        // Every stage polls `shouldStop` once before each model it fits, so counting the polls
        // counts the models: the stages report progress without a second parameter each.
        var current = AnalysisProgress(stage: "split")
        func checkpoint() -> Bool {
            current.done += 1
            progress(current)
            return shouldStop()
        }
        func timed<T>(_ stage: String, total: Int? = nil, _ body: () throws -> T) rethrows -> T {
            current = AnalysisProgress(stage: stage, total: total)
            progress(current)
            let start = clock.now
            defer {
                let elapsed = clock.now - start
                timings[stage, default: 0] +=
                    Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
            return try body()
        }
        var split = timed("split") { Stage.split(data, settings: settings) }
        // Under guardrails the benchmark is the best arm that keeps them (Guardrails.md).
        let benchmark =
            data.guardrails.isEmpty
            ? nil : Stage.guardedBenchmark(data: data, split: split, confidence: settings.confidence)
        if let benchmark { split.bestUniformArm = benchmark.arm }
        let fits = try timed("outcome_models", total: data.arms * models.count) {
            try Stage.fitOutcomeModels(split: split, models: models, shouldStop: checkpoint)
        }
        guard let primary = fits.first else { throw ModelError.inconsistent("no outcome model to analyze with") }
        if shouldStop() { throw ModelError.stopped }
        let guardrails =
            benchmark == nil
            ? nil
            : try timed("guardrail_models") {
                try Stage.fitGuardrails(data: data, split: split, settings: settings, shouldStop: checkpoint)
            }
        let validation = try timed("policy_choice") {
            try Stage.validationScores(data: data, split: split, primary: primary, guardrails: guardrails)
        }
        let tradeoff =
            guardrails.map {
                Stage.tradeoff(
                    data: data,
                    validation: validation,
                    guardrails: $0,
                    benchmark: split.bestUniformArm,
                    confidence: settings.confidence
                )
            } ?? []
        // The guarded policies exist only when the primary alone breaks a guardrail (κ > 0).
        let weights = tradeoff.first { $0.chosen && $0.weight > 0 }?.guardrailWeights ?? []
        var candidates = Stage.policies(data: data, fits: fits)
        var guarded: PostExperimentAnalysis.Candidate?
        if let guardrails, !weights.isEmpty {
            var combined = primary.predictions
            for (g, fit) in guardrails.fits.enumerated() {
                for a in combined.indices {
                    for k in combined[a].indices { combined[a][k] += weights[g] * fit.predictions[a][k] }
                }
            }
            let policy = TLearnerPolicy(
                name: primary.name + "-guarded",
                models: primary.models,
                terms: guardrails.fits.enumerated().map {
                    .init(column: guardrails.guardrails[$0].column, weight: weights[$0], models: $1.models)
                }
            )
            guarded = .init(
                policy: policy,
                assignment: TLearnerPolicy.argmax(combined, count: primary.holdout.count),
                scores: candidates[0].scores,
                predictions: combined
            )
            candidates += guarded.map { [$0] } ?? []
        }
        if settings.policyTree.depth > 0 {
            candidates += try timed("policy_tree") {
                try Stage.trees(
                    data: data,
                    split: split,
                    primary: primary,
                    settings: settings,
                    guardrails: guardrails,
                    weights: weights,
                    blackBox: guarded,
                    shouldStop: checkpoint
                )
            }
        }
        let choice = try timed("policy_choice") {
            try Stage.choose(
                validation: validation,
                primary: primary,
                candidates: candidates,
                guardrails: guardrails,
                data: data,
                confidence: settings.confidence
            )
        }
        let chosen = candidates.firstIndex { $0.policy.name == choice.policy } ?? 0
        var results = timed("evaluation") {
            Stage.evaluate(
                data: data,
                split: split,
                candidates: candidates,
                covariateNames: covariateNames,
                settings: settings
            )
        }
        var guardrailEstimates: [PostExperimentVerdict.GuardrailEstimate] = []
        if let guardrails {
            let outcomes = timed("evaluation") {
                Stage.guardrailOutcomes(
                    data: data,
                    split: split,
                    candidates: candidates,
                    guardrails: guardrails,
                    settings: settings
                )
            }
            for c in results.indices {
                results[c].outcomes = outcomes[c]
                // Under weights every candidate after the plain T-learners (the guarded one, the
                // trees) was learned with them.
                if !weights.isEmpty && c >= fits.count {
                    results[c].guardrailWeights = weights
                }
            }
            guardrailEstimates = timed("estimates") {
                Stage.guardrailEstimates(guardrails: guardrails, primary: primary, settings: settings)
            }
        }
        if shouldStop() { throw ModelError.stopped }
        // The estimates (and so the prediction) come from the models the recommended policy acts
        // on: its own T-learner's, or the primary's for a tree or the guarded T-learner (both
        // follow the primary model). That T-learner is listed first, as the summary says.
        let source = fits.firstIndex { $0.name == choice.policy } ?? 0
        if let row = results.firstIndex(where: { $0.name == fits[source].name }), row != 0 {
            results.insert(results.remove(at: row), at: 0)
        }
        let variance = try timed("model_error") {
            try Stage.modelVariance(data: data, split: split, model: models[source].model, shouldStop: checkpoint)
        }
        if shouldStop() { throw ModelError.stopped }
        let estimates = timed("estimates") {
            Stage.estimate(data: data, fit: fits[source], settings: settings, modelVariance: variance)
        }
        let (trainingCount, trainingSum, trainingSquares) = data.armTotals(of: split.training)
        let u = split.bestUniformArm
        let uniformTraining = Fragility.meanAndError(
            count: trainingCount[u],
            sum: trainingSum[u],
            squares: trainingSquares[u]
        )
        let uniformHoldout = Fragility.meanAndError(
            (0..<candidates[0].scores.count).map {
                candidates[0].scores.aipw($0, arm: u)
            }
        )
        let summary = AnalysisSummary(
            provenance: .init(
                engine: AnalysisSummary.Provenance.singleMachine,
                engineVersion: "",
                input: "",
                rowsRead: data.units + rowsDropped,
                seed: settings.seed,
                holdoutShare: settings.holdoutShare,
                validationShare: settings.validationShare,
                ranOn: ""
            ),
            experiment: experiment,
            threshold: manifestThreshold,
            primaryOutcome: .init(column: primaryOutcome.column, largerIsBetter: primaryOutcome.largerIsBetter),
            data: Self.summary(
                data,
                split: split,
                rowsDropped: rowsDropped,
                duplicateUnitIDs: duplicateUnitIDs,
                binaryOutcome: binaryOutcome
            ),
            trainingSizes: split.trainingSizes,
            bestUniformArm: u,
            policies: results,
            policyChoice: choice,
            estimates: estimates,
            fragility: .init(
                topPercentShare: Fragility.topShare(data.outcome),
                uniformTrainingMean: uniformTraining.mean,
                uniformTrainingStandardError: uniformTraining.standardError,
                uniformHoldoutMean: uniformHoldout.mean,
                uniformHoldoutStandardError: uniformHoldout.standardError
            ),
            guardrails: .init(
                tradeoff: tradeoff,
                estimates: guardrailEstimates,
                excludedArms: (benchmark?.excluded ?? []).map {
                    .init(arm: data.armNames[$0.arm], guardrail: data.guardrails[$0.guardrail].column)
                },
                noArmKeepsGuardrails: benchmark.map { !$0.admissible } ?? false
            ),
            timings: timings
        )
        var verdict = try timed("prediction") {
            try Stage.verdict(
                from: summary,
                settings: settings,
                prediction: prediction,
                earlierPriors: earlierPriors,
                teamProposal: teamProposal
            )
        }
        verdict.timings = timings
        let uniform = UniformPolicy(name: "uniform", arm: split.bestUniformArm)
        return (verdict, verdict.verdict == .personalize ? candidates[chosen].policy : uniform, summary)
    }

    static func summary(
        _ data: ExperimentData,
        split: TLearnerSplit,
        rowsDropped: Int,
        duplicateUnitIDs: Int = 0,
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
            duplicateUnitIds: duplicateUnitIDs,
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
