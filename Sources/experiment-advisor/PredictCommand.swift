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

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        do {
            let prediction = try ProposalPrediction.run(path: file, settings: PredictionSettings())
            print(
                format == .json ? try PredictionReport.json(prediction) : PredictionReport.text(prediction),
                terminator: ""
            )
        } catch let error as InputError {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}
