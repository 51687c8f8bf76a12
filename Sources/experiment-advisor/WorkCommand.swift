import AdvisorAnalysis
import AdvisorDaemon
import AdvisorFormats
import ArgumentParser
import Foundation

/// `experiment-advisor work`: what the daemon runs each input in (a worker process). Not for
/// people: the daemon passes the ledger row, and the row names the input.
struct WorkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Process one input of the spool (started by `serve`, one worker per input).",
        shouldDisplay: false
    )

    @Option(help: "The input's ledger row.")
    var entry: Int64

    @Option(help: "The stamp its report and archived input are named with.")
    var stamp: String

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
            entry: entry,
            stamp: stamp,
            configuration: configuration,
            spool: spool,
            stateDirectory: stateDir
        )
        throw ExitCode(code)
    }
}
