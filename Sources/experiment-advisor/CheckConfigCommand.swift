import AdvisorAnalysis
import AdvisorFormats
import AdvisorReports
import ArgumentParser

/// `experiment-advisor check-config [PATH]`: validate before `systemctl reload`.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file; exit 0 if the daemon would accept it, 2 if not."
    )

    @Argument(help: "The configuration file (default: \(defaultConfigurationPath)).")
    var path: String = defaultConfigurationPath

    func run() throws {
        do {
            let configuration = try ConfigurationFile.load(path: path)
            print("\(path): OK (spool \(configuration.spool), log level \(configuration.logLevel.rawValue))")
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}
