import AdvisorLedger
import AdvisorModel
import AdvisorReports
import Foundation
import Testing

/// The spool's promise under kill -9, with the real binary: every input ends in exactly one of
/// archive/ or rejected/, an archived input has exactly one complete report set, no set exists
/// without its input, no temporary is left, no good input is rejected, and the ledger ends with
/// no unfinished row. Two harnesses:
///
/// - random: rounds of fresh inputs, the daemon started and SIGKILLed after a random delay;
/// - deterministic: the process tree run under strace, which sends SIGKILL at the k-th
///   rename, fsync or unlink of one process (the daemon, or a worker: strace counts per process),
///   for k = 1, 2, …, so every write step is a kill point, then a clean start drains.
///
/// CI runs a few rounds (`ADVISOR_FAULT_ROUNDS`, `ADVISOR_FAULT_STEPS`); `scripts/fault-harness.sh`
/// runs many. Only processes these tests started are killed, by their own pid.
@Suite("Faults: kill -9 at random times and at every write step", .serialized)
struct FaultTests {
    static let environment = ProcessInfo.processInfo.environment
    static let rounds = environment["ADVISOR_FAULT_ROUNDS"].flatMap(Int.init) ?? 6
    static let steps = environment["ADVISOR_FAULT_STEPS"].flatMap(Int.init) ?? 3
    static let config =
        "prediction:\n  prior_draws: 400\n  lever_draws: 100\nanalysis:\n  bootstrap: 50\n  estimate_bootstrap: 5\n"

    /// What was dropped, to check against what the spool holds at the end.
    struct Dropped {
        var good: [(name: String, experiment: String)] = []
        var bad: [String] = []
        var data: [(name: String, experiment: String)] = []
    }

    static func dropRound(_ round: Int, into incoming: String, withData: Bool, _ dropped: inout Dropped) throws {
        for i in 0..<2 {
            let experiment = "fault-\(round)-\(i)"
            let name = "good-\(round)-\(i).yaml"
            try drop(try exampleProposal(experiment: experiment), as: name, into: incoming)
            dropped.good.append((name, experiment))
        }
        let bad = "bad-\(round).yaml"
        try drop("experiment: fault-bad-\(round)\narms: 1\n", as: bad, into: incoming)
        dropped.bad.append(bad)
        if withData {
            let experiment = "fault-data-\(round)"
            let name = "data-\(round).csv"
            try drop("experiment: \(experiment)\n", as: "data-\(round).manifest.yaml", into: incoming)
            try drop(syntheticCSV(richExperiment, units: 1500, seed: UInt64(round + 1)), as: name, into: incoming)
            dropped.data.append((name, experiment))
        }
    }

    static func arguments(_ root: String, once: Bool) -> [String] {
        ["serve"] + (once ? ["--once"] : []) + [
            "--config", root + "/advisor.yaml", "--spool", root + "/spool", "--state-dir", root + "/state",
            "--log-target", "stderr",
        ]
    }

    /// A clean `serve --once`: what a restart finishes and answers.
    static func drain(_ root: String) throws {
        let clean = try AdvisorProcess(arguments: arguments(root, once: true), directory: root)
        #expect(clean.waitForExit(300) == 0, "the clean start failed:\n\(clean.stderr.suffix(2000))")
    }

    /// The invariants, over everything dropped so far.
    static func checkInvariants(_ root: String, _ dropped: Dropped, context: String) throws {
        let spool = root + "/spool"
        let incoming = files(in: spool + "/incoming").filter { !$0.hasPrefix(".") }
        #expect(incoming.isEmpty, "\(context): left in incoming/: \(incoming)")
        let archive = files(in: spool + "/archive")
        let rejected = files(in: spool + "/rejected")
        for (name, experiment) in dropped.good {
            #expect(archive.filter { $0.hasSuffix("-" + name) }.count == 1, "\(context): \(name) archived once")
            let why = rejected.filter { $0.hasSuffix("-" + name + ".error.txt") }.map {
                (try? String(contentsOfFile: spool + "/rejected/" + $0, encoding: .utf8)) ?? ""
            }
            #expect(why.isEmpty, "\(context): good \(name) rejected: \(why)")
            let set = files(in: spool + "/reports/" + experiment)
            #expect(
                set.count == PredictionReport.suffixes.count && hasReport(in: spool + "/reports/" + experiment),
                "\(context): \(experiment) has one complete prediction set: \(set)"
            )
        }
        for (name, experiment) in dropped.data {
            let why = rejected.filter { $0.hasSuffix("-" + name + ".error.txt") }.map {
                (try? String(contentsOfFile: spool + "/rejected/" + $0, encoding: .utf8)) ?? ""
            }
            #expect(why.isEmpty, "\(context): good drop \(name) rejected: \(why)")
            #expect(archive.filter { $0.hasSuffix("-" + name) }.count == 1, "\(context): \(name) archived once")
            let set = files(in: spool + "/reports/" + experiment)
            #expect(
                set.count == VerdictReport.suffixes.count
                    && hasReport(in: spool + "/reports/" + experiment, kind: "verdict"),
                "\(context): \(experiment) has one complete verdict set: \(set)"
            )
        }
        for name in dropped.bad {
            #expect(rejected.filter { $0.hasSuffix("-" + name) }.count == 1, "\(context): \(name) rejected once")
            #expect(rejected.filter { $0.hasSuffix("-" + name + ".error.txt") }.count == 1)
            #expect(!archive.contains { $0.hasSuffix("-" + name) })
        }
        // Nothing else: no report set without its input, no stray error file.
        let expected = dropped.good.count + dropped.data.count * 2
        #expect(archive.count == expected, "\(context): archive holds \(archive.count), expected \(expected)")
        #expect(rejected.count == dropped.bad.count * 2, "\(context): rejected/ holds \(rejected)")
        let experiments = reportFolders(in: spool + "/reports")
        #expect(
            experiments.count == dropped.good.count + dropped.data.count,
            "\(context): report directories \(experiments)"
        )
        let temporaries = try FileManager.default.subpathsOfDirectory(atPath: spool).filter {
            ($0 as NSString).lastPathComponent.hasSuffix(".tmp")
        }
        #expect(temporaries.isEmpty, "\(context): temporaries left: \(temporaries)")
        #expect(try Ledger(directory: root + "/state").unfinished().isEmpty, "\(context): unfinished ledger rows")
        // The index, rewritten from the ledger at each start and after each report, lists every
        // experiment once, whatever the kills interrupted.
        let index = (try? String(contentsOfFile: spool + "/reports/index.html", encoding: .utf8)) ?? ""
        for experiment in experiments {
            #expect(
                index.components(separatedBy: "<td data-label=\"experiment\">\(experiment)</td>").count == 2,
                "\(context): \(experiment) in the index"
            )
        }
    }

    @Test(
        "Random kill -9 of the daemon, rounds of proposals, bad inputs and drops: nothing lost, duplicated or misfiled"
    )
    func randomKills() throws {
        let root = try makeTemporaryDirectory("advisor-fault")
        defer { removeDirectory(root) }
        try Self.config.write(toFile: root + "/advisor.yaml", atomically: true, encoding: .utf8)
        let incoming = root + "/spool/incoming"
        try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)
        var random = SplitMix64(seed: 20_261_202)
        var dropped = Dropped()
        var workersKilled = 0
        for round in 0..<Self.rounds {
            try Self.dropRound(round, into: incoming, withData: round % 3 == 0, &dropped)
            let daemon = try AdvisorProcess(arguments: Self.arguments(root, once: false), directory: root)
            usleep(UInt32(random.nextOpenUnit() * 2_500_000))
            let workers = WorkerProcessTests.children(of: daemon.process.processIdentifier)
            daemon.signal(SIGKILL)
            _ = daemon.waitForExit(10)
            workersKilled += workers.count
            #expect(
                waitFor(5) { workers.allSatisfy { !WorkerProcessTests.isAlive($0) } },
                "round \(round): a worker outlived the daemon"
            )
        }
        try Self.drain(root)
        try Self.checkInvariants(root, dropped, context: "after \(Self.rounds) kill -9 rounds")
        print(
            "fault harness: \(Self.rounds) rounds, \(dropped.good.count + dropped.bad.count + dropped.data.count * 2) inputs, \(workersKilled) workers in flight at a kill"
        )
    }

    @Test(
        "SIGKILL at the k-th rename, fsync or unlink of the daemon or a worker, every k: a clean start finishes the job",
        arguments: ["rename,renameat,renameat2", "fsync,fdatasync", "unlink,unlinkat"]
    )
    func killAtEachWriteStep(syscalls: String) throws {
        let strace = "/usr/bin/strace"
        try #require(
            FileManager.default.isExecutableFile(atPath: strace),
            "strace is installed by scripts/system-packages.sh"
        )
        let root = try makeTemporaryDirectory("advisor-fault")
        defer { removeDirectory(root) }
        try Self.config.write(toFile: root + "/advisor.yaml", atomically: true, encoding: .utf8)
        let incoming = root + "/spool/incoming"
        try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)
        var dropped = Dropped()
        var kills = 0
        for step in 1...Self.steps {
            try Self.dropRound(step, into: incoming, withData: step == 1, &dropped)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: strace)
            process.arguments =
                [
                    "-f", "-qq", "-o", "/dev/null", "-e", "trace=\(syscalls)",
                    "-e", "inject=\(syscalls):signal=KILL:when=\(step)", try advisorBinary(),
                ] + Self.arguments(root, once: true)
            let log = root + "/strace-run-\(step).log"
            try #require(FileManager.default.createFile(atPath: log, contents: nil))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            // A kill happened: the daemon died (strace passes its status on), or a worker did.
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if process.terminationStatus != 0 || text.contains("killed from outside") { kills += 1 }
            try Self.drain(root)
            try Self.checkInvariants(root, dropped, context: "kill at \(syscalls) #\(step)")
        }
        #expect(kills > 0, "no step of \(syscalls) killed anything: the harness tested nothing")
        print("fault harness: \(syscalls): \(Self.steps) steps, \(kills) of them killed the daemon or a worker")
    }
}
