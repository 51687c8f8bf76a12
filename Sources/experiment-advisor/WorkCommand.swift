import AdvisorAnalysis
import AdvisorDaemon
import AdvisorFormats
import ArgumentParser
import Foundation

/// `experiment-advisor work`: the worker process the daemon runs inputs in. Not for people: the
/// daemon writes `ID STAMP` lines (ledger rows) to its standard input, and the rows name the inputs.
struct WorkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Process inputs of the spool named by ledger rows on standard input (started by `serve`).",
        shouldDisplay: false
    )

    @Option(help: "Configuration file.")
    var config: String?

    @Option(help: "Spool directory.")
    var spool: String

    @Option(help: "State directory (the ledger).")
    var stateDir: String

    func run() async throws {
        let configuration: AdvisorConfiguration
        do {
            configuration =
                try config.map { (p: String) throws(InputError) in try ConfigurationFile.load(path: p) }
                ?? AdvisorConfiguration()
        } catch {
            printError("experiment-advisor worker: configuration rejected: \(error)")
            throw ExitCode(2)
        }
        let code = await InputWorker.run(
            configuration: configuration,
            spool: spool,
            stateDirectory: stateDir
        )
        throw ExitCode(code)
    }
}
