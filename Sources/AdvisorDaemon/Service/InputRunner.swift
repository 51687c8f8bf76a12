import AdvisorAnalysis
import AdvisorFormats
import AdvisorIngest
import AdvisorLedger
import AdvisorModel
import AdvisorReports
import Foundation
import Logging
import ServiceLifecycle

/// Runs one input end to end: a ledger row (one more attempt), the processing — in a worker
/// process when `worker` is given, else in this process — under a time limit, and the journal
/// entry. Returns what the loop counts, or nil when a spool or ledger failure left the input in
/// place (logged here). Cancellation (shutdown) abandons the input cleanly and is rethrown.
/// Proposals and data drops each have their own lane.
struct InputRunner: Sendable {
    let spool: SpoolDirectory
    let configuration: AdvisorConfiguration
    let ledger: Ledger
    /// How to start a worker process; nil processes in this process (tests, `analyze`).
    let worker: WorkerLaunch?
    /// The proposal lane's kept worker (nil in the data lane: a fresh worker per drop).
    var proposalWorker: WorkerSlot?
    let notifier: SystemdNotifier
    let logger: Logger

    enum Lane: String, Sendable {
        case proposals
        case analyses
    }

    static func lane(for name: String) -> Lane {
        DataDropAnalysis.isDataFile(name) ? .analyses : .proposals
    }

    /// What became of an input, for the loop's counts and status line (the journal entry is
    /// written where the input was processed).
    struct Finished: Sendable, Codable {
        var outcome: LedgerEntry.Outcome
        var experiment: String?
        var verdict: String?
        /// From a worker: its journal entry, for the daemon to log.
        var journal: JournalEntry?

        init(outcome: LedgerEntry.Outcome, experiment: String?, verdict: String?) {
            self.outcome = outcome
            self.experiment = experiment
            self.verdict = verdict
        }

        init(_ result: InputOutcome) {
            switch result {
            case .predicted(let p, _, _):
                self.init(outcome: .prediction, experiment: p.experiment, verdict: p.verdict.rawValue)
            case .verdict(let v, _, _):
                self.init(outcome: .verdict, experiment: v.experiment, verdict: v.verdict.rawValue)
            case .rejected(let experiment, _, _, _): self.init(outcome: .rejected, experiment: experiment, verdict: nil)
            }
        }
    }

    var processor: InputProcessor { InputProcessor(spool: spool, configuration: configuration, ledger: ledger) }

    func run(_ entry: SpoolDirectory.Entry) async throws -> Finished? {
        let lane = Self.lane(for: entry.name)
        let path = spool.incoming + "/" + entry.name
        let stamp = Stamp.now()
        guard entry.kind == .regular else {
            // Never opened (a pipe would block, a link could point anywhere): moved aside as it is.
            let error = InputError(
                file: path,
                field: nil,
                problem: "is \(entry.kind.rawValue), not a regular file, and was not read",
                fix:
                    "drop the file itself: write it elsewhere, then rename it into incoming/ (links are never followed)"
            )
            return try reject(entry, error)
        }
        // The producer may remove it between the scan and now: nothing to answer then. A file
        // that is there but cannot be read (mode 000, say) is still answered: its reader names why.
        guard let hash = ContentHash.ofFile(atPath: path) ?? (spool.isWaiting(entry.name) ? "unreadable" : nil) else {
            return nil
        }
        let row: LedgerEntry
        do {
            row = try ledger.begin(
                name: entry.name,
                lane: lane.rawValue,
                size: Int64(entry.size),
                contentHash: hash,
                inWorker: worker != nil
            )
        } catch {
            return spoolFailure(entry.name, SpoolError(error))
        }
        guard let id = row.id else { return nil }
        let limit = lane == .proposals ? configuration.jobTimeLimitSeconds : configuration.analysis.timeLimitSeconds
        if let worker {
            return try await runInWorker(entry, id: id, stamp: stamp, lane: lane, limit: limit, launch: worker)
        }
        do {
            let processor = processor
            let throttle = StatusThrottle(notifier)
            let outcome = try await withinTimeLimit(limit) {
                lane == .proposals
                    ? try await processor.process(entry, id: id, stamp: stamp)
                    : try await processor.processData(
                        entry,
                        id: id,
                        stamp: stamp,
                        progress: { throttle($0) }
                    )
            }
            JournalEntry(outcome, name: entry.name).log(to: logger)
            return Finished(outcome)
        } catch is CancellationError {
            _ = try? settle(id)
            try? ledger.abandoned(id)
            logAbandoned(entry.name)
            throw CancellationError()
        } catch is JobTimeout {
            return try rejectAfterWorker(entry, id: id, timeLimit(lane, limit, path: path), stamp: stamp)
        } catch let error as SpoolError {
            _ = try? settle(id)
            try? ledger.abandoned(id)
            return spoolFailure(entry.name, error)
        }
    }

    /// Rejects an entry that has no row yet (an odd file, an orphan manifest).
    func reject(_ entry: SpoolDirectory.Entry, _ error: InputError) throws -> Finished? {
        do {
            let row = try ledger.begin(
                name: entry.name,
                lane: Self.lane(for: entry.name).rawValue,
                size: Int64(entry.size),
                contentHash: "none: \(entry.kind == .regular ? "not read" : entry.kind.rawValue)"
            )
            guard let id = row.id else { return nil }
            let outcome = try processor.reject(entry.name, id: id, experiment: nil, error, stamp: Stamp.now())
            JournalEntry(outcome, name: entry.name).log(to: logger)
            return Finished(outcome)
        } catch let error as LedgerError {
            return spoolFailure(entry.name, SpoolError(error))
        } catch let error as SpoolError {
            return spoolFailure(entry.name, error)
        }
    }

    // MARK: - In a worker process

    func runInWorker(
        _ entry: SpoolDirectory.Entry,
        id: Int64,
        stamp: String,
        lane: Lane,
        limit: Double,
        launch: WorkerLaunch
    ) async throws -> Finished? {
        let oomKillsBefore = CgroupMemory.oomKills()
        // Proposals go to the lane's kept worker; a data drop gets a fresh one for itself.
        let notifier = notifier
        let start = { () throws(SpoolError) -> WorkerProcess in
            // A drop's progress becomes the service's STATUS= ("analyzing flu-2027: fitting
            // outcome models 7/23"); the worker itself may not speak to systemd.
            try WorkerProcess.start(
                executable: launch.executable,
                arguments: launch.arguments,
                progress: StatusThrottle(notifier).callAsFunction
            )
        }
        let process: WorkerProcess
        do throws(SpoolError) {
            if let slot = proposalWorker {
                process = try slot.worker(start)
            } else {
                process = try start()
            }
        } catch {
            try? ledger.abandoned(id)
            return spoolFailure(entry.name, error)
        }
        let kept = proposalWorker != nil
        guard process.send(entry: id, stamp: stamp) else {
            // It ended between two proposals (a limit it reached idle): the next input starts a new one.
            proposalWorker?.discard(process)
            try? ledger.abandoned(id)
            return spoolFailure(
                entry.name,
                SpoolError("send an input to its worker", path: launch.executable, code: EPIPE)
            )
        }
        if !kept { process.closeInput() }
        let tick = notifier.watchdogInterval
        let timedOut = SharedSetting(false)
        let reply: WorkerProcess.Reply
        do {
            reply = await cancelWhenGracefulShutdown {
                await withTaskGroup(of: Void.self) { group in
                    // The time limit, and the watchdog fed meanwhile: the loop is waiting, not stuck.
                    group.addTask {
                        let clock = ContinuousClock()
                        let deadline = clock.now + .seconds(limit)
                        while clock.now < deadline {
                            let step = min(tick ?? .seconds(limit), deadline - clock.now)
                            guard (try? await Task.sleep(for: step)) != nil else { return }
                            if tick != nil { notifier.watchdog() }
                        }
                        timedOut.value = true
                        process.kill()
                    }
                    // Cancelled (a shutdown): the worker is killed, and waited for, so nothing it
                    // was writing changes after this returns.
                    let reply = await withTaskCancellationHandler {
                        await process.reply()
                    } onCancel: {
                        process.kill()
                    }
                    group.cancelAll()
                    return reply
                }
            }
            try Task.checkCancellation()
            // Killed by the daemon, not by its time limit: the shutdown got there first.
            if case .exited(let exit) = reply, exit.killedByDaemon && !timedOut.value { throw CancellationError() }
        } catch {
            process.kill()
            _ = await process.exited()
            proposalWorker?.discard(process)
            _ = try? settle(id)
            try? ledger.abandoned(id)
            logAbandoned(entry.name)
            throw CancellationError()
        }
        let exit: WorkerProcess.Exit
        switch reply {
        case .line(let line):
            // `null`: the input was gone when the worker looked; nothing to count or log.
            let finished = try? JSONDecoder().decode(Finished?.self, from: Data(line))
            finished?.journal?.log(to: logger)
            return finished
        case .exited(let ended):
            exit = ended
        }
        proposalWorker?.discard(process)
        if timedOut.value {
            let path = spool.incoming + "/" + entry.name
            return try rejectAfterWorker(entry, id: id, timeLimit(lane, limit, path: path), stamp: stamp)
        }
        switch exit.code {
        case WorkerProcess.Code.spoolFailure?, WorkerProcess.Code.badArguments?, WorkerProcess.Code.done?:
            // The spool, the ledger or the configuration failed, not the input: it stays, and
            // what the worker had half written goes (a full disk can fail the second file of a set).
            _ = try? settle(id)
            try? ledger.abandoned(id)
            logger.error(
                "\(entry.name): its worker could not finish (\(exit.lastLine)); the input stays in incoming/ and is tried again at the next scan",
                metadata: AdvisorEvent.spoolError.metadata.merging([
                    MetadataKey.inputPath: "\(spool.incoming)/\(entry.name)", MetadataKey.error: "\(exit.lastLine)",
                ]) { $1 }
            )
            return nil
        default:
            break
        }
        let oomKilled = (CgroupMemory.oomKills() ?? 0) > (oomKillsBefore ?? 0)
        guard let reason = WorkerDeath.reason(exit, oomKilled: oomKilled, limits: configuration.worker) else {
            // A SIGKILL from outside with no sign of memory: the service itself is being killed
            // (`systemctl kill`), not the input's doing. Left in incoming/, to be taken again.
            logger.notice("\(entry.name): its worker was killed from outside; left in incoming/ to be tried again")
            _ = try? settle(id)
            return nil
        }
        let error = InputError(
            file: spool.incoming + "/" + entry.name,
            field: nil,
            problem: "its worker process \(reason.problem)",
            fix: reason.fix
        )
        return try rejectAfterWorker(entry, id: id, error, stamp: stamp)
    }

    /// After a worker ended early (or a time limit): what it had made durable is finished, what
    /// it had half written is removed, then the input is rejected with `error` — unless its
    /// report was already complete, in which case it is archived with it.
    func rejectAfterWorker(
        _ entry: SpoolDirectory.Entry,
        id: Int64,
        _ error: InputError,
        stamp: String
    ) throws -> Finished? {
        do {
            if let finished = try settle(id) { return finished }
            let companion =
                Self.lane(for: entry.name) == .analyses ? InputProcessor.manifestName(forData: entry.name) : nil
            let outcome = try processor.reject(
                entry.name,
                id: id,
                experiment: nil,
                error,
                stamp: stamp,
                companion: companion
            )
            JournalEntry(outcome, name: entry.name).log(to: logger)
            return Finished(outcome)
        } catch {
            return spoolFailure(entry.name, error)
        }
    }

    /// Brings row `id` to a state another start can act on: `written` is finished (the moves
    /// done; returns what was decided), `writing` has its half set removed (back to `started`).
    @discardableResult
    func settle(_ id: Int64) throws(SpoolError) -> Finished? {
        let processor = processor
        let found: LedgerEntry?
        do { found = try ledger.entry(id) } catch { throw SpoolError(error) }
        guard let row = found else { return nil }
        switch row.state {
        case .written:
            try processor.finishWritten(row)
            return row.outcome.map {
                Finished(outcome: $0, experiment: row.experiment, verdict: row.figures[MetadataKey.verdict])
            }
        case .writing:
            try processor.undoWriting(row, inWorker: worker != nil)
            return nil
        default:
            return nil
        }
    }

    func timeLimit(_ lane: Lane, _ limit: Double, path: String) -> InputError {
        let setting = lane == .proposals ? "job_time_limit_seconds" : "analysis.time_limit_seconds"
        return InputError(
            file: path,
            field: nil,
            problem: "processing took longer than \(setting) (\(NumberText.significant(limit)) s)",
            fix: lane == .proposals
                ? "lower prediction.prior_draws or prediction.lever_draws, or raise job_time_limit_seconds"
                : "lower analysis.boosting.max_rounds or the bootstrap counts, or raise analysis.time_limit_seconds"
        )
    }

    func logAbandoned(_ name: String) {
        logger.notice(
            "\(name): abandoned on shutdown, left in incoming/ for the next start",
            metadata: AdvisorEvent.abandoned.metadata.merging([
                MetadataKey.inputPath: "\(spool.incoming)/\(name)"
            ]) { $1 }
        )
    }

    func spoolFailure(_ name: String, _ error: SpoolError) -> Finished? {
        logger.error(
            "\(name): \(error); the input stays in incoming/ and is tried again at the next scan",
            metadata: AdvisorEvent.spoolError.metadata.merging([
                MetadataKey.inputPath: "\(spool.incoming)/\(name)", MetadataKey.error: "\(error)",
            ]) { $1 }
        )
        return nil
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
