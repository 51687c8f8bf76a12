import AdvisorAnalysis
import AdvisorFormats
import AdvisorModel
import AdvisorReports
import ArgumentParser
import Foundation

/// `experiment-advisor analyze FILE`: the verdict the daemon writes for a data drop.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Estimate σ, ρ, s, σ_ε from a finished test's unit-level CSV and judge personalization.",
        discussion: """
            FILE is a CSV (or .csv.gz) with a header: arm, outcome, optional unit_id and propensity, and
            covariates. NAME.manifest.yaml beside it (or --manifest) renames columns, names the experiment
            and the control arm, gives assignment probabilities and says whether larger is better.
            FILE may also be an analysis summary (NAME.summary.json, from --summary-out or the Spark job):
            the verdict is then decided from it alone.
            """
    )

    @Argument(help: "The data file (.csv or .csv.gz), or an analysis summary (.summary.json).")
    var file: String

    @Option(help: "The manifest (default: NAME.manifest.yaml beside the data, if present).")
    var manifest: String?

    @Option(
        help:
            "The experiment's proposal, written before its data: the verdict uses its threshold (unless the manifest gives one) and compares its priors."
    )
    var proposal: String?

    @Option(help: "Configuration file for the analysis settings (default: built-in defaults).")
    var config: String?

    @Option(help: "Output format: text, json or html (one self-contained page with charts).")
    var format: ReportFormat = .text

    @Option(help: "Write the policy the verdict recommends here (a policy file for `assign`).")
    var policyOut: String?

    @Option(help: "Write the follow-up test's proposal here (YAML, ready for the spool's incoming/).")
    var nextProposalOut: String?

    @Option(help: "Write the analysis summary the verdict was decided from here (NAME.summary.json, for the spool).")
    var summaryOut: String?

    @Flag(help: "No progress line on standard error (there is none anyway when it is not a terminal).")
    var quiet = false

    func run() throws {
        do {
            let configuration =
                try config.map { (p: String) throws(InputError) in try ConfigurationFile.load(path: p) }
                ?? AdvisorConfiguration()
            let teamProposal = try proposal.map { (p: String) throws(InputError) in try ProposalFile.load(path: p) }
            let progress = ProgressLine(enabled: !quiet && isatty(STDERR_FILENO) == 1)
            defer { progress.finish() }
            let result = try DataDropAnalysis.run(
                path: file,
                manifestPath: manifest,
                configuration: configuration,
                teamProposal: { _ in teamProposal },
                progress: progress.show
            )
            progress.finish()
            // A proposal for another experiment still sets the bar, but the team should know.
            if let teamProposal, teamProposal.experiment != result.verdict.experiment {
                printError(
                    "note: the proposal is for '\(teamProposal.experiment)', the data for '\(result.verdict.experiment)'; its threshold and baseline were used"
                )
            }
            if let policyOut {
                guard let policy = result.policy else {
                    throw InputError(
                        file: file,
                        field: nil,
                        problem: "the verdict personalizes with models that stayed where the summary was made",
                        fix: "take the policy from the run that wrote the summary, or analyze the data here"
                    )
                }
                try Self.write(try policy.json(), to: policyOut, what: "the policy file", option: "--policy-out")
            }
            if let summaryOut {
                try Self.write(
                    try SummaryFile.json(result.summary),
                    to: summaryOut,
                    what: "the analysis summary",
                    option: "--summary-out"
                )
            }
            if let nextProposalOut {
                try Self.write(
                    NextProposalFile.yaml(result.verdict),
                    to: nextProposalOut,
                    what: "the next test's proposal",
                    option: "--next-proposal-out"
                )
            }
            let report =
                switch format {
                case .json: try VerdictReport.json(result.verdict, policyFile: policyOut)
                case .html: VerdictReport.html(result.verdict)
                case .text: VerdictReport.text(result.verdict)
                }
            print(report, terminator: "")
        } catch let error as InputError {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }

    /// Writes `contents` to `path` atomically; a failure is an input error naming the option.
    static func write(_ contents: String, to path: String, what: String, option: String) throws(InputError) {
        do {
            try Data(contents.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw InputError(
                file: path,
                field: nil,
                problem: "\(what) cannot be written (\(error.localizedDescription))",
                fix: "give \(option) a path in a directory you can write"
            )
        }
    }
}

/// The one progress line `analyze` keeps rewriting on a terminal's standard error (carriage
/// return, erase to the end of the line), cleared when the analysis ends so that the report and
/// any error start on a clean line.
final class ProgressLine {
    let enabled: Bool
    private var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ line: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        shown = true
    }

    func finish() {
        guard shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        shown = false
    }
}
