import Foundation
import Synchronization

/// A child process of the daemon's own binary (`experiment-advisor work`) that processes one
/// input, so an input that makes it crash, exhaust its memory or spin is answered with that
/// reason instead of taking the daemon down or being blamed for a kill it did not cause.
///
/// The child's standard input is a pipe whose only write end the daemon holds: when the daemon
/// dies, however it dies, the child reads end-of-file and exits at once (`WorkerGuard`), so a
/// worker never outlives the daemon and nothing half-finished writes after it. Its standard
/// error is forwarded to the daemon's (and its last lines kept for the reason of a crash); its
/// standard output carries one line, the outcome's summary.
final class WorkerProcess: Sendable {
    let pid: pid_t
    private let state = Mutex<State>(State())

    private struct State: Sendable {
        var exit: Exit?
        var waiters: [CheckedContinuation<Exit, Never>] = []
        var killedByUs = false
    }

    /// How the worker ended.
    struct Exit: Sendable {
        /// The exit code, or nil when a signal ended it.
        var code: Int32?
        var signal: Int32?
        var standardOutput: [UInt8]
        /// The end of what it wrote to standard error (the Swift runtime's fatal error, say).
        var standardErrorTail: String
        /// The daemon killed it (a time limit, a shutdown): not the input's doing.
        var killedByDaemon: Bool
    }

    /// Exit codes the worker uses for the ends it sees coming (`WorkerGuard`).
    enum Code {
        static let done: Int32 = 0
        static let badArguments: Int32 = 2
        static let daemonGone: Int32 = 70
        static let memoryLimit: Int32 = 71
        static let cpuLimit: Int32 = 72
        static let spoolFailure: Int32 = 75
    }

    /// Largest summary line read from a worker: anything longer is not ours.
    static let maximumOutput = 1 << 20

    private init(pid: pid_t) { self.pid = pid }

    /// Starts `executable arguments…` with the daemon's environment minus NOTIFY_SOCKET (only the
    /// daemon speaks to systemd), and a thread that forwards its output and reaps it.
    static func start(executable: String, arguments: [String]) throws(SpoolError) -> WorkerProcess {
        // One spawn at a time: a pipe made by one lane must be close-on-exec before the other
        // lane's worker is started, or that worker would inherit the write end of this one's
        // standard input and this one would not see the daemon die (pipe2 is not in Glibc's
        // Swift overlay, so pipe + fcntl, under this lock).
        let result = spawnLock.withLock { _ in spawn(executable: executable, arguments: arguments) }
        let (pid, inputEnd, outputEnd, errorEnd) = try result.get()
        let worker = WorkerProcess(pid: pid)
        Thread.detachNewThread {
            let (standardOutput, tail) = Self.drain(output: outputEnd, errors: errorEnd)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            // Only now: while the child runs, this end must stay open (its EOF means "daemon gone").
            close(inputEnd)
            worker.finish(status: status, standardOutput: standardOutput, tail: tail)
        }
        return worker
    }

    private static let spawnLock = Mutex(())

    private static func spawn(
        executable: String,
        arguments: [String]
    ) -> Result<(pid_t, Int32, Int32, Int32), SpoolError> {
        var input: [Int32] = [-1, -1]
        var output: [Int32] = [-1, -1]
        var errors: [Int32] = [-1, -1]
        guard pipe(&input) == 0, pipe(&output) == 0, pipe(&errors) == 0 else {
            let code = errno
            for fd in input + output + errors where fd >= 0 { close(fd) }
            return .failure(SpoolError("create a pipe for a worker of", path: executable, code: code))
        }
        for fd in input + output + errors { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears FD_CLOEXEC on the copy: the child gets exactly these three.
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let environment = ProcessInfo.processInfo.environment.filter { $0.key != "NOTIFY_SOCKET" }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(input[0])
        close(output[1])
        close(errors[1])
        guard status == 0 else {
            close(input[1])
            close(output[0])
            close(errors[0])
            return .failure(SpoolError("start a worker process from", path: executable, code: status))
        }
        return .success((pid, input[1], output[0], errors[0]))
    }

    /// Reads both pipes until both close; forwards standard error line for line to the daemon's.
    private static func drain(output: Int32, errors: Int32) -> ([UInt8], String) {
        var standardOutput: [UInt8] = []
        var tail: [UInt8] = []
        var open = [output, errors]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for entry in fds where entry.revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                    continue
                }
                if entry.fd == output {
                    if standardOutput.count < maximumOutput { standardOutput += buffer[0..<n] }
                } else {
                    buffer.withUnsafeBytes { _ = write(2, $0.baseAddress, n) }
                    tail += buffer[0..<n]
                    if tail.count > 8192 { tail.removeFirst(tail.count - 8192) }
                }
            }
        }
        return (standardOutput, String(decoding: tail, as: UTF8.self))
    }

    private func finish(status: Int32, standardOutput: [UInt8], tail: String) {
        let exited = status & 0x7f == 0
        let waiters = state.withLock { state -> [CheckedContinuation<Exit, Never>] in
            state.exit = Exit(
                code: exited ? (status >> 8) & 0xff : nil,
                signal: exited ? nil : status & 0x7f,
                standardOutput: standardOutput,
                standardErrorTail: tail,
                killedByDaemon: state.killedByUs
            )
            defer { state.waiters = [] }
            return state.waiters
        }
        if let exit = state.withLock({ $0.exit }) { for waiter in waiters { waiter.resume(returning: exit) } }
    }

    /// Waits for the worker to end. Not cancellable on purpose: after `kill()` the caller must
    /// know the worker is gone before it touches what the worker was writing.
    func exited() async -> Exit {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Exit? in
                if let exit = state.exit { return exit }
                state.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// SIGKILL: the worker writes through the ledger's steps, so stopping it at any instruction
    /// leaves a row that says what to finish or undo.
    func kill() {
        let running = state.withLock { state -> Bool in
            guard state.exit == nil else { return false }
            state.killedByUs = true
            return true
        }
        if running { _ = Glibc.kill(pid, SIGKILL) }
    }
}
