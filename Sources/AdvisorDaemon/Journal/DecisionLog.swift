import AdvisorFormats
import AdvisorModel
import AdvisorReports
import Logging

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
        if p.gain.draws > 1 {
            fields[MetadataKey.predictedGainP05] = "\(p.gain.p05)"
            fields[MetadataKey.predictedGainP95] = "\(p.gain.p95)"
        }
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
        if v.outcomes.contains(where: { $0.role == .guardrail }) {
            fields[MetadataKey.guardrailsPass] = "\(v.guardrailsPass)"
            if let blocking = v.blockingGuardrail { fields[MetadataKey.guardrailFailed] = blocking.column }
        }
        if let relative = v.realized.relativeGain { fields[MetadataKey.relativeGain] = "\(relative)" }
        return fields
    }
}

/// The journal entry of one outcome as a value: one line with the fields teams filter on. A
/// worker hands it to the daemon, which logs it: journald attributes an entry to the unit by the
/// sender's cgroup, read when the entry arrives, so an entry from a worker that has just exited
/// could lose `_SYSTEMD_UNIT` and vanish from `journalctl -u experiment-advisor`.
struct JournalEntry: Codable, Sendable {
    var warning: Bool
    var message: String
    var fields: [String: String]

    init(_ outcome: InputOutcome, name: String) {
        func decision(
            _ event: AdvisorEvent,
            _ figures: [String: String],
            _ reports: [String],
            _ archived: String
        )
            -> [String: String]
        {
            var fields = figures
            for (key, value) in event.metadata { fields[key] = "\(value)" }
            fields[MetadataKey.reportPath] = reports.first ?? ""
            fields[MetadataKey.inputPath] = archived
            if let policyFile = reports.first(where: { $0.hasSuffix(VerdictReport.policyFileSuffix) }) {
                fields[MetadataKey.policyFile] = policyFile
            }
            return fields
        }
        switch outcome {
        case .predicted(let p, let reports, let archived):
            warning = false
            message = PredictionWording.journalMessage(p)
            fields = decision(.prediction, DecisionLog.fields(p), reports, archived)
        case .verdict(let v, let reports, let archived):
            warning = false
            message = VerdictWording.journalMessage(v)
            fields = decision(.verdict, DecisionLog.fields(v), reports, archived)
        case .rejected(let experiment, let error, let input, let errorFile):
            warning = true
            message = "\(name) rejected: \(error)"
            fields = [:]
            for (key, value) in AdvisorEvent.rejected.metadata { fields[key] = "\(value)" }
            if let experiment { fields[MetadataKey.experimentID] = experiment }
            fields[MetadataKey.inputPath] = input
            fields[MetadataKey.errorPath] = errorFile
            fields[MetadataKey.error] = "\(error)"
            if let field = error.field { fields[MetadataKey.field] = field }
        }
    }

    func log(to logger: Logger) {
        let metadata = fields.mapValues { Logger.MetadataValue.string($0) }
        if warning {
            logger.warning("\(message)", metadata: metadata)
        } else {
            logger.info("\(message)", metadata: metadata)
        }
    }
}
