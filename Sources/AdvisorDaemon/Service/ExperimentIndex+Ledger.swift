import AdvisorLedger
import AdvisorReports

/// The index is built from the ledger's rows, in the daemon (`reports/index.html`) and in
/// `history` alike, so the page and the terminal cannot disagree.
extension ExperimentIndex.Report {
    /// An answered prediction's or verdict's row as the index shows it; nil for any other row
    /// (rejected, vanished, in flight) or one whose figures are missing.
    public init?(_ entry: LedgerEntry) {
        guard let outcome = entry.outcome, outcome != .rejected,
            entry.state == .archived || entry.state == .written,
            let stamp = entry.stamp, let verdict = entry.figures[MetadataKey.verdict]
        else { return nil }
        func figure(_ key: String) -> Double? {
            entry.figures[key].flatMap(Double.init).flatMap { $0.isFinite ? $0 : nil }
        }
        // Links are relative to reports/: the report folder and the file, whatever the spool's path.
        let files = entry.files.map { path in path.split(separator: "/").suffix(2).joined(separator: "/") }
        switch outcome {
        case .prediction:
            guard let gain = figure(MetadataKey.predictedGain) else { return nil }
            let range = figure(MetadataKey.predictedGainP05).flatMap { lower in
                figure(MetadataKey.predictedGainP95).map { (lower: lower, upper: $0) }
            }
            self.init(kind: .prediction, stamp: stamp, verdict: verdict, gain: gain, range: range, files: files)
        case .verdict:
            guard let gain = figure(MetadataKey.realizedGain) else { return nil }
            self.init(
                kind: .verdict,
                stamp: stamp,
                verdict: verdict,
                gain: gain,
                standardError: figure(MetadataKey.realizedGainSE),
                files: files
            )
        case .rejected:
            return nil
        }
    }
}

extension ExperimentIndex.Rejection {
    /// A rejected row whose error file is durable; nil for any other row.
    public init?(_ entry: LedgerEntry) {
        guard entry.outcome == .rejected, entry.state == .rejected || entry.state == .written,
            let stamp = entry.stamp, let reason = entry.error
        else { return nil }
        self.init(
            stamp: stamp,
            name: entry.name,
            experiment: entry.experiment,
            reason: reason,
            errorFile: entry.files.first.map { $0.split(separator: "/").suffix(2).joined(separator: "/") }
        )
    }
}

extension ExperimentIndex {
    /// Every answered row of `entries`, in any order, and the rejected ones.
    public init(ledger entries: [LedgerEntry]) {
        self.init(
            entries.compactMap { entry in
                entry.experiment.flatMap { id in Report(entry).map { (experiment: id, report: $0) } }
            }
        )
        for entry in entries { if let rejection = Rejection(entry) { add(rejection) } }
    }

    /// Adds the ledger's latest rejections (after a rejection).
    mutating func refreshRejections(from ledger: Ledger) throws(LedgerError) {
        for entry in try ledger.rejections(limit: Self.rejectionsKept) {
            if let rejection = Rejection(entry) { add(rejection) }
        }
    }

    /// Replaces what the index holds of `experiment` by its rows in the ledger (after a report).
    mutating func refresh(_ experiment: String, from ledger: Ledger) throws(LedgerError) {
        remove(experiment)
        for entry in try ledger.answered(experiment: experiment, limit: Self.rowsRead) {
            if let report = Report(entry) { add(report, experiment: experiment) }
        }
    }

    /// Enough rows for the latest verdict and the predictions kept before it.
    static let rowsRead = 200
}
