import AdvisorAnalysis
import AdvisorModel
import AdvisorFormats
import AdvisorLedger
import AdvisorReports
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The mutable state of the daemon's one loop and what it does on each wake-up: scan, process,
/// log, report status, reload. Owned by `SpoolService.run()`; never shared between tasks.
struct SpoolLoop {
    let options: SpoolService.Options
    let worker: WorkerLaunch?
    let notifier: SystemdNotifier
    let watchdogEnabled: Bool
    var logger: Logger
    var configuration: AdvisorConfiguration
    let spool: SpoolDirectory
    /// One row per input; outside the spool (`--state-dir`, the unit's StateDirectory=).
    let ledger: Ledger
    /// Names inotify reported closed or renamed in: finished, no need to wait for them to settle.
    var announced: Set<String> = []
    /// Names inotify saw written to and not closed since: open for writing, never taken.
    var beingWritten: Set<String> = []
    /// Read by the periodic rescan task; a reload may change it.
    let rescanInterval: SharedSetting<Duration>
    var counts = Counts()
    var last: String?
    /// Where data drops go to be analyzed beside proposals (nil with `--once`: inline).
    /// Each job carries the runner (configuration) current when it was queued.
    var analysisLane: AsyncStream<(SpoolDirectory.Entry, InputRunner)>.Continuation?
    /// Data drops handed to the lane and not finished yet, so a rescan does not queue them twice.
    var queuedAnalyses: Set<String> = []
    /// What `reports/index.html` shows, read from the ledger at start and kept up to date here
    /// (the loop sees every outcome), so a report costs one small ledger read, not a full one.
    var index = ExperimentIndex()
    /// The index changed since it was last written, and when that was: in a burst of inputs it
    /// is written at most once a second, and at the end of each scan.
    var indexChanged = false
    var indexWritten: ContinuousClock.Instant?

    struct Counts: CustomStringConvertible {
        var reports = 0
        var verdicts = 0
        var rejected = 0
        var description: String { "\(reports) reports, \(verdicts) verdicts, \(rejected) rejected" }
    }

    /// Creates the spool and deals with an input a crash left half-processed.
    init(service: SpoolService) throws(SpoolError) {
        options = service.options
        worker = service.worker
        notifier = service.notifier
        watchdogEnabled = service.notifier.watchdogInterval != nil
        logger = service.logger
        configuration = service.configuration
        spool = service.spool
        rescanInterval = SharedSetting(.seconds(configuration.rescanIntervalSeconds))
        try spool.create()
        do { ledger = try Ledger(directory: service.stateDirectory) } catch { throw SpoolError(error) }
        for path in spool.removeStaleTemporaries() {
            logger.notice("removed \(path): a temporary an interrupted write left behind")
        }
        try recover()
        if let text = options.configurationText { try snapshotConfiguration(text) }
        do {
            index = ExperimentIndex(ledger: try ledger.history())
        } catch {
            logger.error("the report index starts empty: the ledger could not be read (\(error))")
        }
        indexChanged = true
        flushIndex()
    }

    /// Writes the index if it changed (`force: false`: only if the last write is a second old).
    mutating func flushIndex(force: Bool = true) {
        guard indexChanged else { return }
        if !force, let last = indexWritten, ContinuousClock.now - last < .seconds(1) { return }
        writeIndex()
        indexChanged = false
        indexWritten = ContinuousClock.now
    }

    /// Rewrites `reports/index.html` atomically (readers see the old page or the new one). It is
    /// derived from the ledger, so it is not synced: a power cut loses at most the last rewrite,
    /// which the next report repeats. A failure is logged and never touches the input or its
    /// reports.
    func writeIndex() {
        do {
            try SpoolDirectory.writeAtomically(index.html(), to: spool.index, durable: false)
        } catch {
            logger.error(
                "could not write the report index \(spool.index): \(error); the reports themselves are written",
                metadata: [MetadataKey.error: "\(error)"]
            )
        }
    }

    /// Workers read the configuration the daemon runs on, not the file it came from: a file
    /// edited into something invalid (kept out by reload) must not stop every input's worker.
    /// The snapshot lives in the state directory, written when the daemon takes a configuration.
    func snapshotConfiguration(_ text: String) throws(SpoolError) {
        guard let worker else { return }
        try SpoolDirectory.writeAtomically(text, to: worker.configurationSnapshot)
    }

    var status: String {
        "watching \(spool.incoming); since start: \(counts)" + (last.map { "; last: \($0)" } ?? "")
            + (queuedAnalyses.isEmpty ? "" : "; analyzing \(queuedAnalyses.sorted().joined(separator: ", "))")
    }

    /// The lane finished `name`: count and log its outcome, and let a rescan see it again.
    mutating func analysisFinished(_ name: String, _ finished: InputRunner.Finished?) {
        queuedAnalyses.remove(name)
        announced.remove(name)
        if let finished { count(finished, name: name) }
        flushIndex()
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
        beingWritten.formIntersection(entries.map(\.name))
        var retry: Duration?
        for entry in entries {
            // A manifest waits in incoming/ for its data file, which takes it along (one that is
            // not a regular file is rejected like any other odd entry).
            if entry.kind == .regular && entry.name.hasSuffix(DataDropAnalysis.manifestSuffix) {
                try rejectIfOrphaned(entry, among: entries)
                continue
            }
            if queuedAnalyses.contains(entry.name) { continue }
            // Still open for writing (its close will announce it): not taken, whatever its age.
            if beingWritten.contains(entry.name) { continue }
            let age = Date().timeIntervalSince(entry.modified)
            if !announced.contains(entry.name) && age < configuration.settleSeconds {
                let wait = Duration.seconds(configuration.settleSeconds - age) + .milliseconds(20)
                retry = min(retry ?? wait, wait)
                continue
            }
            if let lane = analysisLane, entry.kind == .regular, InputRunner.lane(for: entry.name) == .analyses {
                queuedAnalyses.insert(entry.name)
                lane.yield((entry, runner(keepWorker: false)))
                notifier.status(status)
                continue
            }
            try await process(entry)
            announced.remove(entry.name)
            if watchdogEnabled { notifier.watchdog() }
        }
        flushIndex()
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
        if let finished = try runner(keepWorker: false).reject(entry, error) { count(finished, name: entry.name) }
    }

    /// One proposal (or, with `--once`, one data drop), from claim to log entry.
    mutating func process(_ entry: SpoolDirectory.Entry) async throws {
        notifier.status("processing \(entry.name); since start: \(counts)")
        let runner = runner(keepWorker: InputRunner.lane(for: entry.name) == .proposals)
        if let finished = try await runner.run(entry) { count(finished, name: entry.name) }
        notifier.status(status)
    }

    /// The proposal lane's worker, kept between proposals (`runner`); the data lane's runners
    /// start one per drop.
    let proposalWorker = WorkerSlot()

    /// A runner for the proposal lane (`keepWorker`), or for one data drop.
    func runner(keepWorker: Bool) -> InputRunner {
        InputRunner(
            spool: spool,
            configuration: configuration,
            ledger: ledger,
            worker: worker,
            proposalWorker: keepWorker ? proposalWorker : nil,
            notifier: notifier,
            logger: logger
        )
    }

    /// Counts what became of an input, for the status line.
    mutating func count(_ finished: InputRunner.Finished, name: String) {
        switch finished.outcome {
        case .prediction: counts.reports += 1
        case .verdict: counts.verdicts += 1
        case .rejected: counts.rejected += 1
        }
        last =
            finished.outcome == .rejected
            ? "\(name) rejected" : "\(finished.experiment ?? name) \(finished.verdict ?? "")"
        if finished.outcome != .rejected, let experiment = finished.experiment {
            do {
                try index.refresh(experiment, from: ledger)
            } catch {
                logger.error("the report index may miss \(experiment)'s latest report: \(error)")
            }
            indexChanged = true
            flushIndex(force: false)
        }
        if finished.outcome == .rejected {
            do {
                try index.refreshRejections(from: ledger)
            } catch {
                logger.error("the report index may miss the rejection of \(name): \(error)")
            }
            indexChanged = true
            flushIndex(force: false)
        }
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
        let text: String
        do {
            text = try YAMLReader.text(atPath: path, fix: "check the file given with --config")
            updated = try ConfigurationFile.parse(text, file: path)
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
        do {
            try snapshotConfiguration(text)
        } catch {
            logger.error("reload failed, still running on the previous configuration: \(error)")
            return
        }
        configuration = updated
        // The kept worker read the old configuration: the next proposal starts one on the new.
        proposalWorker.retire()
        logger.logLevel = Logger.Level(updated.logLevel)
        rescanInterval.value = .seconds(updated.rescanIntervalSeconds)
        logger.notice("configuration reloaded from \(path)", metadata: AdvisorEvent.reloaded.metadata)
    }

    /// Finishes or retries what the ledger says was under way when the daemon last stopped:
    ///
    /// - `written` (the report set or error file is durable): the input is moved to where the row
    ///   says, instead of being answered a second time;
    /// - `writing` (a set half written): its files are removed and the input is tried again;
    /// - `working` (a worker had it when the daemon died: a kill of the service, a power cut):
    ///   tried again, not counted against the input — an input that kills its worker is rejected
    ///   at once with the reason, so a daemon death is never the input's doing;
    /// - `started` (the daemon itself had it: in-process mode): tried again, up to `max_attempts`
    ///   starts in all; an input in flight at every one of them is rejected, naming the attempts,
    ///   so a file that crashes the daemon cannot crash-loop it.
    mutating func recover() throws(SpoolError) {
        // The markers of earlier versions: the ledger replaces them.
        for marker in [".in-progress", ".in-progress-analysis"] { unlink(spool.root + "/" + marker) }
        let unfinished: [LedgerEntry]
        do { unfinished = try ledger.unfinished() } catch { throw SpoolError(error) }
        let processor = InputProcessor(spool: spool, configuration: configuration, ledger: ledger)
        for entry in unfinished {
            guard let id = entry.id else { continue }
            let path = spool.incoming + "/" + entry.name
            switch entry.state {
            case .written:
                try processor.finishWritten(entry)
                logger.notice(
                    "\(entry.name): its \(entry.outcome == .rejected ? "error file" : "report") was written before the advisor last stopped; moved it to \(entry.destination ?? "its place") instead of answering it again",
                    metadata: AdvisorEvent.abandoned.metadata.merging([MetadataKey.inputPath: "\(path)"]) { $1 }
                )
                continue
            case .writing:
                // Written by a worker when this daemon runs workers: the death was not the input's.
                try processor.undoWriting(entry, inWorker: worker != nil)
                logger.notice(
                    "\(entry.name): removed the half-written \(entry.files.count)-file set of an interrupted write"
                )
            case .abandoned, .started, .working:
                break
            default:
                continue
            }
            guard spool.isWaiting(entry.name) else {
                try processor.recorded { try ledger.vanished(id) }
                continue
            }
            if entry.state == .working || (entry.state == .writing && worker != nil) {
                // A worker had it when the daemon died (a kill of the service, a power cut): not
                // the input's doing, so not counted against it.
                try processor.recorded { try ledger.abandoned(id) }
                logger.notice(
                    "\(entry.name): was being processed in a worker when the advisor last stopped; trying it again",
                    metadata: AdvisorEvent.abandoned.metadata.merging([MetadataKey.inputPath: "\(path)"]) { $1 }
                )
                continue
            }
            guard entry.state != .abandoned else { continue }
            let attempts = entry.attempts
            if attempts < configuration.maxAttempts {
                logger.notice(
                    "\(entry.name): in flight when the advisor last stopped; trying it again (attempt \(attempts + 1) of \(configuration.maxAttempts))",
                    metadata: AdvisorEvent.abandoned.metadata.merging([MetadataKey.inputPath: "\(path)"]) { $1 }
                )
                continue
            }
            let error = InputError(
                file: path,
                field: nil,
                problem:
                    "the advisor stopped unexpectedly (crash, kill or out of memory) while processing this file, \(attempts == 1 ? "on its only attempt" : "on each of its \(attempts) attempts")",
                fix:
                    "see `journalctl -u experiment-advisor` around those times; if the file looks right, drop it again, and if it fails again report a bug with the file attached"
            )
            let companion =
                entry.lane == InputRunner.Lane.analyses.rawValue
                ? InputProcessor.manifestName(forData: entry.name) : nil
            let outcome = try processor.reject(
                entry.name,
                id: id,
                experiment: nil,
                error,
                stamp: Stamp.now(),
                companion: companion
            )
            JournalEntry(outcome, name: entry.name).log(to: logger)
            count(InputRunner.Finished(outcome), name: entry.name)
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
