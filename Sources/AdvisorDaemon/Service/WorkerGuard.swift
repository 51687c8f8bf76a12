import Foundation

/// The worker's side of its limits, on a thread of its own: every 50 ms it checks that the daemon
/// is still there (its life line, descriptor 3, has not closed), that its
/// resident memory is within `worker.memory_limit_bytes` and its CPU time within
/// `worker.cpu_seconds`; past any of them it exits at once with the code that says which.
///
/// Why sampled rather than setrlimit(2): the unit's `SystemCallFilter=~@resources` refuses
/// setrlimit, and an address-space limit would count XGBoost's reserved thread stacks and
/// allocator arenas, not the memory an input really uses. Resident memory can overshoot by what
/// one 50 ms step allocates; the unit's `MemoryMax=` is the hard stop behind it.
enum WorkerGuard {
    /// The life line's descriptor (`WorkerProcess`): closed on the daemon's side when it dies.
    static let lifeLine: Int32 = 3

    static func start(memoryLimitBytes: Int, cpuSeconds: Int) {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        Thread.detachNewThread {
            while true {
                // Nothing is ever written to the life line: readable means closed.
                var fds = [pollfd(fd: lifeLine, events: Int16(POLLIN), revents: 0)]
                let ready = poll(&fds, 1, 50)
                if ready > 0 || (ready < 0 && errno != EINTR) { _exit(WorkerProcess.Code.daemonGone) }
                if let resident = residentBytes(pageSize: pageSize), resident > memoryLimitBytes {
                    say(
                        "experiment-advisor worker: resident memory \(resident >> 20) MiB passed worker.memory_limit_bytes (\(memoryLimitBytes >> 20) MiB)"
                    )
                    _exit(WorkerProcess.Code.memoryLimit)
                }
                var cpu = timespec()
                if clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0, cpu.tv_sec > cpuSeconds {
                    say("experiment-advisor worker: CPU time passed worker.cpu_seconds (\(cpuSeconds) s)")
                    _exit(WorkerProcess.Code.cpuLimit)
                }
            }
        }
    }

    /// The second field of /proc/self/statm (resident pages).
    static func residentBytes(pageSize: Int) -> Int? {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        let fields = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * pageSize
    }

    static func say(_ message: String) {
        let line = Array((message + "\n").utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
