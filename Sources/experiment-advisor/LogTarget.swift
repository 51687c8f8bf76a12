import AdvisorDaemon
import AdvisorFormats
import AdvisorReports
import ArgumentParser
import Foundation
import Logging

/// Where log entries go. Our own enum rather than a retroactive conformance on swift-log's types.
enum LogTarget: String, ExpressibleByArgument, CaseIterable {
    /// The journal under systemd (INVOCATION_ID or JOURNAL_STREAM set), standard error otherwise.
    case auto
    case journal
    case stderr

    /// The handler for this target. `journal` without a journal socket falls back to stderr,
    /// with a note saying so, rather than dropping every entry.
    func makeLogger(label: String = "experiment-advisor") -> Logger {
        let environment = ProcessInfo.processInfo.environment
        let underSystemd = environment["INVOCATION_ID"] != nil || environment["JOURNAL_STREAM"] != nil
        let wantsJournal = self == .journal || (self == .auto && underSystemd)
        if wantsJournal && JournaldLogHandler.isJournalAvailable {
            return Logger(label: label) { JournaldLogHandler(label: $0) }
        }
        let logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        if wantsJournal {
            logger.warning("no journal socket at /run/systemd/journal/socket: logging to standard error")
        }
        return logger
    }
}

/// The default configuration path, where `scripts/install.sh` installs it.
let defaultConfigurationPath = "/etc/experiment-advisor/experiment-advisor.yaml"
