import AdvisorAnalysis
import AdvisorModel
import AdvisorFormats
import AdvisorReports
import Foundation
import Logging
import ServiceLifecycle

/// Runs one input end to end: claim (crash marker), process under a time limit, clear the
/// marker. Returns the outcome for the loop to log and count, or nil when a spool failure left
/// the input in place (logged here). Cancellation (shutdown) abandons the input cleanly and is
/// rethrown. Proposals and data drops each have their own lane and crash marker.
struct InputRunner: Sendable {
    let spool: SpoolDirectory
    let configuration: AdvisorConfiguration
    /// Starts of an input before this one that ended with the daemon dying (from the markers
    /// found at start): this run is attempt `previousAttempts[name] + 1`.
    var previousAttempts: [String: Int] = [:]
    let notifier: SystemdNotifier
    let logger: Logger

    enum Lane: String, Sendable {
        case proposals
        case analyses

        var marker: String { self == .proposals ? ".in-progress" : ".in-progress-analysis" }
    }

    static func lane(for name: String) -> Lane {
        DataDropAnalysis.isDataFile(name) ? .analyses : .proposals
    }

    func run(_ entry: SpoolDirectory.Entry) async throws -> InputOutcome? {
        let lane = Self.lane(for: entry.name)
        let path = spool.incoming + "/" + entry.name
        let stamp = Stamp.now()
        let processor = InputProcessor(spool: spool, configuration: configuration)
        guard entry.kind == .regular else {
            // Never opened (a pipe would block, a link could point anywhere): moved aside as it is.
            let error = InputError(
                file: path,
                field: nil,
                problem: "is \(entry.kind.rawValue), not a regular file, and was not read",
                fix:
                    "drop the file itself: write it elsewhere, then rename it into incoming/ (links are never followed)"
            )
            return try processor.reject(entry.name, experiment: nil, error, stamp: stamp)
        }
        let limit = lane == .proposals ? configuration.jobTimeLimitSeconds : configuration.analysis.timeLimitSeconds
        do {
            try spool.markInProgress(
                entry.name,
                attempt: previousAttempts[entry.name, default: 0] + 1,
                marker: lane.marker
            )
            let outcome = try await withinTimeLimit(limit) {
                lane == .proposals
                    ? try await processor.process(entry, stamp: stamp)
                    : try await processor.processData(entry, stamp: stamp)
            }
            spool.clearInProgress(marker: lane.marker)
            return outcome
        } catch is CancellationError {
            spool.clearInProgress(marker: lane.marker)
            logger.notice(
                "\(entry.name): abandoned on shutdown, left in incoming/ for the next start",
                metadata: AdvisorEvent.abandoned.metadata.merging([MetadataKey.inputPath: "\(path)"]) { $1 }
            )
            throw CancellationError()
        } catch is JobTimeout {
            let setting = lane == .proposals ? "job_time_limit_seconds" : "analysis.time_limit_seconds"
            let error = InputError(
                file: path,
                field: nil,
                problem: "processing took longer than \(setting) (\(NumberText.significant(limit)) s)",
                fix: lane == .proposals
                    ? "lower prediction.prior_draws or prediction.lever_draws, or raise job_time_limit_seconds"
                    : "lower analysis.boosting.max_rounds or the bootstrap counts, or raise analysis.time_limit_seconds"
            )
            let outcome = try processor.reject(entry.name, experiment: nil, error, stamp: stamp)
            if lane == .analyses {
                // The drop's manifest goes with it, not left to be applied to another drop of the name.
                let manifest = (ManifestFile.path(forData: entry.name) as NSString).lastPathComponent
                try spool.moveCompanion(manifest, to: spool.rejected, stamp: stamp)
            }
            spool.clearInProgress(marker: lane.marker)
            return outcome
        } catch let error as SpoolError {
            spool.clearInProgress(marker: lane.marker)
            logger.error(
                "\(entry.name): \(error); the input stays in incoming/ and is tried again at the next scan",
                metadata: AdvisorEvent.spoolError.metadata.merging([
                    MetadataKey.inputPath: "\(path)", MetadataKey.error: "\(error)",
                ]) { $1 }
            )
            return nil
        }
    }

    struct JobTimeout: Error {}

    /// Runs `operation` until it finishes, graceful shutdown cancels it, or `seconds` pass
    /// (`JobTimeout`). Meanwhile the watchdog keeps being fed: the loop is waiting, not stuck.
    func withinTimeLimit(
        _ seconds: Double,
        _ operation: @escaping @Sendable () async throws -> InputOutcome
    ) async throws -> InputOutcome {
        let limit = Duration.seconds(seconds)
        let tick = notifier.watchdogInterval
        let notifier = notifier
        return try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: InputOutcome?.self) { group in
                group.addTask { try await operation() }
                group.addTask {
                    let clock = ContinuousClock()
                    let deadline = clock.now + limit
                    while clock.now < deadline {
                        try await Task.sleep(for: min(tick ?? limit, deadline - clock.now))
                        if tick != nil { notifier.watchdog() }
                    }
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let outcome = first else { throw JobTimeout() }
                return outcome
            }
        }
    }
}
