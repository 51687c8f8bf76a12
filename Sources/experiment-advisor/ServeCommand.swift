import AdvisorAnalysis
import AdvisorDaemon
import AdvisorFormats
import AdvisorReports
import ArgumentParser
import Foundation
import Logging

/// `experiment-advisor serve`: the daemon. All wiring lives in AdvisorDaemon; this only reads
/// options, loads the configuration and starts the service group.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Watch the spool and answer every proposal dropped into incoming/.",
        discussion: """
            Producers write a file elsewhere (or as NAME.part or .NAME) and rename it into incoming/.
            Reports appear in reports/EXPERIMENT/, inputs move to archive/ or, with an error file, to rejected/.
            SIGHUP reloads the configuration; SIGTERM stops after the current input or leaves it in incoming/.
            """
    )

    @Option(help: "Configuration file (default: \(defaultConfigurationPath) if it exists, else built-in defaults).")
    var config: String?

    @Option(help: "Spool directory; overrides the configuration's 'spool'.")
    var spool: String?

    @Option(help: "State directory for the ledger; overrides the configuration's 'state_directory'.")
    var stateDir: String?

    @Flag(help: "Process each input in this process instead of a worker process (for debugging).")
    var inProcess = false

    @Flag(help: "Process what is in incoming/ now, then exit 0.")
    var once = false

    @Option(help: "Where logs go: auto (journal under systemd, else stderr), journal or stderr.")
    var logTarget: LogTarget = .auto

    func run() async throws {
        let logger = logTarget.makeLogger()
        let path =
            config
            ?? (FileManager.default.fileExists(atPath: defaultConfigurationPath) ? defaultConfigurationPath : nil)
        var configuration = AdvisorConfiguration()
        var text: String?
        do {
            if let path { (configuration, text) = try ConfigurationFile.loadWithText(path: path) }
        } catch {
            logger.critical("configuration rejected: \(error)")
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let service = SpoolService(
            configuration: configuration,
            options: options(configurationPath: path, text: text),
            logger: logger,
            notifier: SystemdNotifier()
        )
        do {
            if once {
                try await service.runOnce()
            } else {
                try await service.runUntilStopped()
            }
        } catch {
            logger.critical("stopped: \(error)")
            printError("error: \(error)")
            throw ExitCode.failure
        }
    }

    func options(configurationPath: String?, text: String?) -> SpoolService.Options {
        var options = SpoolService.Options(
            configurationPath: configurationPath,
            spoolOverride: spool,
            stateDirectoryOverride: stateDir,
            workerExecutable: inProcess ? nil : Self.executablePath
        )
        // Workers are given absolute paths: the daemon's working directory is not theirs to rely on.
        if let spool { options.spoolOverride = Self.absolute(spool) }
        if let stateDir { options.stateDirectoryOverride = Self.absolute(stateDir) }
        if let configurationPath { options.configurationPath = Self.absolute(configurationPath) }
        options.configurationText = text
        return options
    }

    /// This binary, by /proc/self/exe (a worker runs the same build as the daemon).
    static var executablePath: String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
