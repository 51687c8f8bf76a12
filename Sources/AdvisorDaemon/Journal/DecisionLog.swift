import AdvisorModel
import AdvisorReports

/// The key figures of a decision, keyed by `MetadataKey`: the journal entry's fields and the
/// ledger's `figures` (so `history` shows what `journalctl` shows), from one place.
enum DecisionLog {
    static func fields(_ p: Prediction) -> [String: String] {
        var fields = [
            MetadataKey.experimentID: p.experiment,
            MetadataKey.verdict: p.verdict.rawValue,
            MetadataKey.recommendation: PredictionWording.action(p),
            MetadataKey.predictedGain: "\(p.gain.mean)",
        ]
        if let relative = p.relativeGain { fields[MetadataKey.relativeGain] = "\(relative)" }
        return fields
    }

    static func fields(_ v: PostExperimentVerdict) -> [String: String] {
        var fields = [
            MetadataKey.experimentID: v.experiment,
            MetadataKey.verdict: v.verdict.rawValue,
            MetadataKey.recommendation: VerdictWording.action(v),
            MetadataKey.realizedGain: "\(v.realized.gain)",
            MetadataKey.realizedGainSE: "\(v.realized.standardError)",
            MetadataKey.predictedGain: "\(v.predicted.gain)",
            MetadataKey.policy: v.policy,
            MetadataKey.bestUniformArm: v.bestUniformArm,
        ]
        if let relative = v.realized.relativeGain { fields[MetadataKey.relativeGain] = "\(relative)" }
        return fields
    }
}
