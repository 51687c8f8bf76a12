import AdvisorAnalysis
import AdvisorModel
import AdvisorFormats
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
/// error file). Parsing is quick and runs inline; the prediction runs in `BackgroundWork`, so
/// cancelling the caller abandons the input cleanly: nothing written, the file still in `incoming/`.
public struct InputProcessor: Sendable {
    public var spool: SpoolDirectory
    public var configuration: AdvisorConfiguration

    public init(spool: SpoolDirectory, configuration: AdvisorConfiguration) {
        self.spool = spool
        self.configuration = configuration
    }

    /// File name endings read as proposals. JSON is YAML, so one parser reads both.
    public static let proposalExtensions = [".yaml", ".yml", ".json"]

    /// Processes `entry`. Throws `CancellationError` when abandoned (nothing written, the input
    /// left in place) and `SpoolError` when the spool itself fails (the input also stays).
    public func process(_ entry: SpoolDirectory.Entry, stamp: String) async throws -> InputOutcome {
        let path = spool.incoming + "/" + entry.name
        let proposal: Proposal
        do {
            proposal = try read(entry, path: path)
        } catch {
            let hint = entry.size <= configuration.maxInputBytes ? ProposalFile.experimentHint(atPath: path) : nil
            return try reject(entry.name, experiment: hint, error, stamp: stamp)
        }

        let settings = configuration.prediction
        let prediction: Prediction
        do {
            prediction = try await BackgroundWork.run { isCancelled throws(InputError) -> Prediction in
                try ProposalPrediction.predict(proposal, path: path, settings: settings, shouldStop: isCancelled)
            }
        } catch let error as InputError {
            return try reject(entry.name, experiment: proposal.experiment, error, stamp: stamp)
        }
        try Task.checkCancellation()
        switch try writeReport(
            entry.name,
            path: path,
            experiment: prediction.experiment,
            stamp: stamp,
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
    public func processData(_ entry: SpoolDirectory.Entry, stamp: String) async throws -> InputOutcome {
        let path = spool.incoming + "/" + entry.name
        let manifestName = (ManifestFile.path(forData: path) as NSString).lastPathComponent
        let configuration = configuration
        let reports = spool.reports
        let result: DataDropAnalysis.Result
        do {
            result = try await BackgroundWork.run { isCancelled throws(InputError) -> DataDropAnalysis.Result in
                try DataDropAnalysis.run(
                    path: path,
                    manifestPath: nil,
                    configuration: configuration,
                    reports: reports,
                    shouldStop: isCancelled
                )
            }
        } catch let error as InputError {
            let outcome = try reject(entry.name, experiment: nil, error, stamp: stamp)
            try spool.moveCompanion(manifestName, to: spool.rejected, stamp: stamp)
            return outcome
        }
        try Task.checkCancellation()
        let verdict = result.verdict
        switch try writeReport(
            entry.name,
            path: path,
            experiment: verdict.experiment,
            stamp: stamp,
            suffixes: VerdictReport.suffixes,
            renditions: { directory, base in
                try VerdictReport.renditions(
                    verdict,
                    policyFile: (try result.policy.json(), directory + "/" + base + VerdictReport.policyFileSuffix)
                )
            }
        )
        {
        case .rejected(let outcome):
            try spool.moveCompanion(manifestName, to: spool.rejected, stamp: stamp)
            return outcome
        case .written(let reports, let archived):
            try spool.moveCompanion(manifestName, to: spool.archive, stamp: stamp)
            return .verdict(verdict, reports: reports, archived: archived)
        }
    }

    enum Written {
        case written(reports: [String], archived: String)
        case rejected(InputOutcome)
    }

    /// Writes the report's renditions as one set, then archives the input. A report that cannot
    /// be rendered (a bug: the encoder refuses NaN) rejects the input instead, saying so.
    func writeReport(
        _ name: String,
        path: String,
        experiment: String,
        stamp: String,
        suffixes: [String],
        renditions: (_ directory: String, _ base: String) throws -> [ReportRendition]
    ) throws(SpoolError) -> Written {
        // The name first, so a rendition can name another (the verdict names its policy file).
        let (directory, base) = try spool.reportBase(experiment: experiment, stamp: stamp, suffixes: suffixes)
        let rendered: [ReportRendition]
        do {
            rendered = try renditions(directory, base)
        } catch {
            let inputError = InputError(
                file: path,
                field: nil,
                problem: "the report could not be encoded (\(error))",
                fix: "report this as a bug with the input attached"
            )
            return .rejected(try reject(name, experiment: experiment, inputError, stamp: stamp))
        }
        let paths = try spool.writeReport(directory: directory, base: base, renditions: rendered)
        let archived = try spool.archiveInput(name, stamp: stamp)
        return .written(reports: paths, archived: archived)
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

    func reject(
        _ name: String,
        experiment: String?,
        _ error: InputError,
        stamp: String
    ) throws(SpoolError) -> InputOutcome {
        let moved = try spool.rejectInput(name, stamp: stamp, explanation: Self.explanation(error, name: name))
        return .rejected(experiment: experiment, error: error, input: moved.input, errorFile: moved.error)
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
