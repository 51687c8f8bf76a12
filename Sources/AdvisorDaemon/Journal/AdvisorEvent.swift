import Logging

/// The kinds of event the daemon logs. Each has a fixed journal MESSAGE_ID, explained in
/// `systemd/experiment-advisor.catalog`, so `journalctl -x` can say what it means and
/// `journalctl MESSAGE_ID=…` finds every event of one kind.
public enum AdvisorEvent: String, Sendable, CaseIterable {
    case started
    case prediction
    case verdict
    case rejected
    case abandoned
    case reloaded
    case reloadFailed = "reload-failed"
    case spoolError = "spool-error"
    case stopping

    /// 128-bit ids (generated once with `uuid4().hex`); never change one, teams filter on them.
    public var messageID: String {
        switch self {
        case .started: "c57444b0f6e849a3a70439e559d32f44"
        case .prediction: "f12584026dbc42cb925c66287d98b8cc"
        case .verdict: "874f0c1d673541a39ed385dc71eb5c78"
        case .rejected: "c6f45b318c41487090d3f0f4cec17458"
        case .abandoned: "26cc586c71eb45e4bb4c0d3d82b05e96"
        case .reloaded: "2b97f82edc5e4810b7209ef0f7be3561"
        case .reloadFailed: "3206d60867ce4f95a47d85b55100f6ab"
        case .spoolError: "dc1a025b9bca4364b8554c9efceb7e6c"
        case .stopping: "8f45f984ef764f768d52825b5d328a0d"
        }
    }

    /// The metadata that tags a log entry with this event: `ADVISOR_EVENT` and `MESSAGE_ID`.
    public var metadata: Logger.Metadata {
        [MetadataKey.event: .string(rawValue), MetadataKey.messageID: .string(messageID)]
    }
}

/// Metadata keys the daemon uses; `JournalFieldName` turns each into the journal field in its comment.
public enum MetadataKey {
    public static let event = "advisor_event"  // ADVISOR_EVENT
    public static let messageID = "message_id"  // MESSAGE_ID
    public static let experimentID = "experiment_id"  // EXPERIMENT_ID
    public static let predictedGain = "predicted_gain"  // PREDICTED_GAIN
    public static let predictedGainP05 = "predicted_gain_p05"  // PREDICTED_GAIN_P05: the 90% range over the priors
    public static let predictedGainP95 = "predicted_gain_p95"  // PREDICTED_GAIN_P95
    public static let relativeGain = "relative_gain"  // RELATIVE_GAIN
    public static let verdict = "verdict"  // VERDICT
    public static let recommendation = "recommendation"  // RECOMMENDATION
    public static let reportPath = "report_path"  // REPORT_PATH
    public static let inputPath = "input_path"  // INPUT_PATH
    public static let realizedGain = "realized_gain"  // REALIZED_GAIN
    public static let realizedGainSE = "realized_gain_se"  // REALIZED_GAIN_SE
    public static let policy = "policy"  // POLICY
    public static let bestUniformArm = "best_uniform_arm"  // BEST_UNIFORM_ARM
    public static let policyFile = "policy_file"  // POLICY_FILE: the verdict's deployable policy
    public static let guardrailsPass = "guardrails_pass"  // GUARDRAILS_PASS: true when every guardrail holds
    public static let guardrailFailed = "guardrail_failed"  // GUARDRAIL_FAILED: the first that does not
    public static let errorPath = "error_path"  // ERROR_PATH
    public static let field = "field"  // FIELD
    public static let error = "error"  // ERROR
}
