import AdvisorAnalysis
@testable import AdvisorDaemon
import AdvisorModel
import AdvisorFormats
import AdvisorIngest
import AdvisorLedger
import AdvisorReports
import Foundation
import InMemoryLogging
import Logging
import Testing

/// The spool end to end in this process, on real temporary directories: what goes in, what
/// comes out, what is logged. (Signals, the notify socket and journald: `DaemonProcessTests`.)
@Suite("Spool processing")
struct SpoolProcessingTests {
    static func service(
        spool: String,
        _ adjust: (inout AdvisorConfiguration) -> Void = { _ in }
    ) -> (SpoolService, InMemoryLogHandler) {
        var configuration = AdvisorConfiguration()
        configuration.prediction.priorDraws = 400
        configuration.prediction.leverDraws = 100
        adjust(&configuration)
        // swift-log's own in-memory handler: no LoggingSystem.bootstrap, entries read back as logged.
        let store = InMemoryLogHandler()
        let logger = Logger(label: "test") { _ in store }
        let service = SpoolService(
            configuration: configuration,
            options: .init(configurationPath: nil, spoolOverride: spool, stateDirectoryOverride: spool + "/.state"),
            logger: logger,
            notifier: SystemdNotifier()
        )
        return (service, store)
    }

    @Test("A proposal becomes a report pair, its input is archived, and one entry is logged")
    func proposalToReport() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, log) = Self.service(spool: root)
        let spool = service.spool
        try spool.create()
        try place(try exampleProposal(experiment: "spool-good"), as: "good.yaml", into: spool.incoming)

        try await service.runOnce()

        let reports = files(in: spool.reports + "/spool-good")
        let json = try #require(reports.first { $0.hasSuffix("-prediction.json") })
        let text = try #require(reports.first { $0.hasSuffix("-prediction.txt") })
        let base = json.dropLast(".json".count)
        #expect(reports.allSatisfy { $0.hasPrefix(base + ".") }, "every rendition shares one stamp: \(reports)")
        let report = try String(contentsOfFile: spool.reports + "/spool-good/" + text, encoding: .utf8)
        #expect(report.contains("VERDICT:") && report.contains("DO THIS:"))
        let decoded =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: spool.reports + "/spool-good/" + json))
            ) as? [String: Any]
        #expect(decoded?["experiment"] as? String == "spool-good")
        #expect(files(in: spool.incoming).isEmpty)
        #expect(files(in: spool.archive).count == 1 && files(in: spool.archive)[0].hasSuffix("-good.yaml"))
        #expect(files(in: spool.rejected).isEmpty)

        let entries = log.events("prediction")
        #expect(entries.count == 1)
        let entry = try #require(entries.first)
        #expect(entry.level == .info)
        #expect(entry.metadata["experiment_id"] == "spool-good")
        #expect(entry.metadata["message_id"] == AdvisorEvent.prediction.messageID)
        #expect(entry.metadata["report_path"] == spool.reports + "/spool-good/" + json)
        #expect(entry.metadata["input_path"]?.hasPrefix(spool.archive + "/") == true)
        for key in ["verdict", "predicted_gain", "relative_gain", "recommendation"] {
            #expect(entry.metadata[key]?.isEmpty == false, "missing \(key)")
        }
        #expect(!entry.message.contains("\n") && entry.message.contains("spool-good") && entry.message.contains("do: "))
    }

    @Test("Bad inputs land in rejected/ with an error file naming file, field, problem and fix; nothing is lost")
    func rejections() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, log) = Self.service(spool: root) { $0.maxInputBytes = 4096 }
        let spool = service.spool
        try spool.create()
        try place("experiment: spool-bad\narms: 1\n", as: "bad-arms.yaml", into: spool.incoming)
        try place("experiment: [oops\n", as: "broken.yml", into: spool.incoming)
        try place("hello", as: "notes.txt", into: spool.incoming)
        try place(String(repeating: "#", count: 5000), as: "huge.yaml", into: spool.incoming)
        try place("", as: "empty.json", into: spool.incoming)
        // Names a producer is still writing are never taken.
        try place("experiment: x", as: "later.yaml.part", into: spool.incoming)
        try place("experiment: x", as: ".hidden.yaml", into: spool.incoming)

        try await service.runOnce()

        #expect(files(in: spool.incoming) == [".hidden.yaml", "later.yaml.part"])
        #expect(files(in: spool.archive).isEmpty)
        let rejected = files(in: spool.rejected)
        #expect(rejected.count == 10, "five inputs and five error files: \(rejected)")
        func explanation(_ suffix: String) throws -> String {
            let name = try #require(
                rejected.first { $0.hasSuffix(suffix + ".error.txt") },
                "no error file for \(suffix)"
            )
            return try String(contentsOfFile: spool.rejected + "/" + name, encoding: .utf8)
        }
        let arms = try explanation("bad-arms.yaml")
        #expect(arms.contains("file:    \(spool.incoming)/bad-arms.yaml (line 2)"))
        #expect(arms.contains("field:   arms") && arms.contains("problem: ") && arms.contains("fix:     "))
        #expect(try explanation("broken.yml").contains("not valid YAML"))
        #expect(try explanation("notes.txt").contains("*.yaml, *.yml or *.json"))
        #expect(try explanation("huge.yaml").contains("max_input_bytes"))
        #expect(try explanation("empty.json").contains("empty"))

        let entries = log.events("rejected")
        #expect(entries.count == 5)
        #expect(
            entries.allSatisfy { $0.level == .warning && $0.metadata["message_id"] == AdvisorEvent.rejected.messageID }
        )
        let armsEntry = try #require(entries.first { $0.message.hasPrefix("bad-arms.yaml") })
        #expect(armsEntry.metadata["experiment_id"] == "spool-bad", "a rejection still names its experiment")
        #expect(armsEntry.metadata["field"] == "arms")
        #expect(armsEntry.metadata["error_path"]?.hasSuffix("bad-arms.yaml.error.txt") == true)
    }

    @Test("A file written in place is taken only once it has settled")
    func settle() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, _) = Self.service(spool: root) { $0.settleSeconds = 0.6 }
        let spool = service.spool
        try spool.create()
        try place(try exampleProposal(experiment: "spool-settle"), as: "fresh.yaml", into: spool.incoming, age: 0)
        let start = Date()
        try await service.runOnce()
        #expect(Date().timeIntervalSince(start) >= 0.5, "processed before it settled")
        #expect(hasReport(in: spool.reports + "/spool-settle"))
    }

    @Test(
        "An input in flight when the daemon died is tried again; in flight at every one of max_attempts starts, rejected"
    )
    func leftoverFromCrash() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, log) = Self.service(spool: root)
        let spool = service.spool
        try spool.create()
        let ledger = try Ledger(directory: service.stateDirectory)
        // One death with it in flight (a kill, say): taken again and answered. The ledger keeps
        // the name exactly, leading space and all.
        let killed = " killed once.yaml"
        try place(try exampleProposal(experiment: "spool-killed"), as: killed, into: spool.incoming)
        _ = try ledger.begin(name: killed, lane: "proposals", size: 1, contentHash: try hash(spool, killed))
        try await service.runOnce()
        #expect(hasReport(in: spool.reports + "/spool-killed"), "a good input is not misfiled by one kill")
        #expect(files(in: spool.rejected).isEmpty && files(in: spool.incoming).isEmpty)
        let answered = try ledger.history(experiment: "spool-killed")
        #expect(answered.count == 1 && answered[0].attempts == 2 && answered[0].state == .archived)

        // In flight at both of its starts (max_attempts = 2): rejected, naming the attempts.
        let crashed = "new\nline.yaml"
        try place(try exampleProposal(experiment: "spool-crash"), as: crashed, into: spool.incoming)
        for _ in 0..<2 {
            _ = try ledger.begin(name: crashed, lane: "proposals", size: 1, contentHash: try hash(spool, crashed))
        }
        try await service.runOnce()
        #expect(files(in: spool.incoming).isEmpty)
        let errorFile = try #require(files(in: spool.rejected).first { $0.hasSuffix("line.yaml.error.txt") })
        let text = try String(contentsOfFile: spool.rejected + "/" + errorFile, encoding: .utf8)
        #expect(text.contains("stopped unexpectedly") && text.contains("each of its 2 attempts"))
        #expect(log.events("rejected").count == 1)
        #expect(try ledger.unfinished().isEmpty)
    }

    @Test("A kill after the report was durable archives the input at the next start instead of answering it twice")
    func killBetweenReportAndArchive() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, log) = Self.service(spool: root)
        let spool = service.spool
        try spool.create()
        let ledger = try Ledger(directory: service.stateDirectory)
        let name = "answered.yaml"
        try place(try exampleProposal(experiment: "spool-once"), as: name, into: spool.incoming)
        // What a worker killed between the report set and the move leaves: the set, the row `written`.
        let row = try ledger.begin(name: name, lane: "proposals", size: 1, contentHash: try hash(spool, name))
        let id = try #require(row.id)
        let directory = spool.reports + "/spool-once"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let set = [directory + "/STAMP-prediction.json", directory + "/STAMP-prediction.txt"]
        for file in set { try "{}".write(toFile: file, atomically: true, encoding: .utf8) }
        let destination = spool.archive + "/STAMP-" + name
        try ledger.planned(
            id,
            outcome: .prediction,
            stamp: "STAMP",
            experiment: "spool-once",
            files: set,
            destination: destination
        )
        try ledger.written(id)

        try await service.runOnce()
        #expect(files(in: directory).count == 2, "a second report was written: \(files(in: directory))")
        #expect(files(in: spool.archive) == ["STAMP-" + name] && files(in: spool.incoming).isEmpty)
        #expect(log.events("prediction").isEmpty)
        #expect(try ledger.entry(id)?.state == .archived)
    }

    @Test("A kill in the middle of a report set removes the half set at the next start and answers the input once")
    func killInsideReportSet() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, _) = Self.service(spool: root)
        let spool = service.spool
        try spool.create()
        let ledger = try Ledger(directory: service.stateDirectory)
        let name = "half.yaml"
        try place(try exampleProposal(experiment: "spool-half"), as: name, into: spool.incoming)
        let id = try #require(
            try ledger.begin(name: name, lane: "proposals", size: 1, contentHash: try hash(spool, name)).id
        )
        let directory = spool.reports + "/spool-half"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let set = [directory + "/OLD-prediction.json", directory + "/OLD-prediction.txt"]
        try "{}".write(toFile: set[0], atomically: true, encoding: .utf8)  // the JSON made it, the text did not
        try ledger.planned(
            id,
            outcome: .prediction,
            stamp: "OLD",
            experiment: "spool-half",
            files: set,
            destination: spool.archive + "/OLD-" + name
        )

        try await service.runOnce()
        let reports = files(in: directory)
        #expect(
            reports.count == PredictionReport.suffixes.count && !reports.contains { $0.hasPrefix("OLD") },
            "\(reports)"
        )
        #expect(files(in: spool.archive).count == 1 && files(in: spool.incoming).isEmpty)
        #expect(try ledger.entry(id)?.state == .archived)
    }

    @Test("A ledger that is not a database is a clear error at start, naming the file and the fix")
    func corruptLedger() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, _) = Self.service(spool: root)
        try FileManager.default.createDirectory(atPath: service.stateDirectory, withIntermediateDirectories: true)
        try String(repeating: "not a database ", count: 400).write(
            toFile: service.stateDirectory + "/ledger.sqlite",
            atomically: true,
            encoding: .utf8
        )
        do {
            try await service.runOnce()
            Issue.record("started on a corrupt ledger")
        } catch {
            let text = "\(error)"
            #expect(
                text.contains(service.stateDirectory + "/ledger.sqlite") && text.contains("move it aside"),
                "\(text)"
            )
        }
    }

    @Test("The ledger syncs every commit (synchronous=FULL), although its WAL pool would default to NORMAL")
    func ledgerIsDurable() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        #expect(try Ledger(directory: root + "/state").synchronousMode() == 2)
        #expect(try Ledger(directory: root + "/state", checked: false).synchronousMode() == 2)
    }

    func hash(_ spool: SpoolDirectory, _ name: String) throws -> String {
        try #require(ContentHash.ofFile(atPath: spool.incoming + "/" + name))
    }

    @Test("A name of 250 bytes is answered once and archived under a name that fits, a bad one rejected once")
    func longNames() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, _) = Self.service(spool: root)
        let spool = service.spool
        try spool.create()
        let good = String(repeating: "g", count: 245) + ".yaml"
        let bad = String(repeating: "é", count: 122) + ".yaml"  // 249 bytes in UTF-8
        try place(try exampleProposal(experiment: "spool-long"), as: good, into: spool.incoming)
        try place("experiment: spool-long-bad\narms: 1\n", as: bad, into: spool.incoming)
        try await service.runOnce()
        try await service.runOnce()  // a second scan must find nothing left to do
        #expect(files(in: spool.incoming).isEmpty)
        #expect(
            files(in: spool.reports + "/spool-long").count == PredictionReport.suffixes.count,
            "one report, not one per scan"
        )
        #expect(files(in: spool.archive).count == 1 && files(in: spool.archive).allSatisfy { $0.utf8.count <= 255 })
        #expect(files(in: spool.rejected).count == 2 && files(in: spool.rejected).allSatisfy { $0.utf8.count <= 255 })
    }

    @Test("A data drop with its manifest becomes a verdict pair; both inputs are archived; one verdict entry is logged")
    func dataDropToVerdict() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, log) = Self.service(spool: root) {
            $0.analysis.bootstrap = 100
            $0.analysis.estimateBootstrap = 5
        }
        let spool = service.spool
        try spool.create()
        try place("experiment: spool-data\ncontrol_arm: arm-0\n", as: "results.manifest.yaml", into: spool.incoming)
        try place(syntheticCSV(richExperiment, units: 6_000), as: "results.csv", into: spool.incoming)

        try await service.runOnce()

        let reports = files(in: spool.reports + "/spool-data")
        #expect(hasReport(in: spool.reports + "/spool-data", kind: "verdict"))
        // The set: the verdict's JSON and text, the next proposal and the policy file, under one stamp.
        let json = try #require(reports.first { $0.hasSuffix("-verdict.json") })
        let stamp = json.dropLast("-verdict.json".count)
        #expect(Set(reports) == Set(VerdictReport.suffixes.map { stamp + $0 }), "\(reports)")
        let decoded =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: spool.reports + "/spool-data/" + json))
            ) as? [String: Any]
        #expect(decoded?["verdict"] as? String == "personalize")
        let policyPath = spool.reports + "/spool-data/" + stamp + "-policy.json"
        #expect(decoded?["policy_file"] as? String == policyPath)
        let policy = try PolicyFile.load(path: policyPath)
        #expect(policy.kind == "t-learner" && policy.policy == decoded?["policy"] as? String)
        #expect(files(in: spool.incoming).isEmpty)
        let archived = files(in: spool.archive)
        #expect(
            archived.count == 2 && archived.contains { $0.hasSuffix("-results.csv") }
                && archived.contains { $0.hasSuffix("-results.manifest.yaml") }
        )
        let entry = try #require(log.events("verdict").first)
        #expect(entry.metadata["experiment_id"] == "spool-data" && entry.metadata["verdict"] == "personalize")
        #expect(entry.metadata["policy_file"] == policyPath)
        for key in ["realized_gain", "realized_gain_se", "predicted_gain", "policy", "best_uniform_arm", "report_path"]
        {
            #expect(entry.metadata[key]?.isEmpty == false, "missing \(key)")
        }
    }

    @Test("A verdict compares the estimates with the priors of the proposal processed earlier for the experiment")
    func priorsVersusData() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, _) = Self.service(spool: root) {
            $0.analysis.bootstrap = 50
            $0.analysis.estimateBootstrap = 0
        }
        let spool = service.spool
        try spool.create()
        try place(try exampleProposal(experiment: "flu-2027"), as: "proposal.yaml", into: spool.incoming)
        try await service.runOnce()
        try place("experiment: flu-2027\n", as: "results.manifest.yaml", into: spool.incoming)
        try place(syntheticCSV(richExperiment, units: 6_000), as: "results.csv", into: spool.incoming)
        try await service.runOnce()
        let json = try #require(files(in: spool.reports + "/flu-2027").first { $0.hasSuffix("-verdict.json") })
        let decoded =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: spool.reports + "/flu-2027/" + json))
            ) as? [String: Any]
        let lines = try #require(decoded?["prior_comparison"] as? [String])
        // The example's ρ prior is uniform on [0.5, 0.9] (central 0.7); the data say about 0.1.
        #expect(lines.contains { $0.hasPrefix("Your ρ prior of 0.7 was pessimistic: the data say") }, "\(lines)")
        #expect(lines.count == 4)
        // The proposal's threshold (3% of its baseline 0.31), not the default 1% of the best arm,
        // judged the data; the next proposal keeps it, its baseline and its planned sample size.
        #expect(abs((decoded?["threshold"] as? Double ?? 0) - 0.03 * 0.31) < 1e-12)
        #expect((decoded?["threshold_source"] as? [String: Any])?["proposal"] as? String == "flu-2027")
        let nextName = try #require(
            files(in: spool.reports + "/flu-2027").first { $0.hasSuffix("-next-proposal.yaml") }
        )
        let next = try String(contentsOfFile: spool.reports + "/flu-2027/" + nextName, encoding: .utf8)
        #expect(next.contains("threshold: {relative: 0.03}") && next.contains("baseline: 0.31 "), "\(next)")
        #expect(next.contains("sample_size: [25000, 25000, 25000]"), "\(next)")

        // reports/index.html pairs the verdict with the earlier prediction. Each runOnce is a new
        // loop, which reads the index back from the ledger: the pair survives a restart.
        try place(try exampleProposal(experiment: "other-2027"), as: "other.yaml", into: spool.incoming)
        try place("experiment: [", as: "broken.yaml", into: spool.incoming)
        try await service.runOnce()
        let index = try String(contentsOfFile: spool.index, encoding: .utf8)
        #expect(index.contains("2 experiments. Of the 1 with a prediction before the test and a verdict after it"))
        let verdictPage = try #require(files(in: spool.reports + "/flu-2027").first { $0.hasSuffix("-verdict.html") })
        #expect(index.contains("href=\"flu-2027/\(verdictPage)\""))
        #expect(index.contains(">other-2027<"))
        // The broken proposal is no experiment, but the index lists it with its reason.
        #expect(index.contains("<h2>Rejected inputs</h2>") && index.contains(">broken.yaml<"))
        #expect(index.contains("not valid YAML or JSON") && index.contains("rejected/"))
        #expect(!files(in: spool.reports).contains { $0.hasSuffix(".tmp") })
    }

    @Test("A bad data drop is rejected with its manifest and an error file naming the line and column")
    func badDataDrop() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, log) = Self.service(spool: root)
        let spool = service.spool
        try spool.create()
        try place("experiment: spool-bad-data\n", as: "broken.manifest.yaml", into: spool.incoming)
        try place("arm,outcome,x\nA,1,2\nB,oops,3\n", as: "broken.csv", into: spool.incoming)
        try await service.runOnce()
        #expect(files(in: spool.incoming).isEmpty)
        let rejected = files(in: spool.rejected)
        #expect(rejected.count == 3, "data, manifest, error file: \(rejected)")
        let errorFile = try #require(rejected.first { $0.hasSuffix(".error.txt") })
        let text = try String(contentsOfFile: spool.rejected + "/" + errorFile, encoding: .utf8)
        #expect(
            text.contains("(line 3)") && text.contains("column 'outcome'") && text.contains("'oops' is not a number")
        )
        #expect(log.events("rejected").count == 1)
        // reports/index.html lists it with its reason and error file.
        let index = try String(contentsOfFile: spool.index, encoding: .utf8)
        #expect(index.contains(">broken.csv<"), "\(index)")
        #expect(index.contains("&#39;oops&#39; is not a number"), "the reason, escaped")
        #expect(index.contains(">rejected/\(errorFile)<"))
    }

    @Test("A broken manifest's error says in its first line that the manifest is the broken file")
    func brokenManifestNamed() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, _) = Self.service(spool: root)
        let spool = service.spool
        try spool.create()
        try place("experiment: [oops\n", as: "drop.manifest.yaml", into: spool.incoming)
        try place(syntheticCSV(richExperiment, units: 600), as: "drop.csv", into: spool.incoming)
        try await service.runOnce()
        let errorFile = try #require(files(in: spool.rejected).first { $0.hasSuffix(".error.txt") })
        let text = try String(contentsOfFile: spool.rejected + "/" + errorFile, encoding: .utf8)
        #expect(
            text.hasPrefix(
                "experiment-advisor could not use drop.csv: the problem is in drop.manifest.yaml, not in the data."
            ),
            "\(text)"
        )
    }

    @Test(
        "Temporaries an interrupted write left are removed at start; a link planted at a temporary's name is not followed"
    )
    func staleTemporaries() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, _) = Self.service(spool: root)
        let spool = service.spool
        try spool.create()
        let experiment = spool.reports + "/old"
        try FileManager.default.createDirectory(atPath: experiment, withIntermediateDirectories: true)
        let stale = [
            experiment + "/.20261201T000000.000Z-verdict.json.tmp", spool.rejected + "/.x.yaml.error.txt.tmp",
            spool.root + "/..in-progress.tmp",
        ]
        for path in stale { try "half".write(toFile: path, atomically: false, encoding: .utf8) }
        let kept = experiment + "/20261201T000000.000Z-prediction.json"
        try "{}".write(toFile: kept, atomically: false, encoding: .utf8)
        try await service.runOnce()
        #expect(stale.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
        #expect(FileManager.default.fileExists(atPath: kept))

        // A link where the next write puts its temporary: the write replaces the link, and the
        // file it pointed to keeps its contents.
        let victim = root + "/someone-elses-report.json"
        try "theirs".write(toFile: victim, atomically: false, encoding: .utf8)
        let target = experiment + "/new.json"
        #expect(symlink(victim, experiment + "/.new.json.tmp") == 0)
        try SpoolDirectory.writeAtomically("ours", to: target)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "theirs")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "ours")
    }

    @Test(
        "Names as file systems allow them: not UTF-8, a leading dash, a newline, shell characters; each answered once"
    )
    func oddNames() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, _) = Self.service(spool: root) { $0.settleSeconds = 0 }
        let spool = service.spool
        try spool.create()
        // A Latin-1 "é": such a name cannot be a String, so it is renamed to caf%E9.yaml.
        let latin1 = Array((spool.incoming + "/caf").utf8) + [0xE9] + Array(".yaml".utf8) + [0]
        let fd = latin1.withUnsafeBufferPointer { path in
            path.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT, 0o644) }
        }
        try #require(fd >= 0)
        let text = Array(try exampleProposal(experiment: "name-latin1").utf8)
        _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let names = ["-rf.yaml", "new\nline.yaml", "$(touch pwned) `x`;|&.yaml"]
        for (index, name) in names.enumerated() {
            try place(try exampleProposal(experiment: "name-odd-\(index)"), as: name, into: spool.incoming)
        }
        try await service.runOnce()
        try await service.runOnce()
        #expect(files(in: spool.incoming).isEmpty, "\(files(in: spool.incoming))")
        #expect(hasReport(in: spool.reports + "/name-latin1"))
        #expect(files(in: spool.archive).contains { $0.hasSuffix("-caf%E9.yaml") }, "\(files(in: spool.archive))")
        for index in names.indices {
            #expect(files(in: spool.reports + "/name-odd-\(index)").count == PredictionReport.suffixes.count)
        }
        #expect(files(in: spool.rejected).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root + "/pwned"))
    }

    @Test("A report past worker.output_limit_bytes is refused before anything is written, naming the file")
    func outputLimit() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, _) = Self.service(spool: root) {
            $0.settleSeconds = 0
            $0.worker.outputLimitBytes = 1 << 10  // a prediction report is several KiB
        }
        let spool = service.spool
        try spool.create()
        try place(try exampleProposal(experiment: "too-large"), as: "large.yaml", into: spool.incoming)
        try await service.runOnce()
        #expect(files(in: spool.reports + "/too-large").isEmpty)
        let error = try #require(files(in: spool.rejected).first { $0.hasSuffix(".error.txt") })
        let text = try String(contentsOfFile: spool.rejected + "/" + error, encoding: .utf8)
        #expect(
            text.contains("-prediction.json would be") && text.contains("worker.output_limit_bytes (1024)"),
            "\(text)"
        )
    }

    @Test("A file in reports/ where an experiment's directory should be: the input is answered, naming it")
    func reportDirectoryBlocked() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, _) = Self.service(spool: root) { $0.settleSeconds = 0 }
        let spool = service.spool
        try spool.create()
        try "not a directory".write(toFile: spool.reports + "/blocked", atomically: true, encoding: .utf8)
        try place(try exampleProposal(experiment: "blocked"), as: "blocked.yaml", into: spool.incoming)
        try await service.runOnce()
        try await service.runOnce()
        #expect(files(in: spool.incoming).isEmpty)
        let error = try #require(files(in: spool.rejected).first { $0.hasSuffix(".error.txt") })
        let explanation = try String(contentsOfFile: spool.rejected + "/" + error, encoding: .utf8)
        #expect(explanation.contains("reports/blocked is not a directory") && explanation.contains("move that entry"))
    }

    @Test(
        "Links, pipes, directories and hard-linked files are rejected unread, each named; a good proposal beside them is answered"
    )
    func oddEntries() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, log) = Self.service(spool: root) { $0.settleSeconds = 0 }
        let spool = service.spool
        try spool.create()
        let secret = root + "/secret.yaml"
        try "experiment: secret-one\narms: 3\n".write(toFile: secret, atomically: true, encoding: .utf8)
        let incoming = spool.incoming
        #expect(symlink(secret, incoming + "/linked.yaml") == 0)
        #expect(symlink("/nonexistent/target", incoming + "/dangling.yaml") == 0)
        #expect(symlink("/dev/zero", incoming + "/zeros.csv") == 0)
        #expect(mkfifo(incoming + "/pipe.yaml", 0o644) == 0)
        #expect(mkdir(incoming + "/folder.yaml", 0o755) == 0)
        try place("experiment: hard\narms: 3\n", as: "hard.yaml", into: incoming)
        #expect(link(incoming + "/hard.yaml", root + "/other-name") == 0)
        try place(try exampleProposal(experiment: "spool-good"), as: "good.yaml", into: incoming)
        #expect(symlink(secret, incoming + "/drop.manifest.yaml") == 0)

        try await service.runOnce()

        #expect(files(in: incoming).isEmpty, "\(files(in: incoming))")
        #expect(hasReport(in: spool.reports + "/spool-good"))
        let rejected = files(in: spool.rejected)
        let expectations = [
            ("linked.yaml", "a symbolic link"), ("dangling.yaml", "a symbolic link"), ("zeros.csv", "a symbolic link"),
            ("pipe.yaml", "a named pipe (FIFO)"), ("folder.yaml", "a directory"),
            ("hard.yaml", "a file with several hard links"), ("drop.manifest.yaml", "a symbolic link"),
        ]
        for (name, kind) in expectations {
            let error = try #require(
                rejected.first { $0.hasSuffix("-" + name + ".error.txt") },
                "no error file for \(name)"
            )
            let text = try String(contentsOfFile: spool.rejected + "/" + error, encoding: .utf8)
            #expect(text.contains("problem: is \(kind), not a regular file"), "\(name): \(text)")
            #expect(rejected.contains(String(error.dropLast(".error.txt".count))), "\(name) moved to rejected/")
        }
        // The link was moved, not followed: its target is untouched and nothing quotes it.
        #expect(try String(contentsOfFile: secret, encoding: .utf8) == "experiment: secret-one\narms: 3\n")
        #expect(!rejected.contains { $0.contains("secret") })
        #expect(log.events("rejected").count == expectations.count)
    }

    @Test("A manifest alone waits in incoming/ for its data file")
    func manifestWaits() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, _) = Self.service(spool: root)
        let spool = service.spool
        try spool.create()
        try place("experiment: later\n", as: "later.manifest.yaml", into: spool.incoming)
        try await service.runOnce()
        #expect(files(in: spool.incoming) == ["later.manifest.yaml"])
        #expect(files(in: spool.rejected).isEmpty)
    }

    @Test("A manifest whose data never arrive is rejected after manifest_wait_seconds, naming the data file")
    func orphanManifest() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, log) = Self.service(spool: root)
        let spool = service.spool
        try spool.create()
        try place("experiment: gone\n", as: "gone.manifest.yaml", into: spool.incoming, age: 7_200)
        try place("experiment: soon\n", as: "soon.manifest.yaml", into: spool.incoming, age: 60)
        try await service.runOnce()
        #expect(files(in: spool.incoming) == ["soon.manifest.yaml"])
        let errorFile = try #require(files(in: spool.rejected).first { $0.hasSuffix("gone.manifest.yaml.error.txt") })
        let text = try String(contentsOfFile: spool.rejected + "/" + errorFile, encoding: .utf8)
        #expect(
            text.contains(
                "its data file (gone.csv or gone.csv.gz) has not arrived within manifest_wait_seconds (3600 s)"
            )
        )
        #expect(log.events("rejected").count == 1)
    }

    @Test("A spool that cannot be created is an error naming the path and the fix")
    func unusableSpool() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        try "not a directory".write(toFile: root + "/file", atomically: true, encoding: .utf8)
        let (service, _) = Self.service(spool: root + "/file/spool")
        await #expect {
            try await service.runOnce()
        } throws: { error in
            let text = "\(error)"
            return error is SpoolError && text.contains(root + "/file/spool") && text.contains("Fix:")
        }
    }

    @Test("Two reports for one experiment in the same instant never overwrite each other")
    func uniqueNames() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let spool = SpoolDirectory(root: root)
        try spool.create()
        func write(_ text: String) throws -> [String] {
            let suffixes = ["-prediction.json", "-prediction.txt"]
            let (directory, base) = try spool.reportBase(experiment: "e", stamp: "S", suffixes: suffixes)
            return try spool.writeReport(
                directory: directory,
                base: base,
                renditions: [.init(suffix: suffixes[0], contents: "{}"), .init(suffix: suffixes[1], contents: text)]
            )
        }
        let first = try write("a")
        let second = try write("b")
        #expect(Set(first).isDisjoint(with: second) && first.count == 2)
        #expect(
            files(in: root + "/reports/e") == [
                "S-2-prediction.json", "S-2-prediction.txt", "S-prediction.json", "S-prediction.txt",
            ]
        )
    }
}

extension InMemoryLogHandler {
    /// An entry with its message and metadata as the journal writes them: text.
    struct Logged {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    /// The entries of one `advisor_event` (prediction, verdict, rejected, …).
    func events(_ event: String) -> [Logged] {
        entries.filter { $0.metadata["advisor_event"] == .string(event) }.map {
            Logged(level: $0.level, message: "\($0.message)", metadata: $0.metadata.mapValues { "\($0)" })
        }
    }
}

@Suite("Spool: analysis summaries")
struct SpoolSummaryTests {
    @Test(
        "A summary dropped in incoming/ becomes the same verdict as its analysis, archived, logged; a bad one is rejected naming the field"
    )
    func summaryToVerdict() async throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let (service, log) = SpoolProcessingTests.service(spool: root) {
            $0.analysis.bootstrap = 100
            $0.analysis.estimateBootstrap = 5
        }
        let spool = service.spool
        try spool.create()
        var settings = service.configuration.analysis
        settings.bootstrap = 100
        settings.estimateBootstrap = 5
        let (verdict, _, summary) = try PostExperimentAnalyzer(
            settings: settings,
            prediction: service.configuration.prediction
        ).analyze(
            experiment: "from-spark",
            data: richExperiment.generate(units: 6_000, seed: 5),
            covariateNames: (0..<richExperiment.columns).map { "x\($0)" },
            binaryOutcome: false,
            models: [("ridge-t-learner", RidgeOutcomeModel())]
        )
        var elsewhere = summary
        elsewhere.provenance.engine = "spark/advisor_job.py"
        elsewhere.provenance.engineVersion = "1"
        elsewhere.provenance.ranOn = "spark://cluster:7077"
        try place(try SummaryFile.json(elsewhere), as: "results.summary.json", into: spool.incoming)
        try place(
            "{\"format\": \"experiment-advisor/analysis-summary\", \"version\": 9}",
            as: "old.summary.json",
            into: spool.incoming
        )
        try await service.runOnce()

        let json = try #require(files(in: spool.reports + "/from-spark").first { $0.hasSuffix("-verdict.json") })
        let decoded =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: spool.reports + "/from-spark/" + json))
            ) as? [String: Any]
        #expect(decoded?["verdict"] as? String == verdict.verdict.rawValue)
        let realized = decoded?["realized"] as? [String: Any]
        #expect((realized?["gain"] as? Double) == verdict.realized.gain)
        let text = try #require(files(in: spool.reports + "/from-spark").first { $0.hasSuffix("-verdict.txt") })
        let report = try String(contentsOfFile: spool.reports + "/from-spark/" + text, encoding: .utf8)
        #expect(
            report.contains("The analysis ran in spark/advisor_job.py (version 1) on spark://cluster:7077"),
            "\(report)"
        )
        #expect(files(in: spool.archive).contains { $0.hasSuffix("-results.summary.json") })
        #expect(log.events("verdict").first?.metadata["experiment_id"] == "from-spark")
        // The one from another version: rejected with an error naming the field.
        let errorFile = try #require(files(in: spool.rejected).first { $0.hasSuffix(".error.txt") })
        let error = try String(contentsOfFile: spool.rejected + "/" + errorFile, encoding: .utf8)
        #expect(error.contains("field:   version") && error.contains("this build reads version 1"), "\(error)")
        #expect(files(in: spool.incoming).isEmpty)
    }
}
