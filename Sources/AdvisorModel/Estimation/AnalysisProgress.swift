/// Where a running analysis is: the stage (the key its time is reported under) and, within it,
/// the models fitted so far. A terminal shows it as a progress line, the daemon as STATUS=.
public struct AnalysisProgress: Sendable, Hashable {
    /// `split`, `outcome_models`, `guardrail_models`, `policy_tree`, `policy_choice`,
    /// `evaluation`, `model_error`, `estimates`, `prediction` (the verdict's `timings` keys).
    public var stage: String
    /// Models fitted in this stage so far.
    public var done: Int
    /// Models this stage fits, when known ahead (one per arm and outcome model).
    public var total: Int?

    public init(stage: String, done: Int = 0, total: Int? = nil) {
        self.stage = stage
        self.done = done
        self.total = total
    }
}
