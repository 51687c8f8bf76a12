import Foundation
import Synchronization

/// A child process of the daemon's own binary (`experiment-advisor work`) that processes inputs,
/// so an input that makes it crash, exhaust its memory or spin is answered with that reason
/// instead of taking the daemon down or being blamed for a kill it did not cause.
///
/// Protocol: the daemon writes one line per input to the worker's standard input (`ID STAMP`,
/// the ledger row and the stamp); the worker answers each with one line on standard output (the
/// outcome's summary and journal entry, JSON), after any number of progress lines
/// (`#progress analyzing flu-2027: fitting outcome models 7/23`), which go to `progress`. A worker exits when its standard input ends. The
/// proposal lane keeps one worker for many proposals (a process start and a ledger open per
/// proposal would double its latency); a data drop gets a fresh one, told one input.
///
/// Descriptor 3 of the worker is its life line: a pipe whose only write end the daemon holds and
/// never writes. When the daemon dies, however it dies, the worker sees the pipe close and exits
/// at once (`WorkerGuard`), so a worker never outlives the daemon and nothing half-finished
/// writes after it. Standard error is forwarded to the daemon's, its last lines kept for the
/// reason of a crash.
final class WorkerProcess: Sendable {
    let pid: pid_t
    private let input: Int32
    private let state = Mutex<State>(State())
    /// Hears the worker's progress lines (on its reader thread).
    private let progress: @Sendable (String) -> Void

    static let progressPrefix = "#progress "

    private struct State: Sendable {
        var exit: Exit?
        var exitWaiters: [CheckedContinuation<Exit, Never>] = []
        var lines: [[UInt8]] = []
        var lineWaiter: CheckedContinuation<Reply, Never>?
        var killedByUs = false
        var inputClosed = false
    }

    /// How the worker ended.
    struct Exit: Sendable {
        /// The exit code, or nil when a signal ended it.
        var code: Int32?
        var signal: Int32?
        /// The end of what it wrote to standard error (the Swift runtime's fatal error, say).
        var standardErrorTail: String
        /// The daemon killed it (a time limit, a shutdown): not the input's doing.
        var killedByDaemon: Bool
    }

    /// What came back for an input: its line, or the worker's end before one.
    enum Reply: Sendable {
        case line([UInt8])
        case exited(Exit)
    }

    /// Exit codes the worker uses for the ends it sees coming (`WorkerGuard`, `InputWorker`).
    enum Code {
        static let done: Int32 = 0
        static let badArguments: Int32 = 2
        static let daemonGone: Int32 = 70
        static let memoryLimit: Int32 = 71
        static let cpuLimit: Int32 = 72
        static let spoolFailure: Int32 = 75
    }

    /// Longest answer line read from a worker: anything longer is not ours.
    static let maximumLine = 1 << 20

    private init(pid: pid_t, input: Int32, progress: @escaping @Sendable (String) -> Void) {
        self.pid = pid
        self.input = input
        self.progress = progress
    }

    /// Starts `executable arguments…` with the daemon's environment minus NOTIFY_SOCKET (only the
    /// daemon speaks to systemd), and a thread that reads its output and reaps it.
    static func start(
        executable: String,
        arguments: [String],
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(SpoolError) -> WorkerProcess {
        // One spawn at a time: pipes made for one worker must be close-on-exec before another is
        // started, or that one would inherit this one's life line and this one would not see the
        // daemon die (pipe2 is not in Glibc's Swift overlay, so pipe + fcntl, under this lock).
        let result = spawnLock.withLock { _ in spawn(executable: executable, arguments: arguments) }
        let ends = try result.get()
        let worker = WorkerProcess(pid: ends.pid, input: ends.input, progress: progress)
        Thread.detachNewThread {
            let tail = worker.read(output: ends.output, errors: ends.errors)
            var status: Int32 = 0
            while waitpid(ends.pid, &status, 0) < 0 && errno == EINTR {}
            // Only now: while the child runs, the life line must stay open.
            close(ends.lifeLine)
            worker.finish(status: status, tail: tail)
        }
        return worker
    }

    private static let spawnLock = Mutex(())

    private struct Ends: Sendable {
        var pid: pid_t
        var input: Int32
        var output: Int32
        var errors: Int32
        var lifeLine: Int32
    }

    private static func spawn(executable: String, arguments: [String]) -> Result<Ends, SpoolError> {
        var pipes = [[Int32]](repeating: [-1, -1], count: 4)  // input, output, errors, life line
        for index in pipes.indices {
            guard pipe(&pipes[index]) == 0 else {
                let code = errno
                for fd in pipes.joined() where fd >= 0 { close(fd) }
                return .failure(SpoolError("create a pipe for a worker of", path: executable, code: code))
            }
        }
        for fd in pipes.joined() { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears FD_CLOEXEC on the copy: the child gets exactly these four.
        posix_spawn_file_actions_adddup2(&actions, pipes[0][0], 0)
        posix_spawn_file_actions_adddup2(&actions, pipes[1][1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipes[2][1], 2)
        posix_spawn_file_actions_adddup2(&actions, pipes[3][0], 3)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let environment = ProcessInfo.processInfo.environment.filter { $0.key != "NOTIFY_SOCKET" }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        for fd in [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][0]] { close(fd) }
        guard status == 0 else {
            for fd in [pipes[0][1], pipes[1][0], pipes[2][0], pipes[3][1]] { close(fd) }
            return .failure(SpoolError("start a worker process from", path: executable, code: status))
        }
        // A worker that died leaves its input pipe without a reader: a write must fail, not kill.
        signal(SIGPIPE, SIG_IGN)
        return .success(
            Ends(pid: pid, input: pipes[0][1], output: pipes[1][0], errors: pipes[2][0], lifeLine: pipes[3][1])
        )
    }

    /// Asks the worker to process ledger row `entry`. False when the worker is gone.
    func send(entry: Int64, stamp: String) -> Bool {
        let line = Array("\(entry) \(stamp)\n".utf8)
        let open = state.withLock { !$0.inputClosed && $0.exit == nil }
        guard open else { return false }
        return line.withUnsafeBytes { write(input, $0.baseAddress, $0.count) } == line.count
    }

    /// No more inputs: the worker exits once it has answered what it was sent.
    func closeInput() {
        let first = state.withLock { state -> Bool in
            defer { state.inputClosed = true }
            return !state.inputClosed
        }
        if first { close(input) }
    }

    /// The next answer line, or the worker's end if it comes first. Not cancellable on purpose:
    /// a caller that gave up kills the worker, and must know it is gone before it touches what
    /// the worker was writing.
    func reply() async -> Reply {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Reply? in
                if !state.lines.isEmpty { return .line(state.lines.removeFirst()) }
                if let exit = state.exit { return .exited(exit) }
                state.lineWaiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Waits for the worker to end (not cancellable, as `reply`).
    func exited() async -> Exit {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Exit? in
                if let exit = state.exit { return exit }
                state.exitWaiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    var isRunning: Bool { state.withLock { $0.exit == nil } }

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

    /// Reads both pipes until both close: answer lines to `reply`, standard error forwarded.
    private func read(output: Int32, errors: Int32) -> String {
        var pending: [UInt8] = []
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
                let n = buffer.withUnsafeMutableBytes { Glibc.read(entry.fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                    continue
                }
                if entry.fd == output {
                    pending += buffer[0..<n]
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = Array(pending[..<newline])
                        if line.starts(with: Self.progressPrefix.utf8) {
                            progress(String(decoding: line.dropFirst(Self.progressPrefix.utf8.count), as: UTF8.self))
                        } else {
                            deliver(line)
                        }
                        pending.removeSubrange(...newline)
                    }
                    if pending.count > Self.maximumLine { pending.removeAll() }
                } else {
                    buffer.withUnsafeBytes { _ = write(2, $0.baseAddress, n) }
                    tail += buffer[0..<n]
                    if tail.count > 8192 { tail.removeFirst(tail.count - 8192) }
                }
            }
        }
        return String(decoding: tail, as: UTF8.self)
    }

    private func deliver(_ line: [UInt8]) {
        let waiter = state.withLock { state -> CheckedContinuation<Reply, Never>? in
            guard let waiter = state.lineWaiter else {
                state.lines.append(line)
                return nil
            }
            state.lineWaiter = nil
            return waiter
        }
        waiter?.resume(returning: .line(line))
    }

    private func finish(status: Int32, tail: String) {
        let exited = status & 0x7f == 0
        let (exit, exitWaiters, lineWaiter) = state.withLock {
            state -> (Exit, [CheckedContinuation<Exit, Never>], CheckedContinuation<Reply, Never>?) in
            let exit = Exit(
                code: exited ? (status >> 8) & 0xff : nil,
                signal: exited ? nil : status & 0x7f,
                standardErrorTail: tail,
                killedByDaemon: state.killedByUs
            )
            state.exit = exit
            defer {
                state.exitWaiters = []
                state.lineWaiter = nil
            }
            return (exit, state.exitWaiters, state.lineWaiter)
        }
        if !state.withLock({ $0.inputClosed }) { closeInput() }
        for waiter in exitWaiters { waiter.resume(returning: exit) }
        lineWaiter?.resume(returning: .exited(exit))
    }
}

/// The proposal lane's worker, kept from one proposal to the next and started again when it has
/// ended (a crash, a limit) or when the configuration changed (`retire`).
final class WorkerSlot: Sendable {
    private let current = Mutex<WorkerProcess?>(nil)

    /// The running worker, or a new one from `start`.
    func worker(_ start: () throws(SpoolError) -> WorkerProcess) throws(SpoolError) -> WorkerProcess {
        if let running = current.withLock({ $0 }), running.isRunning { return running }
        let fresh = try start()
        current.withLock { $0 = fresh }
        return fresh
    }

    /// The worker ends after its current input (a new configuration, a shutdown); the next
    /// proposal starts a new one.
    func retire() {
        current.withLock { worker in
            worker?.closeInput()
            worker = nil
        }
    }

    /// Forgets a worker that ended or was killed.
    func discard(_ worker: WorkerProcess) {
        current.withLock { if $0 === worker { $0 = nil } }
    }
}
