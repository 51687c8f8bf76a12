import AdvisorAnalysis
import AdvisorFormats
import AdvisorLedger
import Foundation

/// The worker process's side (`experiment-advisor work`): reads `ID STAMP` lines from standard
/// input, processes the input each ledger row names, and answers each with one line on standard
/// output (the outcome's summary and journal entry, for the daemon to count and log). Returns
/// the exit code (`WorkerProcess.Code`) when its input ends or the spool fails.
public enum InputWorker {
    public static func run(
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
        do {
            ledger = try Ledger(directory: stateDirectory, checked: false)
        } catch {
            WorkerGuard.say("experiment-advisor worker: \(error)")
            return WorkerProcess.Code.spoolFailure
        }
        let processor = InputProcessor(spool: spool, configuration: configuration, ledger: ledger)
        // A drop's models leave one core to the proposal lane ("all" means all but one here), so
        // a proposal dropped during a long analysis is answered in about its usual time.
        let dataProcessor = InputProcessor(
            spool: spool,
            configuration: configuration.leavingOneCore(of: ProcessInfo.processInfo.activeProcessorCount),
            ledger: ledger
        )
        while let line = readLine(strippingNewline: true) {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let id = Int64(parts[0]) else {
                WorkerGuard.say("experiment-advisor worker: not a request: \(InputError.excerpt(line))")
                return WorkerProcess.Code.badArguments
            }
            let code = await answer(
                id: id,
                stamp: String(parts[1]),
                processors: (processor, dataProcessor),
                ledger: ledger
            )
            if code != WorkerProcess.Code.done { return code }
        }
        return WorkerProcess.Code.done
    }

    static func answer(
        id: Int64,
        stamp: String,
        processors: (proposals: InputProcessor, data: InputProcessor),
        ledger: Ledger
    ) async -> Int32 {
        let row: LedgerEntry
        do {
            guard let found = try ledger.entry(id) else {
                WorkerGuard.say("experiment-advisor worker: no ledger row \(id) in \(ledger.path)")
                return WorkerProcess.Code.badArguments
            }
            row = found
        } catch {
            WorkerGuard.say("experiment-advisor worker: \(error)")
            return WorkerProcess.Code.spoolFailure
        }
        let finished: InputRunner.Finished?
        if let entry = processors.proposals.spool.entry(named: row.name) {
            do {
                let outcome =
                    InputRunner.lane(for: row.name) == .proposals
                    ? try await processors.proposals.process(entry, id: id, stamp: stamp)
                    : try await processors.data.processData(entry, id: id, stamp: stamp) { line in
                        // Before the answer, on the same pipe: a `#` line is never an answer.
                        FileHandle.standardOutput.write(Data((WorkerProcess.progressPrefix + line + "\n").utf8))
                    }
                var done = InputRunner.Finished(outcome)
                done.journal = JournalEntry(outcome, name: row.name)
                finished = done
            } catch {
                WorkerGuard.say("experiment-advisor worker: \(error)")
                return WorkerProcess.Code.spoolFailure
            }
        } else {
            // Gone between the daemon's scan and now: nothing to answer.
            try? ledger.vanished(id)
            finished = nil
        }
        guard let summary = try? JSONEncoder().encode(finished) else { return WorkerProcess.Code.spoolFailure }
        FileHandle.standardOutput.write(summary + Data("\n".utf8))
        return WorkerProcess.Code.done
    }
}
