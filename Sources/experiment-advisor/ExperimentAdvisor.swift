import ArgumentParser

/// The command-line entry point. It only parses arguments and calls into the libraries.
@main
struct ExperimentAdvisor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment-advisor",
        abstract: "Tells experimentation teams whether personalization will beat shipping the best arm.",
        subcommands: [
            ServeCommand.self, PredictCommand.self, AnalyzeCommand.self, CheckConfigCommand.self, SimulateCommand.self,
            SynthesizeCommand.self, AssignCommand.self, HistoryCommand.self, WorkCommand.self,
        ]
    )
}

/// Output format shared by the subcommands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// A report's formats: `predict` and `analyze` also render the HTML page the daemon writes.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
    case html
}
