import AdvisorXGBoost
import AdvisorIngest
import AdvisorFormats
import AdvisorModel

/// The daemon's settings, as read from `experiment-advisor.yaml` by `ConfigurationFile`.
/// Every default here is the one `config/experiment-advisor.yaml` shows (a test holds them equal).
public struct AdvisorConfiguration: Sendable, Hashable {
    /// The spool root: `incoming/`, `reports/`, `archive/` and `rejected/` live under it.
    public var spool: String = "/var/spool/experiment-advisor"
    /// Where the ledger lives (`ledger.sqlite`): the unit's StateDirectory=, never the
    /// group-writable spool. `serve --state-dir` overrides it.
    public var stateDirectory: String = "/var/lib/experiment-advisor"
    public var logLevel: LogLevel = .info
    /// Seconds between rescans of `incoming/` when no inotify event arrives. inotify is only a
    /// wake-up; the rescan catches anything it missed (overflow, network filesystems).
    public var rescanIntervalSeconds: Double = 60
    /// A file that a rescan finds, rather than an inotify close or rename, is taken only once it
    /// has not changed for this long, so a file still being written in place is not read half-done.
    public var settleSeconds: Double = 2
    /// A manifest whose data file has not arrived after this long is rejected, so it is answered
    /// rather than left in incoming/ to be applied to a later drop of the same name.
    public var manifestWaitSeconds: Double = 3600
    /// Larger inputs are rejected unread.
    public var maxInputBytes: Int = 1_048_576
    /// An input still being processed after this long is rejected as too slow, so one runaway
    /// input cannot hold up the spool (the loop keeps the watchdog fed until then).
    public var jobTimeLimitSeconds: Double = 600
    /// Starts of one input in all: one that was in flight every time the daemon died (a crash it
    /// caused, or a kill) is rejected after this many; fewer deaths and it is tried again.
    public var maxAttempts = 2
    public var worker = WorkerLimits()
    public var prediction = PredictionSettings()
    /// Post-experiment analysis of data drops.
    public var analysis = AnalysisSettings()
    public var ingest = IngestLimits()
    public var boosting = BoostingParameters()

    public init() {}

    /// Limits of the child process each input is processed in: a file that makes it run out of
    /// memory or CPU kills the worker, not the daemon, and is rejected with that reason.
    public struct WorkerLimits: Sendable, Hashable {
        /// Resident memory, checked by the worker every 50 ms (`WorkerGuard` says why not
        /// setrlimit): a 700k-row drop peaks near 0.35 GiB, so 4 GiB leaves room for ten times that.
        public var memoryLimitBytes = 4 << 30
        /// CPU time, checked the same way: a backstop behind the wall-clock time limits.
        public var cpuSeconds = 7200
        /// Largest report file (a rendition or the policy file) a worker writes; a larger one
        /// rejects the input, naming the file, before anything is written.
        public var outputLimitBytes = 1 << 30
        public init() {}
    }

    /// The configuration with the models' "all cores" (threads 0) made all but one of `cores`:
    /// what the daemon's data lane runs on, so the proposal lane keeps a core.
    public func leavingOneCore(of cores: Int) -> AdvisorConfiguration {
        var adjusted = self
        if adjusted.boosting.threads == 0 { adjusted.boosting.threads = max(1, cores - 1) }
        return adjusted
    }

    /// Log levels by name, so this module needs no logging dependency.
    public enum LogLevel: String, Sendable, Hashable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
    }
}
