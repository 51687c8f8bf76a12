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
    /// The policy tree and the distilled tree (depth 0: none).
    public var policyTree = PolicyTreeSettings()
    /// At most this many training units (a seeded sample) feed the tree search.
    public var policyTreeUnits = 100_000

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

/// The post-experiment verdict as data: decisions and numbers, no sentences (the report layer
/// words them). Every figure is defined in EstimatingParameters.md.
public struct PostExperimentVerdict: Sendable, Encodable {
    public var experiment: String
    public var verdict: PostExperimentVerdictKind
    /// Why the evidence is fragile, if it is (then the verdict is not personalize).
    public var fragility: [Fragility]
    public var bestUniformArm: String
    /// The policy the verdict is about: the one chosen on units the holdout never saw.
    public var policy: String
    /// How it was chosen.
    public var policyChoice: PolicyChoice
    public var threshold: Double
    /// Whose threshold it is, so the report can say the team's own was used.
    public var thresholdSource: ThresholdSource = .analysisDefault(share: 0.01)
    /// The proposal seen before the data, if any: the next proposal keeps its baseline and plan.
    public var teamProposal: String? = nil
    /// Two-sided confidence of the realized-gain interval.
    public var confidence: Double
    public var realized: RealizedGain
    public var predicted: PredictedGain
    public var estimates: ParameterEstimates
    public var policies: [PolicyResult]
    /// The prediction for a next test designed from the estimates: its levers and its advice.
    public var nextTest: Prediction
    /// The follow-up test's proposal, priors from the estimates with their uncertainty (written
    /// beside the report as `STAMP-next-proposal.yaml`).
    public var nextProposal: Proposal
    /// Each central prior of the proposal seen first, against its estimate.
    public var priorComparison: [PriorComparison]
    public var data: DataSummary
    public var notes: [VerdictNote]
    /// Seconds per stage of the analysis (split, outcome_models, policy_tree, evaluation,
    /// estimates, prediction): where the time went, not part of the verdict.
    public var timings: [String: Double] = [:]
    /// The recommended policy on every outcome against the benchmark: the primary first, then
    /// each guardrail (Guardrails.md).
    public var outcomes: [OutcomeResult] = []
    /// The trade-off between the primary gain and the guardrails on the validation parts, one
    /// row per guardrail weight tried (empty without guardrails).
    public var tradeoff: [TradeoffRow] = []
    /// Per guardrail: its σ̂, ρ̂, ŝ, σ̂_ε and how its predicted benefit moves with the primary's.
    public var guardrailEstimates: [GuardrailEstimate] = []
    /// Arms that could not be the benchmark because they break a guardrail.
    public var excludedArms: [ExcludedArm] = []
    /// Where the analysis ran and what it read (the summary's provenance).
    public var provenance: AnalysisSummary.Provenance? = nil

    /// Every guardrail passes for the recommended policy (true without guardrails).
    public var guardrailsPass: Bool { outcomes.allSatisfy { $0.role == .primary || $0.status == .pass } }
    /// The first guardrail that does not pass, if any.
    public var blockingGuardrail: OutcomeResult? {
        outcomes.first { $0.role == .guardrail && $0.status != .pass }
    }

    /// The levers for the next test.
    public var levers: [Lever] { nextTest.levers }

    enum CodingKeys: String, CodingKey {
        case experiment, verdict, fragility, bestUniformArm, policy, policyChoice, threshold, thresholdSource
        case teamProposal, realized, predicted,
            estimates, policies, levers
        case data, timings, outcomes, guardrailsPass, tradeoff, guardrailEstimates, excludedArms, provenance
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(experiment, forKey: .experiment)
        try c.encode(verdict, forKey: .verdict)
        try c.encode(fragility, forKey: .fragility)
        try c.encode(bestUniformArm, forKey: .bestUniformArm)
        try c.encode(policy, forKey: .policy)
        try c.encode(policyChoice, forKey: .policyChoice)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(thresholdSource, forKey: .thresholdSource)
        try c.encodeIfPresent(teamProposal, forKey: .teamProposal)
        try c.encode(realized, forKey: .realized)
        try c.encode(predicted, forKey: .predicted)
        try c.encode(estimates, forKey: .estimates)
        try c.encode(policies, forKey: .policies)
        try c.encode(levers, forKey: .levers)
        try c.encode(data, forKey: .data)
        try c.encode(timings, forKey: .timings)
        try c.encode(outcomes, forKey: .outcomes)
        try c.encode(guardrailsPass, forKey: .guardrailsPass)
        try c.encode(tradeoff, forKey: .tradeoff)
        try c.encode(guardrailEstimates, forKey: .guardrailEstimates)
        try c.encode(excludedArms, forKey: .excludedArms)
        try c.encodeIfPresent(provenance, forKey: .provenance)
    }

    /// Where the verdict's threshold came from: a manifest's explicit one wins over the proposal's,
    /// which wins over the analysis default (a share of the best arm's value).
    public enum ThresholdSource: Sendable, Hashable, Encodable {
        case analysisDefault(share: Double)
        case manifest
        /// The proposal seen before the data; `relative`: its share of the proposal's baseline.
        case proposal(name: String, relative: Double?, baseline: Double)

        enum CodingKeys: String, CodingKey { case kind, share, proposal, relative, baseline }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .analysisDefault(let share):
                try c.encode("analysis-default", forKey: .kind)
                try c.encode(share, forKey: .share)
            case .manifest:
                try c.encode("manifest", forKey: .kind)
            case let .proposal(name, relative, baseline):
                try c.encode("proposal", forKey: .kind)
                try c.encode(name, forKey: .proposal)
                try c.encodeIfPresent(relative, forKey: .relative)
                try c.encode(baseline, forKey: .baseline)
            }
        }
    }

    public enum OutcomeRole: String, Sendable, Hashable, Codable {
        case primary, guardrail
    }

    /// For a guardrail: non-inferior (`pass`), worse by more than the allowed loss (`fail`), or
    /// not yet told apart. For the primary: its gain clears the threshold, cannot, or neither.
    public enum OutcomeStatus: String, Sendable, Hashable, Codable {
        case pass, fail, inconclusive
    }

    /// A policy's change on one outcome against the benchmark arm on the holdout, as measured
    /// (not oriented): a guardrail where smaller is better passes when its rise stays below
    /// `maxLoss`.
    public struct OutcomeResult: Sendable, Hashable, Codable {
        public var column: String
        public var role: OutcomeRole
        public var largerIsBetter: Bool
        /// AIPW change, its bootstrap SE and the `confidence` interval.
        public var change: Double
        public var standardError: Double
        public var lower: Double
        public var upper: Double
        public var ipwChange: Double
        /// The benchmark arm's value on this outcome.
        public var benchmarkValue: Double
        /// The loss allowed, in the outcome's units (nil for the primary).
        public var maxLoss: Double?
        public var status: OutcomeStatus
    }

    /// One guardrail weight κ: the T-learner's argmax of primary + Σ κ·scale_g·guardrail_g on
    /// the validation parts.
    public struct TradeoffRow: Sendable, Hashable, Codable {
        public var weight: Double
        /// κ·scale_g per guardrail: the weight each oriented guardrail prediction gets.
        public var guardrailWeights: [Double]
        public var primaryGain: Double
        /// Each guardrail's change against the benchmark, as measured.
        public var guardrailChanges: [Double]
        public var guardrailsPass: Bool
        /// The weight the guarded policies use.
        public var chosen: Bool
    }

    public struct GuardrailEstimate: Sendable, Hashable, Codable {
        public var column: String
        public var sigma: Double
        public var rho: Double
        public var s: Double
        public var predictionError: Double
        /// corr over holdout units of the guardrail's predicted benefit with the primary's (both
        /// oriented: negative means the units that gain most on the primary lose most here).
        public var benefitCorrelation: Double
    }

    public struct ExcludedArm: Sendable, Hashable, Codable {
        public var arm: String
        public var guardrail: String
    }

    /// A central prior next to its estimate. A prior is optimistic when it points to more gain
    /// than the data (`ModelParameter.gainRisesWithValue`); it matches when the two differ by at
    /// most 20% (0.1 for ρ).
    public struct PriorComparison: Sendable, Hashable {
        public enum Assessment: Sendable, Hashable { case matched, optimistic, pessimistic }
        public var parameter: ModelParameter
        public var prior: Double
        public var estimate: Double
        public var assessment: Assessment
    }

    /// What the reader should know about the evidence.
    public enum VerdictNote: Sendable, Hashable {
        /// Some quantile cells hold fewer than 30 holdout units: σ̂ and ρ̂ are noisy.
        case sparseCells(smallest: Int)
        /// The benchmark arm was chosen on the training split, the policies judged on the holdout.
        case split(training: Int, holdout: Int)
        /// Rows repeated a unit_id read earlier.
        case duplicateUnitIDs(rows: Int)
        /// No arm keeps every guardrail against its reference; the benchmark breaks the least.
        case noArmKeepsGuardrails(benchmark: String)
        /// No guardrail weight tried kept every guardrail on the validation parts.
        case noWeightKeepsGuardrails
    }

    /// The recommended policy's choice: the candidates' AIPW values on the training split's
    /// validation parts (`units` of them), the highest chosen.
    public struct PolicyChoice: Sendable, Codable {
        public var policy: String
        public var units: Int
        public var values: [Value]

        public struct Value: Sendable, Codable {
            public var policy: String
            public var value: Double
        }
    }

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
        /// The share of the predictive interval.
        public static let coverage = 0.9
        /// The gain engine's finite-sample prediction from the estimates, with σ̂_ε the model's error.
        public var gain: Double
        /// The prediction's own uncertainty: the estimates' sampling error carried through the
        /// engine, and its Monte Carlo error.
        public var standardError: Double
        /// The 90% interval, gain ∓ 1.645 standard errors.
        public var lower: Double
        public var upper: Double
        /// The same with the paper's σ_ε (outcome noise counted as model error).
        public var gainWithPaperPredictionError: Double
        /// The same with the within-cell σ_ε (all within-cell variance counted as outcome noise).
        public var gainWithRefinedPredictionError: Double
        public var monteCarloStandardError: Double
        /// The policy the prediction is about (the recommended one, `PostExperimentVerdict.policy`)
        /// and its realized holdout gain, which the prediction is compared with.
        public var policy: String
        /// The T-learner whose outcome models the estimates (σ̂_ε their error) come from: the
        /// policy itself, or the model a tree or a guarded T-learner follows.
        public var estimatesFrom: String
        public var realizedGain: Double
        public var realizedStandardError: Double
        /// Realized and predicted are compatible: they differ by at most 1.645 joint standard
        /// errors (√(SE_predicted² + SE_realized²); the two are independent).
        public var agrees: Bool
    }

    public struct PolicyResult: Sendable, Codable {
        public var name: String
        public var ipw: PolicyComparison
        public var aipw: PolicyComparison
        public var armShares: [ArmShare]
        /// Covariates whose effect differs most between arms: what makes the policy choose.
        public var drivers: [Driver]
        /// For a tree policy: its depth, its rules, and for a distilled tree its fidelity.
        public var tree: TreeSummary?
        /// Its change on each guardrail against the benchmark (empty without guardrails).
        public var outcomes: [OutcomeResult] = []
        /// The guardrail weights its scores or predictions combined (nil: the primary alone).
        public var guardrailWeights: [Double]? = nil
        /// Its gain over the uniform arm as the share of units it personalizes grows (units
        /// ranked by predicted benefit; `PersonalizationCurve`).
        public var gainCurve: [PersonalizationCurve.Point] = []

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(ipw, forKey: .ipw)
            try c.encode(aipw, forKey: .aipw)
            try c.encode(armShares, forKey: .armShares)
            try c.encode(drivers, forKey: .drivers)
            try c.encodeIfPresent(tree?.depth, forKey: .depth)
            try c.encodeIfPresent(tree?.rules, forKey: .rules)
            try c.encodeIfPresent(tree?.fidelity, forKey: .fidelity)
            try c.encode(outcomes, forKey: .outcomes)
            try c.encodeIfPresent(guardrailWeights, forKey: .guardrailWeights)
            try c.encode(gainCurve, forKey: .gainCurve)
        }

        enum CodingKeys: String, CodingKey {
            case name, ipw, aipw, armShares, drivers, depth, rules, fidelity, outcomes, guardrailWeights, gainCurve
        }
    }

    public struct TreeSummary: Sendable, Hashable {
        public var depth: Int
        public var rules: [PolicyRule]
        /// The share of holdout units where the distilled tree picks the black box's arm.
        public var fidelity: Double?
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
        /// Rows whose unit_id repeats an earlier one.
        public var duplicateUnitIds: Int
        public var binaryOutcome: Bool
        public var outcomeSD: Double
        public var arms: [ArmSummary]

        // `outcomeSd`, so snake case reads back (`outcome_sd` → `outcomeSd`) as it was written.
        enum CodingKeys: String, CodingKey {
            case units, trainingUnits, holdoutUnits, rowsDropped, duplicateUnitIds, binaryOutcome, arms
            case outcomeSD = "outcomeSd"
        }
    }

    public struct ArmSummary: Sendable, Codable {
        public var arm: String
        public var units: Int
        public var mean: Double
    }
}

extension PostExperimentVerdict.PolicyResult {
    /// Read back from a summary (AnalysisSummary), the tree's fields gathered again.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        ipw = try c.decode(PolicyComparison.self, forKey: .ipw)
        aipw = try c.decode(PolicyComparison.self, forKey: .aipw)
        armShares = try c.decode([PostExperimentVerdict.ArmShare].self, forKey: .armShares)
        drivers = try c.decodeIfPresent([PostExperimentVerdict.Driver].self, forKey: .drivers) ?? []
        if let depth = try c.decodeIfPresent(Int.self, forKey: .depth) {
            tree = PostExperimentVerdict.TreeSummary(
                depth: depth,
                rules: try c.decodeIfPresent([PolicyRule].self, forKey: .rules) ?? [],
                fidelity: try c.decodeIfPresent(Double.self, forKey: .fidelity)
            )
        }
        outcomes = try c.decodeIfPresent([PostExperimentVerdict.OutcomeResult].self, forKey: .outcomes) ?? []
        guardrailWeights = try c.decodeIfPresent([Double].self, forKey: .guardrailWeights)
        gainCurve = try c.decodeIfPresent([PersonalizationCurve.Point].self, forKey: .gainCurve) ?? []
    }
}
