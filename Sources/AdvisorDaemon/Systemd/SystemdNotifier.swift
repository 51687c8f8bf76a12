import CSystemd
import Glibc
import Synchronization

/// The service manager's notify protocol (`sd_notify(3)`), through libsystemd.
///
/// Without `NOTIFY_SOCKET` (a foreground run, `--once`) every call is a no-op, which is what
/// libsystemd does too: the daemon never guesses whether systemd is running.
///
/// `sd_notify` blocks while the listener's datagram queue is full (10 messages by default), so
/// whatever owns NOTIFY_SOCKET must keep reading it, as systemd does. A test or benchmark that
/// stops reading after READY=1 stalls the daemon's loop.
public struct SystemdNotifier: Sendable {
    public init() {}

    /// Sends `state` (newline-separated `KEY=value` assignments). Returns false if the manager
    /// could not be told; the daemon carries on, since a lost STATUS line harms nobody.
    @discardableResult
    public func send(_ state: String) -> Bool {
        sd_notify(0, state) >= 0
    }

    public func ready(status: String) { send("READY=1\nSTATUS=\(status)") }
    public func status(_ status: String) { send("STATUS=\(status)") }
    public func watchdog() { send("WATCHDOG=1") }
    public func stopping(status: String) { send("STOPPING=1\nSTATUS=\(status)") }

    /// `RELOADING=1` needs `MONOTONIC_USEC` (systemd ≥ 253 checks it; 252 ignores it), the
    /// CLOCK_MONOTONIC time at which the reload began.
    public func reloading(status: String) {
        send("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())\nSTATUS=\(status)")
    }

    /// How often to send `WATCHDOG=1`: half of `WatchdogSec=`, as sd_watchdog_enabled(3)
    /// advises; nil when the manager asked for no watchdog.
    public var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(clamping: usec / 2))
    }

    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}

/// STATUS= for an analysis's progress, at most one per `interval`: progress comes per model
/// (hundreds a minute), `systemctl status` needs a line a second at most, and a notify socket's
/// queue is finite (when it is full, the sender blocks). A line dropped here is replaced by the
/// next one within the interval.
final class StatusThrottle: Sendable {
    let notifier: SystemdNotifier
    let interval: Duration
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    init(_ notifier: SystemdNotifier, interval: Duration = .milliseconds(500)) {
        self.notifier = notifier
        self.interval = interval
    }

    func callAsFunction(_ status: String) {
        let now = ContinuousClock.now
        let due = last.withLock { last -> Bool in
            guard last.map({ now - $0 >= interval }) ?? true else { return false }
            last = now
            return true
        }
        if due { notifier.status(status) }
    }
}
