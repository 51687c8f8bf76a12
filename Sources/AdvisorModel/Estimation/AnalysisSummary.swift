/// Everything the decision stage reads, and nothing per unit: what a post-experiment analysis
/// leaves once its models are fitted and its policies judged. The single-machine analysis
/// builds one in memory and decides from it, `analyze --summary-out` writes it, and the daemon
/// decides from one dropped as `NAME.summary.json` (a run elsewhere, such as the Spark job), so
/// every path shares the decision code (`PostExperimentAnalysis.decide(summary:)`). The format
/// is versioned; every field is defined in EstimatingParameters.md, "The analysis summary".
public struct AnalysisSummary: Sendable, Codable {
    /// What the file says it is, so a JSON file of another kind is told apart at once.
    public static let formatName = "experiment-advisor/analysis-summary"
    /// The version this build writes and reads.
    public static let currentVersion = 1

    public var format = Self.formatName
    public var version = Self.currentVersion
    public var provenance: Provenance
    public var experiment: String
    /// The manifest's threshold, in outcome units (nil: a share of the benchmark's value).
    public var threshold: Double?
    /// The primary outcome's column and direction (the values are oriented: larger is better).
    public var primaryOutcome: OutcomeColumn
    /// Units, split, rows dropped, the outcome's SD and each arm's size and mean, all units.
    public var data: PostExperimentVerdict.DataSummary
    /// Per arm (in `data.arms` order): units in the training split, the design the policies
    /// learned from and the benchmark was picked on.
    public var trainingSizes: [Double]
    /// Index in `data.arms` of the benchmark arm: the best on the training split (among the
    /// arms that keep every guardrail, under guardrails).
    public var bestUniformArm: Int
    /// Every candidate policy judged on the holdout against the benchmark, the T-learner the
    /// estimates come from first.
    public var policies: [PostExperimentVerdict.PolicyResult]
    /// How the recommended policy was chosen (on the validation parts, never the holdout).
    public var policyChoice: PostExperimentVerdict.PolicyChoice
    /// σ̂, ρ̂, ŝ, σ̂_ε with their standard errors, from the first policy's model (the one the
    /// recommended policy acts on).
    public var estimates: ParameterEstimates
    /// The estimates' bootstrap resamples, which carry their sampling error into the predictive
    /// interval, and the m-out-of-n scale of their spread.
    public var estimateReplicates: [ParameterEstimates.Replicate]
    public var estimateReplicateScale: Double
    /// What the fragility checks read beside the policies and the estimates.
    public var fragility: FragilityInputs
    /// The guardrail analysis (empty without guardrails).
    public var guardrails: Guardrails = .init()
    /// Seconds per stage where the analysis ran (not part of the decision).
    public var timings: [String: Double] = [:]

    public init(
        provenance: Provenance,
        experiment: String,
        threshold: Double?,
        primaryOutcome: OutcomeColumn,
        data: PostExperimentVerdict.DataSummary,
        trainingSizes: [Double],
        bestUniformArm: Int,
        policies: [PostExperimentVerdict.PolicyResult],
        policyChoice: PostExperimentVerdict.PolicyChoice,
        estimates: ParameterEstimates,
        fragility: FragilityInputs,
        guardrails: Guardrails = .init(),
        timings: [String: Double] = [:]
    ) {
        self.provenance = provenance
        self.experiment = experiment
        self.threshold = threshold
        self.primaryOutcome = primaryOutcome
        self.data = data
        self.trainingSizes = trainingSizes
        self.bestUniformArm = bestUniformArm
        self.policies = policies
        self.policyChoice = policyChoice
        var estimates = estimates
        self.estimateReplicates = estimates.standardErrors?.replicates ?? []
        self.estimateReplicateScale = estimates.standardErrors?.scale ?? 1
        estimates.standardErrors?.replicates = []
        self.estimates = estimates
        self.fragility = fragility
        self.guardrails = guardrails
        self.timings = timings
    }

    /// The estimates with their replicates attached again, as the prediction stage reads them.
    public var estimatesWithReplicates: ParameterEstimates {
        var e = estimates
        e.standardErrors?.replicates = estimateReplicates
        e.standardErrors?.scale = estimateReplicateScale
        return e
    }

    public var armNames: [String] { data.arms.map(\.arm) }

    /// Where and how the summary was made: the report says so.
    public struct Provenance: Sendable, Codable, Hashable {
        /// What produced it: `experiment-advisor` (one machine) or `spark/advisor_job.py`.
        public var engine: String
        public var engineVersion: String
        /// The data it read (a path or a table), as the producer named it.
        public var input: String
        public var rowsRead: Int
        /// The split seed and shares, so a second run can reproduce the split.
        public var seed: UInt64
        public var holdoutShare: Double
        public var validationShare: Double
        /// Where it ran (a host, or a Spark master URL).
        public var ranOn: String

        public init(
            engine: String,
            engineVersion: String,
            input: String,
            rowsRead: Int,
            seed: UInt64,
            holdoutShare: Double,
            validationShare: Double,
            ranOn: String
        ) {
            self.engine = engine
            self.engineVersion = engineVersion
            self.input = input
            self.rowsRead = rowsRead
            self.seed = seed
            self.holdoutShare = holdoutShare
            self.validationShare = validationShare
            self.ranOn = ranOn
        }

        /// The engine name the single-machine analysis writes.
        public static let singleMachine = "experiment-advisor"
    }

    public struct OutcomeColumn: Sendable, Codable, Hashable {
        public var column: String
        public var largerIsBetter: Bool

        public init(column: String, largerIsBetter: Bool) {
            self.column = column
            self.largerIsBetter = largerIsBetter
        }
    }

    /// The aggregates `Fragility.assess` judges beside the policies and the estimates.
    public struct FragilityInputs: Sendable, Codable, Hashable {
        /// The share of Σ|y| held by the 1% of units with the largest |y|.
        public var topPercentShare: Double
        /// The benchmark arm's mean outcome on the training split, and its SE.
        public var uniformTrainingMean: Double
        public var uniformTrainingStandardError: Double
        /// The benchmark arm's AIPW value on the holdout (the first policy's model), and its SE.
        public var uniformHoldoutMean: Double
        public var uniformHoldoutStandardError: Double

        public init(
            topPercentShare: Double,
            uniformTrainingMean: Double,
            uniformTrainingStandardError: Double,
            uniformHoldoutMean: Double,
            uniformHoldoutStandardError: Double
        ) {
            self.topPercentShare = topPercentShare
            self.uniformTrainingMean = uniformTrainingMean
            self.uniformTrainingStandardError = uniformTrainingStandardError
            self.uniformHoldoutMean = uniformHoldoutMean
            self.uniformHoldoutStandardError = uniformHoldoutStandardError
        }
    }

    /// The guardrail analysis's results (Guardrails.md); empty without guardrails.
    public struct Guardrails: Sendable, Codable {
        public var tradeoff: [PostExperimentVerdict.TradeoffRow] = []
        public var estimates: [PostExperimentVerdict.GuardrailEstimate] = []
        public var excludedArms: [PostExperimentVerdict.ExcludedArm] = []
        /// No arm keeps every guardrail: the benchmark is the one that breaks the least.
        public var noArmKeepsGuardrails = false

        public init(
            tradeoff: [PostExperimentVerdict.TradeoffRow] = [],
            estimates: [PostExperimentVerdict.GuardrailEstimate] = [],
            excludedArms: [PostExperimentVerdict.ExcludedArm] = [],
            noArmKeepsGuardrails: Bool = false
        ) {
            self.tradeoff = tradeoff
            self.estimates = estimates
            self.excludedArms = excludedArms
            self.noArmKeepsGuardrails = noArmKeepsGuardrails
        }
    }
}
