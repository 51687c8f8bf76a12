import AdvisorAnalysis
import Foundation

/// How to start a worker: the daemon's own binary and what it was started with.
public struct WorkerLaunch: Sendable {
    public var executable: String
    /// The daemon runs on a configuration file (else the built-in defaults, for workers too).
    public var configured: Bool
    public var spool: String
    public var stateDirectory: String

    public init(executable: String, configured: Bool, spool: String, stateDirectory: String) {
        self.executable = executable
        self.configured = configured
        self.spool = spool
        self.stateDirectory = stateDirectory
    }

    /// `work …`: the inputs then come as ledger row ids on standard input, so no file name (a
    /// leading dash, a newline) ever passes through an argument list.
    var arguments: [String] {
        var arguments = ["work", "--spool", spool, "--state-dir", stateDirectory]
        if configured { arguments += ["--config", configurationSnapshot] }
        return arguments
    }

    /// The configuration the daemon took (at start, at each good reload), for its workers.
    var configurationSnapshot: String { stateDirectory + "/configuration.yaml" }
}

/// Why a worker ended without an answer, in words for the error file: the input's doing (a limit
/// it ran into, a crash it caused) — or nil when it was killed from outside with no sign of a
/// memory shortage (then it is the service being killed, and the input is tried again).
enum WorkerDeath {
    struct Reason {
        var problem: String
        var fix: String
    }

    static func reason(
        _ exit: WorkerProcess.Exit,
        oomKilled: Bool,
        limits: AdvisorConfiguration.WorkerLimits
    ) -> Reason? {
        let memory = "\(NumberTextBytes.gibibytes(limits.memoryLimitBytes)) memory limit (worker.memory_limit_bytes)"
        let memoryFix =
            "drop fewer rows or covariates (or split the drop), or raise worker.memory_limit_bytes and the unit's MemoryMax="
        if exit.code == WorkerProcess.Code.memoryLimit || exit.mentionsAllocationFailure {
            return Reason(problem: "ran out of its \(memory)", fix: memoryFix)
        }
        if exit.code == WorkerProcess.Code.cpuLimit || exit.signal == SIGXCPU {
            return Reason(
                problem: "used more than worker.cpu_seconds (\(limits.cpuSeconds) s) of CPU time",
                fix: "lower analysis.boosting.max_rounds or the bootstrap counts, or raise worker.cpu_seconds"
            )
        }
        if exit.signal == SIGTERM || exit.signal == SIGINT || exit.signal == SIGHUP {
            return nil  // sent to the whole service (a stop, a terminal's Ctrl-C): not the input's doing
        }
        if exit.signal == SIGKILL {
            guard oomKilled else { return nil }
            return Reason(
                problem:
                    "was killed by the kernel's out-of-memory killer (the service's MemoryMax= or the machine's memory)",
                fix: memoryFix
            )
        }
        let what =
            exit.signal.map { "crashed with signal \($0) (\(signalName($0)))" }
            ?? "exited with code \(exit.code ?? -1)"
        let detail = exit.lastLine.isEmpty ? "" : ": \(exit.lastLine)"
        return Reason(
            problem: "\(what): a defect in experiment-advisor, not necessarily in the file\(detail)",
            fix:
                "report a bug with this file attached (other inputs are not affected); if the file looks right, drop it again after an upgrade"
        )
    }

    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGILL: "SIGILL", SIGTRAP: "SIGTRAP", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE",
            SIGSEGV: "SIGSEGV", SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGSYS: "SIGSYS",
        ]
        return names[signal] ?? "signal \(signal)"
    }
}

extension WorkerProcess.Exit {
    /// The last line the worker wrote to standard error (the runtime's "Fatal error: …").
    var lastLine: String {
        let lines = standardErrorTail.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        return String((lines.last(where: { !$0.isEmpty }) ?? "").prefix(300))
    }

    /// The Swift runtime and C++ say so when an allocation fails (a limit the guard did not catch
    /// in time, or the address space).
    var mentionsAllocationFailure: Bool {
        ["Could not allocate memory", "std::bad_alloc", "Cannot allocate memory", "out of memory"].contains {
            standardErrorTail.contains($0)
        }
    }
}

/// The service's cgroup's out-of-memory kill count (`memory.events`, cgroup v2): a worker killed
/// by SIGKILL while it rose was the kernel's doing, not an operator's. Nil outside a cgroup v2.
enum CgroupMemory {
    static func oomKills() -> Int? {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
            let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") })
        else { return nil }
        let path = "/sys/fs/cgroup" + line.dropFirst(3) + "/memory.events"
        guard let events = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for row in events.split(separator: "\n") where row.hasPrefix("oom_kill ") {
            return Int(row.dropFirst("oom_kill ".count))
        }
        return nil
    }
}

/// Byte counts in GiB for messages.
enum NumberTextBytes {
    static func gibibytes(_ bytes: Int) -> String {
        let gib = Double(bytes) / Double(1 << 30)
        return gib >= 1 && gib == gib.rounded() ? "\(Int(gib)) GiB" : "\(bytes >> 20) MiB"
    }
}
