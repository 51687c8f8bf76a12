import AdvisorAnalysis
import AdvisorLedger
import Foundation

/// The worker process's side (`experiment-advisor work`): processes the one input its ledger row
/// names, prints the outcome's summary and journal entry on standard output for the daemon to
/// count and log, and returns the exit code (`WorkerProcess.Code`).
public enum InputWorker {
    public static func run(
        entry id: Int64,
        stamp: String,
        configuration: AdvisorConfiguration,
        spool root: String,
        stateDirectory: String
    ) async -> Int32 {
        // A stop or a Ctrl-C reaches the whole service or terminal group; the daemon alone decides
        // what becomes of the input, and kills its worker itself (or the worker sees it gone).
        for signal in [SIGTERM, SIGINT, SIGHUP] { Glibc.signal(signal, SIG_IGN) }
        WorkerGuard.start(
            memoryLimitBytes: configuration.worker.memoryLimitBytes,
            cpuSeconds: configuration.worker.cpuSeconds
        )
        let spool = SpoolDirectory(root: root)
        let ledger: Ledger
        let row: LedgerEntry
        do {
            ledger = try Ledger(directory: stateDirectory)
            guard let found = try ledger.entry(id) else {
                WorkerGuard.say("experiment-advisor worker: no ledger row \(id) in \(ledger.path)")
                return WorkerProcess.Code.badArguments
            }
            row = found
        } catch {
            WorkerGuard.say("experiment-advisor worker: \(error)")
            return WorkerProcess.Code.spoolFailure
        }
        guard let entry = spool.entry(named: row.name) else {
            // Gone between the daemon's scan and now: nothing to answer.
            try? ledger.vanished(id)
            return WorkerProcess.Code.done
        }
        let processor = InputProcessor(spool: spool, configuration: configuration, ledger: ledger)
        do {
            let outcome =
                InputRunner.lane(for: row.name) == .proposals
                ? try await processor.process(entry, id: id, stamp: stamp)
                : try await processor.processData(entry, id: id, stamp: stamp)
            var finished = InputRunner.Finished(outcome)
            finished.journal = JournalEntry(outcome, name: row.name)
            let summary = try JSONEncoder().encode(finished)
            FileHandle.standardOutput.write(summary + Data("\n".utf8))
            return WorkerProcess.Code.done
        } catch {
            WorkerGuard.say("experiment-advisor worker: \(error)")
            return WorkerProcess.Code.spoolFailure
        }
    }
}
