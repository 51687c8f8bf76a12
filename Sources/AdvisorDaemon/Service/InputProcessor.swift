import AdvisorAnalysis
import AdvisorModel
import AdvisorFormats
import AdvisorLedger
import AdvisorReports
import Foundation

/// What became of one input.
public enum InputOutcome: Sendable {
    /// `reports`: the paths of the report's renditions, the JSON first (a verdict's policy file last).
    case predicted(Prediction, reports: [String], archived: String)
    case verdict(PostExperimentVerdict, reports: [String], archived: String)
    case rejected(experiment: String?, error: InputError, input: String, errorFile: String)
}

/// Turns one file in `incoming/` into a report (and an archived input) or a rejection (and an
/// error file), recording each step in the ledger before it happens, so a kill anywhere leaves a
/// row that says how to finish. Parsing is quick and runs inline; the prediction runs in
/// `BackgroundWork`, so cancelling the caller abandons the input cleanly: nothing written, the
/// file still in `incoming/`.
public struct InputProcessor: Sendable {
    public var spool: SpoolDirectory
    public var configuration: AdvisorConfiguration
    public var ledger: Ledger

    public init(spool: SpoolDirectory, configuration: AdvisorConfiguration, ledger: Ledger) {
        self.spool = spool
        self.configuration = configuration
        self.ledger = ledger
    }

    /// File name endings read as proposals. JSON is YAML, so one parser reads both.
    public static let proposalExtensions = [".yaml", ".yml", ".json"]

    /// Processes `entry` (ledger row `id`). Throws `CancellationError` when abandoned (nothing
    /// written, the input left in place) and `SpoolError` when the spool or the ledger fails (the
    /// input also stays).
    public func process(_ entry: SpoolDirectory.Entry, id: Int64, stamp: String) async throws -> InputOutcome {
        let path = spool.incoming + "/" + entry.name
        let proposal: Proposal
        do {
            proposal = try read(entry, path: path)
        } catch {
            let hint = entry.size <= configuration.maxInputBytes ? ProposalFile.experimentHint(atPath: path) : nil
            return try reject(entry.name, id: id, experiment: hint, error, stamp: stamp)
        }

        let settings = configuration.prediction
        let prediction: Prediction
        do {
            prediction = try await BackgroundWork.run { isCancelled throws(InputError) -> Prediction in
                try ProposalPrediction.predict(proposal, path: path, settings: settings, shouldStop: isCancelled)
            }
        } catch let error as InputError {
            return try reject(entry.name, id: id, experiment: proposal.experiment, error, stamp: stamp)
        }
        try Task.checkCancellation()
        switch try writeReport(
            entry.name,
            id: id,
            path: path,
            experiment: prediction.experiment,
            stamp: stamp,
            outcome: .prediction,
            figures: DecisionLog.fields(prediction),
            suffixes: PredictionReport.suffixes,
            renditions: { _, _ in try PredictionReport.renditions(prediction) }
        )
        {
        case .rejected(let outcome): return outcome
        case .written(let reports, let archived):
            return .predicted(prediction, reports: reports, archived: archived)
        }
    }

    /// Analyzes a data drop (and its manifest, if one waits beside it) into a verdict report.
    /// `progress` hears the analysis's progress lines (for STATUS=), from the analysis thread.
    public func processData(
        _ entry: SpoolDirectory.Entry,
        id: Int64,
        stamp: String,
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws -> InputOutcome {
        let path = spool.incoming + "/" + entry.name
        let manifestName = Self.manifestName(forData: entry.name)
        let configuration = configuration
        let ledger = ledger
        let result: DataDropAnalysis.Result
        do {
            result = try await BackgroundWork.run { isCancelled throws(InputError) -> DataDropAnalysis.Result in
                try DataDropAnalysis.run(
                    path: path,
                    manifestPath: nil,
                    configuration: configuration,
                    earlierPrediction: { experiment in try? ledger.latestPredictionReport(experiment: experiment) },
                    // The team's proposal as archived; one that no longer reads leaves the defaults.
                    teamProposal: { experiment in
                        (try? ledger.latestProposalArchive(experiment: experiment))
                            .flatMap { $0 }
                            .flatMap { try? ProposalFile.load(path: $0) }
                    },
                    shouldStop: isCancelled,
                    progress: progress
                )
            }
        } catch let error as InputError {
            return try reject(entry.name, id: id, experiment: nil, error, stamp: stamp, companion: manifestName)
        }
        try Task.checkCancellation()
        let verdict = result.verdict
        switch try writeReport(
            entry.name,
            id: id,
            path: path,
            experiment: verdict.experiment,
            stamp: stamp,
            outcome: .verdict,
            figures: DecisionLog.fields(verdict),
            companion: manifestName,
            suffixes: VerdictReport.suffixes,
            renditions: { directory, base in
                try VerdictReport.renditions(
                    verdict,
                    policyFile: try result.policy.map {
                        (try $0.json(), directory + "/" + base + VerdictReport.policyFileSuffix)
                    }
                )
            }
        )
        {
        case .rejected(let outcome): return outcome
        case .written(let reports, let archived):
            return .verdict(verdict, reports: reports, archived: archived)
        }
    }

    /// `NAME.manifest.yaml` for the data drop `NAME.csv` or `NAME.csv.gz`.
    static func manifestName(forData name: String) -> String {
        (ManifestFile.path(forData: name) as NSString).lastPathComponent
    }

    enum Written {
        case written(reports: [String], archived: String)
        case rejected(InputOutcome)
    }

    /// Writes the report's renditions as one set, then archives the input (and its companion),
    /// in the ledger's order: planned → files durable → written → moved → finished. A report
    /// that cannot be rendered (a bug: the encoder refuses NaN) rejects the input instead.
    func writeReport(
        _ name: String,
        id: Int64,
        path: String,
        experiment: String,
        stamp: String,
        outcome: LedgerEntry.Outcome,
        figures: [String: String],
        companion: String? = nil,
        suffixes: [String],
        renditions: (_ directory: String, _ base: String) throws -> [ReportRendition]
    ) throws(SpoolError) -> Written {
        // The name first, so a rendition can name another (the verdict names its policy file).
        /// The input answered with a report that could not be written, and why.
        func refused(_ problem: String, fix: String) throws(SpoolError) -> Written {
            let error = InputError(file: path, field: nil, problem: problem, fix: fix)
            return .rejected(
                try reject(name, id: id, experiment: experiment, error, stamp: stamp, companion: companion)
            )
        }
        let directory: String
        let base: String
        do {
            (directory, base) = try spool.reportBase(experiment: experiment, stamp: stamp, suffixes: suffixes)
        } catch  where error.code == ENOTDIR {
            // Something that is not a directory holds the experiment's name in reports/: every
            // scan would fail the same way, so the input is answered, with what is in the way.
            return try refused(
                "its report could not be written: \(spool.reports)/\(experiment) is not a directory",
                fix: "move that entry out of reports/ (it is not a report directory), then drop this file again"
            )
        }
        let rendered: [ReportRendition]
        do {
            rendered = try renditions(directory, base)
        } catch {
            return try refused(
                "the report could not be encoded (\(error))",
                fix: "report this as a bug with the input attached"
            )
        }
        // A report or policy file past the output limit (a policy of hundreds of large models,
        // say) is refused before anything is written, rather than filling the disk.
        let limit = configuration.worker.outputLimitBytes
        if let large = rendered.first(where: { $0.contents.utf8.count > limit }) {
            return try refused(
                "its \(base)\(large.suffix) would be \(large.contents.utf8.count) bytes, more than worker.output_limit_bytes (\(limit))",
                fix:
                    "raise worker.output_limit_bytes, or lower analysis.boosting.max_rounds (the policy file holds every arm's model)"
            )
        }
        let destination = spool.archiveTarget(name, stamp: stamp)
        let companionDestination = companion.flatMap { spool.companionTarget($0, in: spool.archive, stamp: stamp) }
        try recorded {
            try ledger.planned(
                id,
                outcome: outcome,
                stamp: stamp,
                experiment: experiment,
                files: rendered.map { directory + "/" + base + $0.suffix },
                destination: destination,
                companion: companionDestination == nil ? nil : companion,
                companionDestination: companionDestination,
                figures: figures
            )
        }
        let paths = try spool.writeReport(directory: directory, base: base, renditions: rendered)
        try recorded { try ledger.written(id) }
        try finishMoves(name, to: destination, companion: companion, companionDestination: companionDestination)
        try recorded { try ledger.finished(id) }
        return .written(reports: paths, archived: destination)
    }

    /// Writes the error file, then moves the input (and its companion) to `rejected/`, in the
    /// ledger's order. The error file comes first so a rejected input is never without it.
    func reject(
        _ name: String,
        id: Int64,
        experiment: String?,
        _ error: InputError,
        stamp: String,
        companion: String? = nil
    ) throws(SpoolError) -> InputOutcome {
        let (destination, errorPath) = spool.rejectTargets(name, stamp: stamp)
        let companionDestination = companion.flatMap { spool.companionTarget($0, in: spool.rejected, stamp: stamp) }
        try recorded {
            try ledger.planned(
                id,
                outcome: .rejected,
                stamp: stamp,
                experiment: experiment,
                files: [errorPath],
                destination: destination,
                companion: companionDestination == nil ? nil : companion,
                companionDestination: companionDestination,
                error: error.description
            )
        }
        try spool.writeErrorFile(Self.explanation(error, name: name), to: errorPath)
        try recorded { try ledger.written(id) }
        try finishMoves(name, to: destination, companion: companion, companionDestination: companionDestination)
        try recorded { try ledger.finished(id) }
        return .rejected(experiment: experiment, error: error, input: destination, errorFile: errorPath)
    }

    /// The input, then its companion. Also what a restart runs for a row left `written`.
    func finishMoves(
        _ name: String,
        to destination: String,
        companion: String?,
        companionDestination: String?
    ) throws(SpoolError) {
        if spool.isWaiting(name) { try spool.moveInput(name, to: destination) }
        if let companion, let companionDestination, spool.isWaiting(companion) {
            try spool.moveInput(companion, to: companionDestination)
        }
    }

    /// Completes a row whose files are durable (`written`): the moves, then the last state.
    func finishWritten(_ row: LedgerEntry) throws(SpoolError) {
        guard let id = row.id else { return }
        if let destination = row.destination {
            try finishMoves(
                row.name,
                to: destination,
                companion: row.companion,
                companionDestination: row.companionDestination
            )
        }
        try recorded { try ledger.finished(id) }
    }

    /// Undoes a row caught mid-write (`writing`): its half set and temporaries go, and it is
    /// `started` again (`working` when workers run the inputs).
    func undoWriting(_ row: LedgerEntry, inWorker: Bool) throws(SpoolError) {
        guard let id = row.id else { return }
        spool.removePartial(row.files)
        try recorded { try ledger.restart(id, inWorker: inWorker) }
    }

    /// A ledger step; its failure is the spool's kind (the input stays in incoming/).
    func recorded(_ body: () throws -> Void) throws(SpoolError) {
        do {
            try body()
        } catch let error as LedgerError {
            throw SpoolError(error)
        } catch {
            throw SpoolError(LedgerError(path: ledger.path, problem: "failed (\(error))", fix: Ledger.diskFix))
        }
    }

    /// Checks size and kind before reading, so a huge or binary drop is never parsed.
    func read(_ entry: SpoolDirectory.Entry, path: String) throws(InputError) -> Proposal {
        guard entry.size <= configuration.maxInputBytes else {
            throw InputError(
                file: path,
                field: nil,
                problem: "the file has \(entry.size) bytes, more than max_input_bytes (\(configuration.maxInputBytes))",
                fix: "drop a proposal file (a few hundred bytes), or raise max_input_bytes in the configuration"
            )
        }
        guard Self.proposalExtensions.contains(where: { entry.name.lowercased().hasSuffix($0) }) else {
            throw InputError(
                file: path,
                field: nil,
                problem: "not a proposal file name",
                fix:
                    "name proposals *.yaml, *.yml or *.json and data drops *.csv or *.csv.gz; write elsewhere (or as NAME.part) and rename into incoming/"
            )
        }
        return try ProposalFile.load(path: path)
    }

    /// The text of `NAME.error.txt`: the file, the field, the problem, the fix, and what to do next.
    static func explanation(_ error: InputError, name: String) -> String {
        // When the fault is in another file (a data drop's manifest), the first line says so.
        let culprit = (error.file as NSString).lastPathComponent
        var lines = [
            culprit == name || culprit.isEmpty
                ? "experiment-advisor could not use \(name)."
                : "experiment-advisor could not use \(name): the problem is in \(culprit), not in the data.",
            "",
        ]
        lines.append("file:    \(error.file)" + (error.line.map { " (line \($0))" } ?? ""))
        lines.append("field:   \(error.field ?? "(the whole file)")")
        lines.append("problem: \(error.problem)")
        lines.append("fix:     \(error.fix)")
        lines.append("")
        lines.append("Correct the file and drop it into incoming/ again (write it elsewhere, then rename it in).")
        return lines.joined(separator: "\n") + "\n"
    }
}
