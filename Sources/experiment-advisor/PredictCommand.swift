import AdvisorAnalysis
import AdvisorModel
import AdvisorFormats
import AdvisorReports
import ArgumentParser

/// `experiment-advisor predict FILE`: the report the daemon writes for a proposal.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict the gain from personalization for a proposal file (YAML or JSON)."
    )

    @Argument(help: "The proposal file.")
    var file: String

    @Option(help: "Output format: text, json or html (one self-contained page with charts).")
    var format: ReportFormat = .text

    func run() throws {
        do {
            let prediction = try ProposalPrediction.run(path: file, settings: PredictionSettings())
            let report =
                switch format {
                case .json: try PredictionReport.json(prediction)
                case .html: PredictionReport.html(prediction)
                case .text: PredictionReport.text(prediction)
                }
            print(report, terminator: "")
        } catch let error as InputError {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}
