import AdvisorAnalysis
import AdvisorModel
import AdvisorFormats
import AdvisorReports
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The daemon: watches `incoming/`, turns each input into a report or a rejection, logs each
/// outcome to the journal, and speaks systemd's notify protocol.
///
/// One loop does all the work, fed by wake-ups (inotify, a periodic rescan, SIGHUP, watchdog
/// ticks), so inputs are processed one at a time in arrival order and `WATCHDOG=1` comes from
/// the loop itself: if the loop hangs, the pings stop and systemd restarts the service.
public struct SpoolService: Service {
    public struct Options: Sendable {
        /// The file SIGHUP re-reads; nil when running on built-in defaults.
        public var configurationPath: String?
        /// `--spool`: overrides the configuration's spool (for local runs and tests).
        public var spoolOverride: String?
        /// The text `configurationPath` held when the configuration was read: what the workers
        /// are given (nil: built-in defaults).
        public var configurationText: String?
        /// `--state-dir`: overrides the configuration's state directory (the ledger).
        public var stateDirectoryOverride: String?
        /// The binary to run each input in (`work`); nil processes inputs in this process.
        public var workerExecutable: String?

        public init(
            configurationPath: String?,
            spoolOverride: String?,
            stateDirectoryOverride: String? = nil,
            workerExecutable: String? = nil
        ) {
            self.configurationPath = configurationPath
            self.spoolOverride = spoolOverride
            self.stateDirectoryOverride = stateDirectoryOverride
            self.workerExecutable = workerExecutable
        }
    }

    let configuration: AdvisorConfiguration
    let options: Options
    let logger: Logger
    let notifier: SystemdNotifier

    public init(configuration: AdvisorConfiguration, options: Options, logger: Logger, notifier: SystemdNotifier) {
        self.configuration = configuration
        self.options = options
        var logger = logger
        logger.logLevel = Logger.Level(configuration.logLevel)
        self.logger = logger
        self.notifier = notifier
    }

    public var spool: SpoolDirectory { SpoolDirectory(root: options.spoolOverride ?? configuration.spool) }
    public var stateDirectory: String { options.stateDirectoryOverride ?? configuration.stateDirectory }

    /// How this service starts its workers, if it does.
    var worker: WorkerLaunch? {
        options.workerExecutable.map {
            WorkerLaunch(
                executable: $0,
                configured: options.configurationText != nil,
                spool: spool.root,
                stateDirectory: stateDirectory
            )
        }
    }

    /// Runs this service in a service group until SIGTERM or SIGINT starts a graceful shutdown.
    public func runUntilStopped() async throws {
        try await ServiceGroup(services: [self], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }

    /// Processes what is in `incoming/` now (waiting for files still settling) and returns.
    /// For scripts and the README's first command: no watcher, no notify protocol.
    public func runOnce() async throws {
        var loop = try SpoolLoop(service: self)
        while let delay = try await loop.scan() {
            try await Task.sleep(for: delay)
        }
        loop.logger.info("processed what was in \(loop.spool.incoming): \(loop.counts)")
    }

    /// Runs until graceful shutdown (SIGTERM, SIGINT). Spool failures at start are thrown.
    public func run() async throws {
        var loop = try SpoolLoop(service: self)
        let (wakes, wake) = AsyncStream.makeStream(of: Wake.self, bufferingPolicy: .bufferingNewest(1024))
        let watcher = try SpoolWatcher(directory: loop.spool.incoming) { wake.yield(.inotify($0)) }
        defer { watcher.stop() }
        let rescanInterval = loop.rescanInterval
        let notifier = notifier
        let logger = loop.logger

        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                // Timer tasks end quietly when cancelled: a thrown CancellationError would
                // become the group's error and turn a clean stop into a failure exit.
                group.addTask {
                    while (try? await Task.sleep(for: rescanInterval.value)) != nil { wake.yield(.rescan) }
                }
                if let interval = notifier.watchdogInterval {
                    group.addTask {
                        while (try? await Task.sleep(for: interval)) != nil { wake.yield(.watchdogTick) }
                    }
                }
                group.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sighup) { wake.yield(.reload) }
                }
                // Data drops are analyzed one at a time in their own lane, so a long analysis
                // never holds up a proposal dropped meanwhile.
                let (analyses, lane) = AsyncStream.makeStream(of: (SpoolDirectory.Entry, InputRunner).self)
                loop.analysisLane = lane
                group.addTask {
                    for await (entry, runner) in analyses {
                        do {
                            let finished = try await runner.run(entry)
                            wake.yield(.analysisFinished(entry.name, finished))
                        } catch {
                            return  // abandoned on shutdown (logged by the runner)
                        }
                    }
                }

                if let delay = try await loop.scanUnlessShuttingDown() {
                    group.addTask { await Self.wake(wake, .rescan, after: delay) }
                }
                notifier.ready(status: loop.status)
                logger.info(
                    "watching \(loop.spool.incoming)",
                    metadata: AdvisorEvent.started.metadata.merging([MetadataKey.inputPath: "\(loop.spool.incoming)"]) {
                        $1
                    }
                )

                for await event in wakes.cancelOnGracefulShutdown() {
                    logger.trace("wake-up: \(event)")
                    switch event {
                    case .watchdogTick:
                        notifier.watchdog()
                        continue
                    case .reload:
                        loop.reload()
                        continue
                    case .analysisFinished(let name, let outcome):
                        loop.analysisFinished(name, outcome)
                        continue
                    case .inotify(.directoryLost):
                        throw SpoolError(
                            "keep watching (the directory was removed or moved)",
                            path: loop.spool.incoming,
                            code: ENOENT
                        )
                    case .inotify(.changing(let names)):
                        // No scan: a large file being written sends these by the thousand.
                        loop.announced.subtract(names)
                        loop.beingWritten.formUnion(names)
                        continue
                    case .inotify(.finished(let names)):
                        loop.announced.formUnion(names)
                        loop.beingWritten.subtract(names)
                    case .inotify(.overflow):
                        // Closes may have been lost: fall back to settling by age for every file.
                        loop.beingWritten.removeAll()
                    case .rescan:
                        break
                    }
                    guard let delay = try await loop.scanUnlessShuttingDown() else { continue }
                    group.addTask { await Self.wake(wake, .rescan, after: delay) }
                }
                lane.finish()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            notifier.stopping(status: "stopping: the current input is finished or left in incoming/")
            logger.notice("stopping", metadata: AdvisorEvent.stopping.metadata)
        }
    }

    enum Wake: Sendable {
        case inotify(SpoolWatcher.Event)
        case analysisFinished(String, InputRunner.Finished?)
        case rescan
        case watchdogTick
        case reload
    }

    static func wake(_ wake: AsyncStream<Wake>.Continuation, _ event: Wake, after delay: Duration) async {
        if (try? await Task.sleep(for: delay)) != nil { wake.yield(event) }
    }
}

extension Logger.Level {
    init(_ level: AdvisorConfiguration.LogLevel) {
        self = Logger.Level(rawValue: level.rawValue) ?? .info
    }
}
