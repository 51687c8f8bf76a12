import AdvisorDaemon
import Foundation
import Glibc
import Testing

/// The built `experiment-advisor` binary as systemd runs it: a real notify socket, real
/// signals, the real journald. Nothing here is mocked.
@Suite("Daemon process", .serialized)
struct DaemonProcessTests {
    static let quickConfig = """
        log_level: debug
        rescan_interval_seconds: 30
        prediction:
          prior_draws: 400
          lever_draws: 100
        """

    @Test("Notify protocol in order: READY, STATUS, WATCHDOG, RELOADING (a broken config is kept out), STOPPING")
    func notifyProtocol() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let configPath = root + "/advisor.yaml"
        try Self.quickConfig.write(toFile: configPath, atomically: true, encoding: .utf8)
        let notify = try NotifySocket(directory: root)
        let daemon = try AdvisorProcess(
            arguments: [
                "serve", "--config", configPath, "--spool", root + "/spool", "--state-dir", root + "/state",
                "--log-target", "stderr",
            ],
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"],
            directory: root
        )

        try #require(notify.waitFor(20) { $0.contains("READY=1") } != nil, "no READY=1; stderr:\n\(daemon.stderr)")
        #expect(notify.messages.first?.contains("STATUS=watching \(root)/spool/incoming") == true)

        try drop(try exampleProposal(experiment: "notify-1"), as: "one.yaml", into: root + "/spool/incoming")
        #expect(notify.waitFor(20) { $0.contains("STATUS=") && $0.contains("1 reports") } != nil)
        #expect(hasReport(in: root + "/spool/reports/notify-1"))
        #expect(notify.waitFor(5) { $0 == "WATCHDOG=1" } != nil, "no watchdog ping with WATCHDOG_USEC set")

        // A valid reload: RELOADING=1 with MONOTONIC_USEC, then READY=1.
        daemon.signal(SIGHUP)
        let reloading = notify.waitFor(10) { $0.hasPrefix("RELOADING=1") }
        #expect(reloading?.contains("\nMONOTONIC_USEC=") == true)
        #expect(notify.waitFor(10) { $0.hasPrefix("READY=1") } != nil)

        // A broken config: logged, the old one kept, the service still running and working.
        try "log_level: loud\n".write(toFile: configPath, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(notify.waitFor(10) { $0.contains("reload failed") } != nil)
        #expect(notify.waitFor(10) { $0.hasPrefix("READY=1") } != nil)
        #expect(daemon.process.isRunning)
        try drop(try exampleProposal(experiment: "notify-2"), as: "two.yaml", into: root + "/spool/incoming")
        #expect(
            waitFor(20) { hasReport(in: root + "/spool/reports/notify-2") },
            "stopped working after a bad reload"
        )
        #expect(daemon.stderr.contains("reload failed") && daemon.stderr.contains("log_level"))

        daemon.signal(SIGTERM)
        #expect(notify.waitFor(10) { $0.hasPrefix("STOPPING=1") } != nil)
        #expect(daemon.waitForExit(10) == 0, "stderr:\n\(daemon.stderr)")

        // The order, by first occurrence of each assignment.
        let ready = try #require(notify.index(of: "READY=1"))
        let watchdog = try #require(notify.index(of: "WATCHDOG=1"))
        let reload = try #require(notify.index(of: "RELOADING=1"))
        let readyAgain = try #require(notify.index(of: "READY=1", from: reload))
        let stopping = try #require(notify.index(of: "STOPPING=1"))
        let status = try #require(
            notify.messages.indices.first { $0 > ready && notify.messages[$0].hasPrefix("STATUS=") }
        )
        #expect(ready < status && status < stopping)
        #expect(ready < watchdog && watchdog < stopping)
        #expect(ready < reload && reload < readyAgain && readyAgain < stopping)
        #expect(stopping == notify.messages.count - 1, "nothing after STOPPING=1: \(notify.messages.suffix(3))")
    }

    @Test("SIGTERM during a slow job: no partial report, the input stays in incoming/, exit 0")
    func stopDuringSlowJob() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let configPath = root + "/advisor.yaml"
        // 40,000 prior draws take ~10 s in a debug build: long enough to stop in the middle.
        try "prediction:\n  prior_draws: 40000\n".write(toFile: configPath, atomically: true, encoding: .utf8)
        let notify = try NotifySocket(directory: root)
        let daemon = try AdvisorProcess(
            arguments: [
                "serve", "--config", configPath, "--spool", root + "/spool", "--state-dir", root + "/state",
                "--log-target", "stderr",
            ],
            environment: ["NOTIFY_SOCKET": notify.path],
            directory: root
        )
        try #require(notify.waitFor(20) { $0.contains("READY=1") } != nil, "stderr:\n\(daemon.stderr)")

        try drop(try exampleProposal(experiment: "slow-1"), as: "slow.yaml", into: root + "/spool/incoming")
        try #require(notify.waitFor(10) { $0.contains("STATUS=processing slow.yaml") } != nil)
        usleep(300_000)
        let stopAsked = Date()
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(10) == 0, "stderr:\n\(daemon.stderr)")
        #expect(Date().timeIntervalSince(stopAsked) < 5, "waited for the slow job instead of abandoning it")

        #expect(notify.waitFor(2) { $0.hasPrefix("STOPPING=1") } != nil)
        #expect(files(in: root + "/spool/incoming") == ["slow.yaml"])
        #expect(
            reportFolders(in: root + "/spool/reports").isEmpty,
            "a report directory was started: \(reportFolders(in: root + "/spool/reports"))"
        )
        #expect(files(in: root + "/spool/archive").isEmpty && files(in: root + "/spool/rejected").isEmpty)
        #expect(
            !FileManager.default.fileExists(atPath: root + "/spool/.in-progress"),
            "a clean stop left the crash marker"
        )
        #expect(daemon.stderr.contains("abandoned on shutdown"))
    }

    // In a process of its own: in this one, other suites' computations can hold both
    // cooperative threads for half a minute, and the time limit could not be timed.
    @Test("An input slower than job_time_limit_seconds is rejected with that reason, without waiting for it")
    func timeLimit() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let incoming = root + "/spool/incoming"
        try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)
        try place(try exampleProposal(experiment: "slow-limit"), as: "slow.yaml", into: incoming)
        // 100,000 prior draws take ~30 s in a debug build; the limit is 1 s.
        try "job_time_limit_seconds: 1\nprediction:\n  prior_draws: 100000\n"
            .write(toFile: root + "/advisor.yaml", atomically: true, encoding: .utf8)
        let start = Date()
        let daemon = try AdvisorProcess(
            arguments: [
                "serve", "--once", "--config", root + "/advisor.yaml", "--spool", root + "/spool", "--state-dir",
                root + "/state", "--log-target",
                "stderr",
            ],
            directory: root
        )
        #expect(daemon.waitForExit(30) == 0, "stderr:\n\(daemon.stderr)")
        // 1 s limit plus start-up and the rejection; far below the ~30 s the computation needs.
        #expect(Date().timeIntervalSince(start) < 8, "waited for the computation instead of the limit")
        let errorFile = try #require(files(in: root + "/spool/rejected").first { $0.hasSuffix(".error.txt") })
        #expect(
            try String(contentsOfFile: root + "/spool/rejected/" + errorFile, encoding: .utf8).contains(
                "job_time_limit_seconds"
            )
        )
        #expect(reportFolders(in: root + "/spool/reports").isEmpty && files(in: incoming).isEmpty)
    }

    @Test("A long analysis does not hold up a proposal dropped after it")
    func analysisBesideProposals() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        // Many boosting rounds and bootstraps: an analysis of several seconds in a debug build.
        try """
        prediction: {prior_draws: 400, lever_draws: 100}
        analysis:
          bootstrap: 2000
          estimate_bootstrap: 40
          boosting: {max_rounds: 400, early_stopping_rounds: 400, learning_rate: 0.01, threads: 1}
        """.write(toFile: root + "/advisor.yaml", atomically: true, encoding: .utf8)
        let notify = try NotifySocket(directory: root)
        let daemon = try AdvisorProcess(
            arguments: [
                "serve", "--config", root + "/advisor.yaml", "--spool", root + "/spool", "--state-dir", root + "/state",
                "--log-target", "stderr",
            ],
            environment: ["NOTIFY_SOCKET": notify.path],
            directory: root
        )
        try #require(notify.waitFor(20) { $0.contains("READY=1") } != nil, "stderr:\n\(daemon.stderr)")
        let incoming = root + "/spool/incoming"
        try drop(syntheticCSV(richExperiment, units: 20_000), as: "big.csv", into: incoming)
        try #require(notify.waitFor(10) { $0.contains("analyzing big.csv") } != nil, "the analysis never started")
        // The worker's progress becomes the service's status: stage and model count.
        #expect(
            notify.waitFor(60) { $0.hasPrefix("STATUS=analyzing big: fitting outcome models ") && $0.hasSuffix("/6") }
                != nil,
            "\(notify.messages)"
        )
        try drop(try exampleProposal(experiment: "beside"), as: "quick.yaml", into: incoming)
        #expect(waitFor(30) { hasReport(in: root + "/spool/reports/beside") }, "the proposal waited")
        #expect(files(in: root + "/spool/reports/big").isEmpty, "the analysis finished first: the test proves nothing")
        #expect(
            waitFor(300) { hasReport(in: root + "/spool/reports/big", kind: "verdict") },
            "stderr:\n\(daemon.stderr)"
        )
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(20) == 0)
    }

    @Test("analyze prints the verdict JSON with the documented keys; bad data exits 2 naming line and column")
    func analyzeCommand() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        try syntheticCSV(richExperiment, units: 6_000).write(
            toFile: root + "/flu.csv",
            atomically: true,
            encoding: .utf8
        )
        let output = root + "/out.json"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try advisorBinary())
        process.arguments = ["analyze", root + "/flu.csv", "--format", "json"]
        try #require(FileManager.default.createFile(atPath: output, contents: nil), "cannot create \(output)")
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(errorText.isEmpty, "no progress when standard error is not a terminal: \(errorText)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output))) as? [String: Any]
        )
        let estimates = try #require(json["estimates"] as? [String: Any])
        for key in ["sigma", "rho", "s", "prediction_error"] { #expect(estimates[key] is Double, "estimates.\(key)") }
        let realized = try #require(json["realized"] as? [String: Any])
        #expect(realized["gain"] is Double && realized["standard_error"] is Double)
        #expect((json["predicted"] as? [String: Any])?["gain"] is Double)
        #expect(["personalize", "ship-uniform", "inconclusive"].contains(json["verdict"] as? String ?? ""))
        #expect(json["verdict"] as? String == "personalize")
        #expect(json["best_uniform_arm"] as? String == "arm-2")
        #expect(json["experiment"] as? String == "flu")

        try "arm,outcome\nA,1\nB,x\n".write(toFile: root + "/bad.csv", atomically: true, encoding: .utf8)
        let bad = try AdvisorProcess(arguments: ["analyze", root + "/bad.csv"], directory: root)
        #expect(bad.waitForExit(30) == 2)
        #expect(
            bad.stderr.contains("\(root)/bad.csv:3: field 'column 'outcome'': 'x' is not a number"),
            "\(bad.stderr)"
        )
    }

    @Test(
        "analyze --proposal judges with the team's threshold, says so, compares its priors and carries it into the next proposal"
    )
    func analyzeWithProposal() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        try syntheticCSV(richExperiment, units: 6_000).write(
            toFile: root + "/flu.csv",
            atomically: true,
            encoding: .utf8
        )
        // example-minimal: baseline 0.31, threshold {relative: 0.03}, sample_size 75000.
        try exampleProposal(experiment: "flu").write(toFile: root + "/flu.yaml", atomically: true, encoding: .utf8)
        func report(_ format: String, _ extra: [String]) throws -> Data {
            let output = root + "/out." + format
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try advisorBinary())
            process.arguments =
                ["analyze", root + "/flu.csv", "--format", format, "--proposal", root + "/flu.yaml"] + extra
            try #require(FileManager.default.createFile(atPath: output, contents: nil), "cannot create \(output)")
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            return try Data(contentsOf: URL(fileURLWithPath: output))
        }
        func analyze(_ extra: [String]) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: report("json", extra)) as? [String: Any])
        }
        // Every rendition says whose threshold judged the data.
        let text = String(decoding: try report("text", []), as: UTF8.self)
        #expect(text.contains("0.0093 from your proposal flu, 3% of its baseline 0.31"), "\(text)")
        let html = String(decoding: try report("html", []), as: UTF8.self)
        #expect(html.contains("threshold 0.0093 from your proposal flu, 3% of its baseline 0.31."))
        let json = try analyze(["--next-proposal-out", root + "/next.yaml"])
        let threshold = try #require(json["threshold"] as? Double)
        #expect(abs(threshold - 0.03 * 0.31) < 1e-12, "the proposal's 3% of its baseline 0.31, not 1% of the best arm")
        let source = try #require(json["threshold_source"] as? [String: Any])
        #expect(source["kind"] as? String == "proposal" && source["proposal"] as? String == "flu")
        let statement = try #require(json["threshold_statement"] as? String)
        #expect(statement.hasPrefix("threshold 0.0093 from your proposal flu"), "\(statement)")
        #expect((json["prior_comparison"] as? [String])?.count == 4, "the proposal's priors are compared")
        let next = try String(contentsOfFile: root + "/next.yaml", encoding: .utf8)
        #expect(next.contains("threshold: {relative: 0.03}"), "\(next)")
        #expect(next.contains("baseline: 0.31 "), "\(next)")
        #expect(
            next.contains("sample_size: [25000, 25000, 25000]"),
            "the proposal's plan, not the training split: \(next)"
        )

        // A manifest's explicit threshold still wins, and the report says whose it is.
        try "threshold: 0.02\n".write(toFile: root + "/flu.manifest.yaml", atomically: true, encoding: .utf8)
        let manifest = try analyze([])
        #expect(manifest["threshold"] as? Double == 0.02)
        #expect((manifest["threshold_source"] as? [String: Any])?["kind"] as? String == "manifest")
    }

    @Test("analyze on a terminal shows the stage and model count on standard error, and nothing with --quiet")
    func analyzeProgress() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        try syntheticCSV(richExperiment, units: 3_000).write(
            toFile: root + "/flu.csv",
            atomically: true,
            encoding: .utf8
        )
        // util-linux's `script` gives the command a pseudo-terminal and records what it shows.
        func onTerminal(_ extra: String) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            process.arguments = [
                "-qec", "'\(try advisorBinary())' analyze '\(root)/flu.csv' \(extra) >'\(root)/report.txt'",
                root + "/terminal.txt",
            ]
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            return try String(contentsOfFile: root + "/terminal.txt", encoding: .utf8)
        }
        let shown = try onTerminal("")
        // The models of the 3-arm drop: 3 arms × 2 outcome models (XGBoost and ridge).
        for step in [
            "analyzing flu: reading the data", "analyzing flu: fitting outcome models 6/6", "learning the policy tree",
        ] {
            #expect(shown.contains("\r\u{1B}[K" + step) || shown.contains(step), "\(step) in \(shown.debugDescription)")
        }
        // The line is cleared at the end: the last thing shown is the erase, not a stage.
        #expect(shown.contains("the estimates\r\u{1B}[K\nScript done") || shown.contains("the estimates\r\u{1B}[K\r\n"))
        #expect(try String(contentsOfFile: root + "/report.txt", encoding: .utf8).hasPrefix("Experiment flu"))
        #expect(!(try onTerminal("--quiet")).contains("analyzing"))
    }

    @Test("Entries reach the running journald with their fields; a rejection is logged as a warning")
    func journal() throws {
        try #require(
            JournaldLogHandler.isJournalAvailable,
            "no journald socket at /run/systemd/journal/socket: run the tests with scripts/test.sh, which starts one"
        )
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let id = "journal-\(getpid())-\(Int(Date().timeIntervalSince1970 * 1000) % 1_000_000_000)"
        let incoming = root + "/spool/incoming"
        try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)
        try place(try exampleProposal(experiment: id), as: "good.yaml", into: incoming)
        try place("experiment: \(id)-bad\narms: 1\n", as: "bad.yaml", into: incoming)
        try place("experiment: \(id)-data\n", as: "data.manifest.yaml", into: incoming)
        try place(syntheticCSV(richExperiment, units: 3_000), as: "data.csv", into: incoming)
        let configPath = root + "/advisor.yaml"
        try Self.quickConfig.write(toFile: configPath, atomically: true, encoding: .utf8)

        let daemon = try AdvisorProcess(
            arguments: [
                "serve", "--once", "--config", configPath, "--spool", root + "/spool", "--state-dir", root + "/state",
                "--log-target", "journal",
            ],
            directory: root
        )
        #expect(daemon.waitForExit(60) == 0, "stderr:\n\(daemon.stderr)")

        var entries: [[String: Any]] = []
        _ = try waitFor(10) {
            entries = try Self.journal(["EXPERIMENT_ID=\(id)"])
            return !entries.isEmpty
        }
        let entry = try #require(entries.first, "journalctl -o json EXPERIMENT_ID=\(id) found nothing")
        #expect(entries.count == 1)
        #expect(entry["PRIORITY"] as? String == "6")
        #expect(entry["SYSLOG_IDENTIFIER"] as? String == "experiment-advisor")
        #expect(entry["MESSAGE_ID"] as? String == AdvisorEvent.prediction.messageID)
        #expect(entry["ADVISOR_EVENT"] as? String == "prediction")
        #expect(entry["_TRANSPORT"] as? String == "journal", "not written through sd_journal_sendv")
        #expect((entry["MESSAGE"] as? String)?.hasPrefix("\(id): ") == true)
        for field in ["VERDICT", "PREDICTED_GAIN", "RELATIVE_GAIN", "RECOMMENDATION", "REPORT_PATH", "INPUT_PATH"] {
            #expect((entry[field] as? String)?.isEmpty == false, "missing \(field)")
        }
        #expect(Double(entry["PREDICTED_GAIN"] as? String ?? "") != nil)
        #expect(FileManager.default.fileExists(atPath: entry["REPORT_PATH"] as? String ?? ""))

        // The same entry by MESSAGE_ID, as `journalctl -o json MESSAGE_ID=…` finds it.
        let byID = try Self.journal(["MESSAGE_ID=\(AdvisorEvent.prediction.messageID)", "EXPERIMENT_ID=\(id)"])
        #expect(byID.count == 1)

        let rejected = try Self.journal(["EXPERIMENT_ID=\(id)-bad"])
        let bad = try #require(rejected.first, "no journal entry for the rejected proposal")
        #expect(["3", "4"].contains(bad["PRIORITY"] as? String ?? ""))
        #expect(bad["ADVISOR_EVENT"] as? String == "rejected")
        #expect(bad["MESSAGE_ID"] as? String == AdvisorEvent.rejected.messageID)
        #expect(bad["FIELD"] as? String == "arms")
        #expect((bad["ERROR_PATH"] as? String).map { FileManager.default.fileExists(atPath: $0) } == true)

        let verdicts = try Self.journal(["EXPERIMENT_ID=\(id)-data", "ADVISOR_EVENT=verdict"])
        let verdict = try #require(verdicts.first, "no verdict entry in the journal")
        #expect(verdict["MESSAGE_ID"] as? String == AdvisorEvent.verdict.messageID)
        for field in [
            "VERDICT", "REALIZED_GAIN", "REALIZED_GAIN_SE", "PREDICTED_GAIN", "POLICY", "BEST_UNIFORM_ARM",
            "REPORT_PATH",
        ] {
            #expect((verdict[field] as? String)?.isEmpty == false, "missing \(field)")
        }
    }

    /// `journalctl -o json MATCHES…`, one object per line.
    static func journal(_ matches: [String]) throws -> [[String: Any]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/journalctl")
        process.arguments = ["-o", "json", "--no-pager"] + matches
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test("check-config accepts the bundled file and rejects a bad one naming the field (exit 2)")
    func checkConfig() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let good = try AdvisorProcess(
            arguments: ["check-config", repositoryRoot + "/config/experiment-advisor.yaml"],
            directory: root
        )
        #expect(good.waitForExit(30) == 0)
        try "rescan_interval_seconds: -1\n".write(toFile: root + "/bad.yaml", atomically: true, encoding: .utf8)
        let bad = try AdvisorProcess(arguments: ["check-config", root + "/bad.yaml"], directory: root)
        #expect(bad.waitForExit(30) == 2)
        #expect(
            bad.stderr.contains("\(root)/bad.yaml:1: field 'rescan_interval_seconds'") && bad.stderr.contains("Fix:")
        )
    }

    @Test("serve with a bad config exits non-zero at start and says why")
    func badConfigAtStart() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        try "spooll: /tmp/x\n".write(toFile: root + "/bad.yaml", atomically: true, encoding: .utf8)
        let daemon = try AdvisorProcess(
            arguments: [
                "serve", "--config", root + "/bad.yaml", "--spool", root + "/spool", "--state-dir", root + "/state",
                "--log-target", "stderr",
            ],
            directory: root
        )
        #expect(daemon.waitForExit(30) == 2)
        #expect(daemon.stderr.contains("did you mean 'spool'"))
        #expect(!FileManager.default.fileExists(atPath: root + "/spool"), "started work despite a bad config")
    }
}
