import AdvisorAnalysis
import AdvisorModel
import AdvisorFormats
import AdvisorReports
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The mutable state of the daemon's one loop and what it does on each wake-up: scan, process,
/// log, report status, reload. Owned by `SpoolService.run()`; never shared between tasks.
struct SpoolLoop {
    let options: SpoolService.Options
    let notifier: SystemdNotifier
    let watchdogEnabled: Bool
    var logger: Logger
    var configuration: AdvisorConfiguration
    let spool: SpoolDirectory
    /// Names inotify reported closed or renamed in: finished, no need to wait for them to settle.
    var announced: Set<String> = []
    /// Read by the periodic rescan task; a reload may change it.
    let rescanInterval: SharedSetting<Duration>
    var counts = Counts()
    var last: String?
    /// Where data drops go to be analyzed beside proposals (nil with `--once`: inline).
    /// Each job carries the runner (configuration) current when it was queued.
    var analysisLane: AsyncStream<(SpoolDirectory.Entry, InputRunner)>.Continuation?
    /// Data drops handed to the lane and not finished yet, so a rescan does not queue them twice.
    var queuedAnalyses: Set<String> = []
    /// Inputs that were in flight when the daemon died, with how often they had been started.
    var retries: [String: Int] = [:]

    struct Counts: CustomStringConvertible {
        var reports = 0
        var verdicts = 0
        var rejected = 0
        var description: String { "\(reports) reports, \(verdicts) verdicts, \(rejected) rejected" }
    }

    /// Creates the spool and deals with an input a crash left half-processed.
    init(service: SpoolService) throws(SpoolError) {
        options = service.options
        notifier = service.notifier
        watchdogEnabled = service.notifier.watchdogInterval != nil
        logger = service.logger
        configuration = service.configuration
        spool = service.spool
        rescanInterval = SharedSetting(.seconds(configuration.rescanIntervalSeconds))
        try spool.create()
        for path in spool.removeStaleTemporaries() {
            logger.notice("removed \(path): a temporary an interrupted write left behind")
        }
        try rejectLeftover()
    }

    var status: String {
        "watching \(spool.incoming); since start: \(counts)" + (last.map { "; last: \($0)" } ?? "")
            + (queuedAnalyses.isEmpty ? "" : "; analyzing \(queuedAnalyses.sorted().joined(separator: ", "))")
    }

    /// The lane finished `name`: count and log its outcome, and let a rescan see it again.
    mutating func analysisFinished(_ name: String, _ outcome: InputOutcome?) {
        queuedAnalyses.remove(name)
        retries[name] = nil
        announced.remove(name)
        if let outcome { log(outcome, name: name) }
        notifier.status(status)
    }

    /// Runs `scan()`; on graceful shutdown or cancellation it returns nil instead of throwing,
    /// because then the loop is ending anyway and the abandoned input is already logged.
    mutating func scanUnlessShuttingDown() async throws -> Duration? {
        do {
            return try await scan()
        } catch is CancellationError {
            return nil
        }
    }

    /// Processes every finished input in `incoming/`, oldest first. Returns when to look again
    /// for files that have not settled yet (nil: none waiting).
    mutating func scan() async throws -> Duration? {
        let entries = try spool.pendingEntries()
        announced.formIntersection(entries.map(\.name))
        var retry: Duration?
        for entry in entries {
            // A manifest waits in incoming/ for its data file, which takes it along (one that is
            // not a regular file is rejected like any other odd entry).
            if entry.kind == .regular && entry.name.hasSuffix(DataDropAnalysis.manifestSuffix) {
                try rejectIfOrphaned(entry, among: entries)
                continue
            }
            if queuedAnalyses.contains(entry.name) { continue }
            let age = Date().timeIntervalSince(entry.modified)
            if !announced.contains(entry.name) && age < configuration.settleSeconds {
                let wait = Duration.seconds(configuration.settleSeconds - age) + .milliseconds(20)
                retry = min(retry ?? wait, wait)
                continue
            }
            if let lane = analysisLane, entry.kind == .regular, InputRunner.lane(for: entry.name) == .analyses {
                queuedAnalyses.insert(entry.name)
                lane.yield((entry, runner))
                notifier.status(status)
                continue
            }
            try await process(entry)
            announced.remove(entry.name)
            if watchdogEnabled { notifier.watchdog() }
        }
        return retry
    }

    /// A manifest whose data file (`NAME.csv` or `NAME.csv.gz`) has not arrived within
    /// `manifest_wait_seconds` is rejected, naming the data file it waited for.
    mutating func rejectIfOrphaned(_ entry: SpoolDirectory.Entry, among entries: [SpoolDirectory.Entry]) throws {
        let stem = String(entry.name.dropLast(DataDropAnalysis.manifestSuffix.count))
        let data = [stem + ".csv", stem + ".csv.gz"]
        guard !entries.contains(where: { data.contains($0.name) }),
            Date().timeIntervalSince(entry.modified) > configuration.manifestWaitSeconds
        else { return }
        let error = InputError(
            file: spool.incoming + "/" + entry.name,
            field: nil,
            problem:
                "its data file (\(data[0]) or \(data[1])) has not arrived within manifest_wait_seconds (\(NumberText.significant(configuration.manifestWaitSeconds)) s)",
            fix: "drop the data file with its manifest (the manifest first, then the data), or remove the manifest"
        )
        let processor = InputProcessor(spool: spool, configuration: configuration)
        log(try processor.reject(entry.name, experiment: nil, error, stamp: Stamp.now()), name: entry.name)
    }

    /// One proposal (or, with `--once`, one data drop), from claim to log entry.
    mutating func process(_ entry: SpoolDirectory.Entry) async throws {
        notifier.status("processing \(entry.name); since start: \(counts)")
        let outcome = try await runner.run(entry)
        retries[entry.name] = nil
        if let outcome { log(outcome, name: entry.name) }
        notifier.status(status)
    }

    var runner: InputRunner {
        InputRunner(
            spool: spool,
            configuration: configuration,
            previousAttempts: retries,
            notifier: notifier,
            logger: logger
        )
    }

    /// One journal entry per input, readable in one line, with the fields teams filter on.
    mutating func log(_ outcome: InputOutcome, name: String) {
        switch outcome {
        case .predicted(let p, let reports, let archived):
            counts.reports += 1
            last = "\(p.experiment) \(p.verdict.rawValue)"
            var metadata = Self.decisionMetadata(
                .prediction,
                experiment: p.experiment,
                verdict: p.verdict.rawValue,
                relativeGain: p.relativeGain,
                action: PredictionWording.action(p),
                report: reports.first ?? "",
                archived: archived
            )
            metadata[MetadataKey.predictedGain] = "\(p.gain.mean)"
            logger.info(
                "\(PredictionWording.journalMessage(p))",
                metadata: metadata
            )
        case .verdict(let v, let reports, let archived):
            counts.verdicts += 1
            last = "\(v.experiment) \(v.verdict.rawValue)"
            var metadata = Self.decisionMetadata(
                .verdict,
                experiment: v.experiment,
                verdict: v.verdict.rawValue,
                relativeGain: v.realized.relativeGain,
                action: VerdictWording.action(v),
                report: reports.first ?? "",
                archived: archived
            )
            metadata[MetadataKey.realizedGain] = "\(v.realized.gain)"
            metadata[MetadataKey.realizedGainSE] = "\(v.realized.standardError)"
            metadata[MetadataKey.predictedGain] = "\(v.predicted.gain)"
            metadata[MetadataKey.policy] = "\(v.policy)"
            metadata[MetadataKey.bestUniformArm] = "\(v.bestUniformArm)"
            if let policyFile = reports.first(where: { $0.hasSuffix(VerdictReport.policyFileSuffix) }) {
                metadata[MetadataKey.policyFile] = "\(policyFile)"
            }
            logger.info(
                "\(VerdictWording.journalMessage(v))",
                metadata: metadata
            )
        case .rejected(let experiment, let error, let input, let errorFile):
            counts.rejected += 1
            last = "\(name) rejected"
            var metadata = AdvisorEvent.rejected.metadata
            if let experiment { metadata[MetadataKey.experimentID] = "\(experiment)" }
            metadata[MetadataKey.inputPath] = "\(input)"
            metadata[MetadataKey.errorPath] = "\(errorFile)"
            metadata[MetadataKey.error] = "\(error)"
            if let field = error.field { metadata[MetadataKey.field] = "\(field)" }
            logger.warning("\(name) rejected: \(error)", metadata: metadata)
        }
    }

    /// The fields every decision's journal entry carries, prediction or verdict, so
    /// `journalctl EXPERIMENT_ID=… VERDICT=…` finds both kinds the same way.
    static func decisionMetadata(
        _ event: AdvisorEvent,
        experiment: String,
        verdict: String,
        relativeGain: Double?,
        action: String,
        report: String,
        archived: String
    ) -> Logger.Metadata {
        var metadata = event.metadata
        metadata[MetadataKey.experimentID] = "\(experiment)"
        metadata[MetadataKey.verdict] = "\(verdict)"
        if let relativeGain { metadata[MetadataKey.relativeGain] = "\(relativeGain)" }
        metadata[MetadataKey.recommendation] = "\(action)"
        metadata[MetadataKey.reportPath] = "\(report)"
        metadata[MetadataKey.inputPath] = "\(archived)"
        return metadata
    }

    /// SIGHUP: re-read the configuration; keep the old one if the new one is invalid.
    mutating func reload() {
        notifier.reloading(status: "reloading the configuration")
        defer { notifier.ready(status: status) }
        guard let path = options.configurationPath else {
            logger.notice(
                "reload: no configuration file was given (--config), the built-in defaults stay",
                metadata: AdvisorEvent.reloaded.metadata
            )
            return
        }
        let updated: AdvisorConfiguration
        do {
            updated = try ConfigurationFile.load(path: path)
        } catch {
            logger.error(
                "reload failed, still running on the previous configuration: \(error)",
                metadata: AdvisorEvent.reloadFailed.metadata.merging([MetadataKey.error: "\(error)"]) { $1 }
            )
            notifier.status("reload failed (\(error.problem)); still running on the previous configuration")
            return
        }
        if options.spoolOverride == nil && SpoolDirectory(root: updated.spool).root != spool.root {
            logger.warning("reload: a new spool (\(updated.spool)) takes a restart; still watching \(spool.root)")
        }
        configuration = updated
        logger.logLevel = Logger.Level(updated.logLevel)
        rescanInterval.value = .seconds(updated.rescanIntervalSeconds)
        logger.notice("configuration reloaded from \(path)", metadata: AdvisorEvent.reloaded.metadata)
    }

    /// An input named by an in-progress marker was in flight when the daemon died: a crash it
    /// caused, or a kill, an out-of-memory kill or a stop timeout that had nothing to do with it.
    /// One cannot be told from the other here, so it is tried again, up to `max_attempts` starts
    /// in all; an input that was in flight at every one of them is rejected, naming the attempts,
    /// so a file that crashes the daemon cannot crash-loop it.
    mutating func rejectLeftover() throws(SpoolError) {
        for lane in [InputRunner.Lane.proposals, .analyses] {
            guard let (name, attempts) = spool.leftoverInProgress(marker: lane.marker) else { continue }
            if attempts < configuration.maxAttempts {
                retries[name] = attempts
                logger.notice(
                    "\(name): in flight when the advisor last stopped; trying it again (attempt \(attempts + 1) of \(configuration.maxAttempts))",
                    metadata: AdvisorEvent.abandoned.metadata.merging([
                        MetadataKey.inputPath: "\(spool.incoming)/\(name)"
                    ]) { $1 }
                )
                continue
            }
            let error = InputError(
                file: spool.incoming + "/" + name,
                field: nil,
                problem:
                    "the advisor stopped unexpectedly (crash, kill or out of memory) while processing this file, \(attempts == 1 ? "on its only attempt" : "on each of its \(attempts) attempts")",
                fix:
                    "see `journalctl -u experiment-advisor` around those times; if the file looks right, drop it again, and if it fails again report a bug with the file attached"
            )
            let stamp = Stamp.now()
            let moved = try spool.rejectInput(
                name,
                stamp: stamp,
                explanation: InputProcessor.explanation(error, name: name)
            )
            if lane == .analyses {
                let manifest = (ManifestFile.path(forData: name) as NSString).lastPathComponent
                try spool.moveCompanion(manifest, to: spool.rejected, stamp: stamp)
            }
            spool.clearInProgress(marker: lane.marker)
            log(.rejected(experiment: nil, error: error, input: moved.input, errorFile: moved.error), name: name)
        }
    }
}

/// A setting the loop changes on reload and another task reads (the rescan interval).
final class SharedSetting<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
