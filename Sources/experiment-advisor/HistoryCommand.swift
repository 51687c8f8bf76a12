import AdvisorAnalysis
import AdvisorDaemon
import AdvisorFormats
import AdvisorLedger
import AdvisorReports
import ArgumentParser
import Foundation

/// `experiment-advisor history [EXPERIMENT]`: every input the daemon has seen, from its ledger,
/// with what became of it and the decision's key figures; then, as `reports/index.html` shows
/// them, each experiment's latest prediction and verdict and the track record.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List every input, prediction and verdict the daemon recorded in its ledger."
    )

    @Argument(help: "Only this experiment.")
    var experiment: String?

    @Option(
        help: "State directory (default: as serve finds it: the configuration's 'state_directory', else the default)."
    )
    var stateDir: String?

    @Option(help: "Configuration file (for its state_directory; default: \(defaultConfigurationPath) if it exists).")
    var config: String?

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        let (directory, source): (String, String)
        do {
            (directory, source) = try stateDirectory()
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        // Which ledger is read, and why that one, before anything else: a wrong guess is the
        // usual reason a history looks empty.
        printError("history: reading \(directory)/ledger.sqlite (\(source))")
        let entries: [LedgerEntry]
        do {
            entries = try Ledger.reading(directory: directory).history(experiment: experiment)
        } catch {
            var message = "error: \(error)"
            let local = FileManager.default.currentDirectoryPath + "/state"
            if stateDir == nil, local != directory, FileManager.default.fileExists(atPath: local + "/ledger.sqlite") {
                message += " (scripts/run-local.sh keeps its ledger in ./state: give --state-dir ./state)"
            }
            printError(message)
            throw ExitCode(2)
        }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(entries.map(HistoryRow.init)), as: UTF8.self))
        case .text:
            print(HistoryRow.text(entries.map(HistoryRow.init)))
            // The same experiments and track record as reports/index.html, from the same rows.
            let index = ExperimentIndex(ledger: entries)
            if !index.experiments.isEmpty { print(IndexWording.text(index)) }
        }
    }
}

extension HistoryCommand {
    /// The state directory as `serve` finds it (`--state-dir`, else the configuration's
    /// `state_directory`, the configuration being `--config`, else the default file if it
    /// exists, else the built-in default), and where it came from.
    func stateDirectory() throws(InputError) -> (String, String) {
        if let stateDir { return (stateDir, "--state-dir") }
        let path =
            config
            ?? (FileManager.default.fileExists(atPath: defaultConfigurationPath) ? defaultConfigurationPath : nil)
        guard let path else {
            return (
                AdvisorConfiguration().stateDirectory,
                "the built-in default: no --state-dir, no --config and no \(defaultConfigurationPath)"
            )
        }
        return (try ConfigurationFile.load(path: path).stateDirectory, "state_directory of \(path)")
    }
}

/// One line of `history`, the same fields in text and JSON.
struct HistoryRow: Encodable {
    var firstSeen: Date
    var name: String
    var experiment: String?
    var state: String
    var attempts: Int
    var outcome: String?
    var verdict: String?
    var predictedGain: Double?
    var realizedGain: Double?
    var realizedGainSE: Double?
    var policy: String?
    var reports: [String]
    var archived: String?
    var error: String?

    enum CodingKeys: String, CodingKey {
        case firstSeen = "first_seen"
        case name, experiment, state, attempts, outcome, verdict
        case predictedGain = "predicted_gain"
        case realizedGain = "realized_gain"
        case realizedGainSE = "realized_gain_se"
        case policy, reports, archived, error
    }

    init(_ entry: LedgerEntry) {
        firstSeen = entry.firstSeen
        name = entry.name
        experiment = entry.experiment
        state = entry.state.rawValue
        attempts = entry.attempts
        outcome = entry.outcome?.rawValue
        verdict = entry.figures["verdict"]
        predictedGain = entry.figures["predicted_gain"].flatMap(Double.init)
        realizedGain = entry.figures["realized_gain"].flatMap(Double.init)
        realizedGainSE = entry.figures["realized_gain_se"].flatMap(Double.init)
        policy = entry.figures["policy"]
        reports = entry.outcome == .rejected ? [] : entry.files
        archived = entry.destination
        error = entry.error
    }

    static func text(_ rows: [HistoryRow]) -> String {
        guard !rows.isEmpty else { return "No inputs recorded." }
        let formatter = ISO8601DateFormatter()
        var lines: [String] = []
        for row in rows {
            var figures: [String] = []
            if let verdict = row.verdict { figures.append(verdict) }
            if let realized = row.realizedGain {
                figures.append("realized gain \(format(realized)) ± \(format(row.realizedGainSE ?? 0))")
            }
            if let predicted = row.predictedGain { figures.append("predicted gain \(format(predicted))") }
            if let policy = row.policy { figures.append("policy \(policy)") }
            if let error = row.error { figures.append(String(error.prefix(160))) }
            let what = [row.outcome ?? row.state, row.experiment].compactMap { $0 }.joined(separator: " ")
            let tries = row.attempts > 1 ? " (\(row.attempts) attempts)" : ""
            lines.append(
                "\(formatter.string(from: row.firstSeen))  \(escaped(row.name))  \(what)\(tries)"
                    + (figures.isEmpty ? "" : ": " + figures.joined(separator: "; "))
            )
        }
        return lines.joined(separator: "\n")
    }

    static func format(_ x: Double) -> String { String(format: "%.4g", x) }

    /// A name as one printable line (a name may hold a newline or control characters).
    static func escaped(_ name: String) -> String {
        name.unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }
            .joined()
    }
}
