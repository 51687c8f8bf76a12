import AdvisorLedger
import AdvisorReports
import Foundation
import Testing

/// Worker processes with the real binary: a worker that runs out of memory or crashes is the
/// input's answer, a daemon killed with SIGKILL takes its worker with it, and the input it had in
/// flight is answered once at the next start. Processes are killed only by their own pid.
@Suite("Worker processes", .serialized)
struct WorkerProcessTests {
    /// The children of `pid` (by /proc/PID/stat's parent field).
    static func children(of pid: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name -> pid_t? in
            guard let child = pid_t(name),
                let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && pid_t(fields[1]) == pid ? child : nil
        }
    }

    /// The daemon's worker, once it has one (within 20 s).
    static func worker(of daemon: AdvisorProcess) throws -> pid_t {
        var worker: pid_t?
        _ = waitFor(20) {
            worker = children(of: daemon.process.processIdentifier).first
            return worker != nil
        }
        return try #require(worker, "the daemon started no worker")
    }

    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !stat.contains(") Z ")  // a zombie has ended
    }

    static func serve(_ root: String, config: String, once: Bool = false) throws -> AdvisorProcess {
        try config.write(toFile: root + "/advisor.yaml", atomically: true, encoding: .utf8)
        return try AdvisorProcess(
            arguments: ["serve"] + (once ? ["--once"] : []) + [
                "--config", root + "/advisor.yaml", "--spool", root + "/spool", "--state-dir", root + "/state",
                "--log-target", "stderr",
            ],
            directory: root
        )
    }

    /// A drop of `units` rows made by the binary's own generator.
    static func synthesize(_ units: Int, into path: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try advisorBinary())
        process.arguments = ["synthesize", "--units", "\(units)", "--arms", "4", "--output", path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test("A worker past its memory limit: the drop is rejected with that reason, the daemon answers the next input")
    func memoryLimit() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let incoming = root + "/spool/incoming"
        try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)
        try Self.synthesize(1_000_000, into: root + "/big.csv")
        let daemon = try Self.serve(
            root,
            config: "worker:\n  memory_limit_bytes: 67108864\nprediction:\n  prior_draws: 400\n  lever_draws: 100\n"
        )
        #expect(waitFor(20) { FileManager.default.fileExists(atPath: root + "/state/ledger.sqlite") })
        try FileManager.default.moveItem(atPath: root + "/big.csv", toPath: incoming + "/big.csv")
        #expect(waitFor(60) { files(in: root + "/spool/rejected").count == 2 }, "stderr:\n\(daemon.stderr)")
        let errorFile = try #require(files(in: root + "/spool/rejected").first { $0.hasSuffix(".error.txt") })
        let text = try String(contentsOfFile: root + "/spool/rejected/" + errorFile, encoding: .utf8)
        #expect(text.contains("ran out of its 64 MiB memory limit (worker.memory_limit_bytes)"), "\(text)")
        #expect(daemon.process.isRunning)

        try drop(try exampleProposal(experiment: "after-oom"), as: "next.yaml", into: incoming)
        #expect(waitFor(30) { hasReport(in: root + "/spool/reports/after-oom") }, "stderr:\n\(daemon.stderr)")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(10) == 0)
    }

    @Test("A worker that crashes: the input is rejected as a defect naming the signal; the daemon carries on")
    func crash() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let incoming = root + "/spool/incoming"
        // 40,000 prior draws: seconds in a debug build, long enough to find the worker.
        let daemon = try Self.serve(root, config: "prediction:\n  prior_draws: 40000\n  lever_draws: 100\n")
        #expect(waitFor(20) { FileManager.default.fileExists(atPath: root + "/state/ledger.sqlite") })
        try drop(try exampleProposal(experiment: "crashes"), as: "crash.yaml", into: incoming)
        let pid = try Self.worker(of: daemon)
        usleep(300_000)
        // SIGSYS (what a system call filter's kill sends): the Swift runtime's backtracer catches
        // SIGSEGV and the like, and a handler that returns from an externally sent one carries on,
        // so only a signal it leaves alone ends the process the way a crash does.
        kill(pid, SIGSYS)
        #expect(waitFor(20) { files(in: root + "/spool/rejected").count == 2 }, "stderr:\n\(daemon.stderr)")
        let errorFile = try #require(files(in: root + "/spool/rejected").first { $0.hasSuffix(".error.txt") })
        let text = try String(contentsOfFile: root + "/spool/rejected/" + errorFile, encoding: .utf8)
        #expect(text.contains("crashed with signal 31 (SIGSYS): a defect in experiment-advisor"), "\(text)")
        #expect(reportFolders(in: root + "/spool/reports").isEmpty)
        #expect(daemon.process.isRunning)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(10) == 0)
    }

    @Test("SIGKILL of the daemon mid-input: its worker ends with it, and the next start answers the input once")
    func killedDaemon() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let incoming = root + "/spool/incoming"
        let config = "prediction:\n  prior_draws: 40000\n  lever_draws: 100\n"
        let daemon = try Self.serve(root, config: config)
        #expect(waitFor(20) { FileManager.default.fileExists(atPath: root + "/state/ledger.sqlite") })
        try drop(try exampleProposal(experiment: "killed"), as: "killed.yaml", into: incoming)
        let pid = try Self.worker(of: daemon)
        daemon.signal(SIGKILL)
        _ = daemon.waitForExit(5)
        #expect(waitFor(5) { !Self.isAlive(pid) }, "the worker outlived the daemon")
        #expect(files(in: incoming) == ["killed.yaml"] && files(in: root + "/spool/rejected").isEmpty)

        let again = try Self.serve(root, config: "prediction:\n  prior_draws: 400\n  lever_draws: 100\n", once: true)
        #expect(again.waitForExit(120) == 0, "stderr:\n\(again.stderr)")
        #expect(files(in: root + "/spool/reports/killed").count == PredictionReport.suffixes.count, "one report set")
        #expect(files(in: root + "/spool/archive").count == 1 && files(in: root + "/spool/rejected").isEmpty)
        let rows = try Ledger(directory: root + "/state").history(experiment: "killed")
        // The kill was the service's, not the input's: not counted against it.
        #expect(rows.count == 1 && rows[0].attempts == 1 && rows[0].state == .archived, "\(rows)")
    }

    @Test("A file written in place whose writer pauses longer than settle_seconds is taken only after its close")
    func pausedWriter() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let incoming = root + "/spool/incoming"
        let daemon = try Self.serve(
            root,
            config:
                "settle_seconds: 1\nrescan_interval_seconds: 1\nprediction:\n  prior_draws: 400\n  lever_draws: 100\n"
        )
        // Logged once the inotify watch is in place.
        #expect(waitFor(20) { daemon.stderr.contains("advisor_event=started") })
        let text = try exampleProposal(experiment: "paused-writer")
        let cut = text.index(text.startIndex, offsetBy: text.count / 2)
        // Created and written through one descriptor: no close until the end (a create-then-open
        // would announce an empty file with its first close).
        let fd = open(incoming + "/paused.yaml", O_WRONLY | O_CREAT | O_EXCL, 0o644)
        try #require(fd >= 0)
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        handle.write(Data(text[..<cut].utf8))
        sleep(3)  // three rescans and more than settle_seconds with half a file
        #expect(files(in: root + "/spool/rejected").isEmpty, "a half-written file was taken: \(daemon.stderr)")
        handle.write(Data(text[cut...].utf8))
        try handle.close()
        #expect(waitFor(20) { hasReport(in: root + "/spool/reports/paused-writer") }, "stderr:\n\(daemon.stderr)")
        #expect(files(in: root + "/spool/rejected").isEmpty)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(10) == 0)
    }
}
