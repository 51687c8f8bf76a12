/// A validated proposal: everything the predictor needs, already checked. The file format and
/// its error messages live in AdvisorReports; this is the meaning.
public struct Proposal: Sendable, Hashable, Codable {
    /// The team's experiment id (used in report paths and journal fields).
    public var experiment: String
    /// Arm count, or several candidate counts the team is choosing between.
    public var armCandidates: [Int]
    /// Arm names, when the proposal lists them.
    public var armNames: [String]?
    /// Typical outcome level of an arm (M); gains are absolute, relative gains divide by it.
    public var baseline: Double
    /// Planned sample size; nil for an infinite-population prediction.
    public var sampleSize: SampleSize?
    /// SD of one unit's outcome within an arm; needed with a sample size.
    public var outcomeSD: Double?
    /// A 0/1 outcome (its gains read as percentage points); nil when the outcome is not described.
    public var binaryOutcome: Bool?
    public var priors: Priors
    public var armMeans: ArmMeansDistribution
    public var threshold: Threshold
    /// Fixes every random draw of the report.
    public var seed: UInt64?
    /// Another study's parameters, for the counterfactual swap of Table 5.
    public var comparison: Comparison?

    public init(
        experiment: String,
        armCandidates: [Int],
        armNames: [String]? = nil,
        baseline: Double,
        sampleSize: SampleSize? = nil,
        outcomeSD: Double? = nil,
        binaryOutcome: Bool? = nil,
        priors: Priors,
        armMeans: ArmMeansDistribution = .normal,
        threshold: Threshold,
        seed: UInt64? = nil,
        comparison: Comparison? = nil
    ) {
        self.experiment = experiment
        self.armCandidates = armCandidates
        self.armNames = armNames
        self.baseline = baseline
        self.sampleSize = sampleSize
        self.outcomeSD = outcomeSD
        self.binaryOutcome = binaryOutcome
        self.priors = priors
        self.armMeans = armMeans
        self.threshold = threshold
        self.seed = seed
        self.comparison = comparison
    }

    /// Priors on the four population parameters.
    public struct Priors: Sendable, Hashable, Codable {
        public var sigma: Prior
        public var rho: Prior
        public var s: Prior
        public var predictionError: Prior

        public init(sigma: Prior, rho: Prior, s: Prior, predictionError: Prior) {
            self.sigma = sigma
            self.rho = rho
            self.s = s
            self.predictionError = predictionError
        }
    }

    /// Planned units: a total split equally, the same number per arm, or one number per arm.
    public enum SampleSize: Sendable, Hashable, Codable {
        case total(Double)
        case perArm(Double)
        case eachArm([Double])

        /// Units per arm for an experiment with `arms` arms.
        public func unitsPerArm(arms: Int) -> [Double] {
            switch self {
            case .total(let n): return Array(repeating: n / Double(arms), count: arms)
            case .perArm(let n): return Array(repeating: n, count: arms)
            case .eachArm(let sizes): return sizes
            }
        }
    }

    /// The smallest gain worth personalizing for.
    public enum Threshold: Sendable, Hashable, Codable {
        /// In outcome units.
        case absolute(Double)
        /// As a share of the baseline outcome.
        case relative(Double)

        /// The threshold in outcome units.
        public func absoluteValue(baseline: Double) -> Double {
            switch self {
            case .absolute(let x): return x
            case .relative(let r): return r * abs(baseline)
            }
        }
    }

    /// A second parameter set (for example a past study) to swap parameters with.
    public struct Comparison: Sendable, Hashable, Codable {
        public var label: String
        public var parameters: ModelParameters

        public init(label: String, parameters: ModelParameters) {
            self.label = label
            self.parameters = parameters
        }
    }
}
