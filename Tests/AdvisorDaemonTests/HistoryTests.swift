import AdvisorDaemon
import AdvisorReports
import Foundation
import Glibc
import Testing

@testable import AdvisorLedger

/// `history` only reads: the ledger opened read-only leaves its file as it was, the state
/// directory is found as `serve` finds it and named, and a ledger it may not read is never
/// called damaged.
@Suite("history reads the ledger without touching it")
struct HistoryTests {
    /// A ledger with an answered proposal and a rejected input, closed (no -wal left).
    static func ledger(in directory: String) throws {
        let ledger = try Ledger(directory: directory)
        let answered = try ledger.begin(name: "flu.yaml", lane: "proposals", size: 10, contentHash: "crc32:1")
        let id = try #require(answered.id)
        try ledger.planned(
            id,
            outcome: .prediction,
            stamp: "20270101T000000.000Z",
            experiment: "flu",
            files: ["/s/reports/flu/20270101T000000.000Z-prediction.json"],
            destination: "/s/archive/20270101T000000.000Z-flu.yaml",
            figures: ["verdict": "actionable", "predicted_gain": "0.01"]
        )
        try ledger.written(id)
        try ledger.finished(id)
        let bad = try ledger.begin(name: "bad.yaml", lane: "proposals", size: 3, contentHash: "crc32:2")
        let badID = try #require(bad.id)
        try ledger.planned(
            badID,
            outcome: .rejected,
            stamp: "20270102T000000.000Z",
            experiment: nil,
            files: ["/s/rejected/20270102T000000.000Z-bad.yaml.error.txt"],
            destination: "/s/rejected/20270102T000000.000Z-bad.yaml",
            error: "bad.yaml: not valid YAML or JSON. Fix: check indentation"
        )
        try ledger.written(badID)
        try ledger.finished(badID)
    }

    /// The directory's names, and the ledger's size and modification time to the nanosecond.
    static func snapshot(_ directory: String) -> [String] {
        var info = stat()
        _ = stat(directory + "/ledger.sqlite", &info)
        return files(in: directory) + ["\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"]
    }

    @Test("history leaves a closed ledger's file, size and mtime as they were, and creates nothing beside it")
    func closedLedger() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        try Self.ledger(in: root + "/state")
        let before = Self.snapshot(root + "/state")
        #expect(before.first == "ledger.sqlite" && before.count == 2, "closed: \(before)")
        usleep(20_000)  // a write now would show in the mtime
        let rows = try Ledger.reading(directory: root + "/state").history()
        #expect(rows.map(\.name) == ["flu.yaml", "bad.yaml"])
        let process = try AdvisorProcess(
            arguments: ["history", "--state-dir", root + "/state", "--format", "json"],
            directory: root
        )
        #expect(process.waitForExit(30) == 0, "\(process.stderr)")
        #expect(process.stderr.contains("history: reading \(root)/state/ledger.sqlite (--state-dir)"))
        #expect(Self.snapshot(root + "/state") == before)
    }

    @Test("While the daemon has it open, a read sees its latest row and changes neither the file nor the WAL")
    func liveLedger() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        try Self.ledger(in: root + "/state")
        let daemon = try Ledger(directory: root + "/state")
        _ = try daemon.begin(name: "late.csv", lane: "analyses", size: 1, contentHash: "crc32:3")
        let state = root + "/state"
        let before = Self.snapshot(state)
        var wal = stat()
        _ = stat(state + "/ledger.sqlite-wal", &wal)
        #expect(before.contains("ledger.sqlite-wal"), "\(before)")
        usleep(20_000)
        #expect(try Ledger.reading(directory: state).history().last?.name == "late.csv")
        var walAfter = stat()
        _ = stat(state + "/ledger.sqlite-wal", &walAfter)
        #expect(Self.snapshot(state) == before)
        #expect(wal.st_size == walAfter.st_size && wal.st_mtim.tv_nsec == walAfter.st_mtim.tv_nsec)
        _ = daemon
    }

    @Test("A ledger that cannot be read or written is not called damaged; only a damaged one is to be moved aside")
    func permissionIsNotCorruption() {
        // SQLite's primary result codes: READONLY, CANTOPEN, PERM, AUTH; CORRUPT, NOTADB.
        for code: Int32 in [8, 14, 3, 23] {
            for writing in [true, false] {
                let error = Ledger.openingError(path: "/l", code: code, message: "m", writing: writing)
                #expect(!error.description.contains("move it aside") && !error.description.contains("not a usable"))
                #expect(error.fix.contains(writing ? "write access" : "run as a user who may read"), "\(error)")
            }
        }
        let damaged = Ledger.openingError(path: "/l", code: 11, message: "m", writing: true)
        #expect(damaged.fix.contains("move it aside"))
        let damagedRead = Ledger.openingError(path: "/l", code: 26, message: "m", writing: false)
        #expect(damagedRead.problem.contains("not a usable ledger") && !damagedRead.fix.contains("mv "))
    }

    @Test("A user who may not read the state directory is told so, never to move a healthy ledger aside")
    func unreadableDirectory() throws {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        try Self.ledger(in: root + "/state")
        chmod(root, 0o755)
        chmod(root + "/state", 0o700)
        let before = Self.snapshot(root + "/state")
        // A copy of the binary others may run: the build directory may be private.
        let binary = root + "/experiment-advisor"
        try FileManager.default.copyItem(atPath: try advisorBinary(), toPath: binary)
        chmod(binary, 0o755)
        func history() throws -> (status: Int32, stderr: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = [
                "--reuid=65534", "--regid=65534", "--clear-groups", binary, "history", "--state-dir", root + "/state",
            ]
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        let denied = try history()
        #expect(denied.status == 2)
        #expect(denied.stderr.contains("cannot be read (Permission denied)"), "\(denied.stderr)")
        #expect(!denied.stderr.contains("move it aside") && !denied.stderr.contains("not a usable"))
        // Readable but in a directory it may not write: read as immutable, no -shm needed.
        chmod(root + "/state", 0o755)
        let readable = try history()
        #expect(readable.status == 0, "\(readable.stderr)")
        #expect(Self.snapshot(root + "/state") == before)
    }

    @Test("history finds the state directory as serve does, through the configuration, and says which it used")
    func stateDirectoryFromConfiguration() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        try Self.ledger(in: root + "/kept")
        try "state_directory: \(root)/kept\n".write(toFile: root + "/advisor.yaml", atomically: true, encoding: .utf8)
        let process = try AdvisorProcess(arguments: ["history", "--config", root + "/advisor.yaml"], directory: root)
        #expect(process.waitForExit(30) == 0, "\(process.stderr)")
        #expect(process.stderr.contains("reading \(root)/kept/ledger.sqlite (state_directory of \(root)/advisor.yaml)"))
        let missing = try AdvisorProcess(arguments: ["history", "--state-dir", root + "/none"], directory: root)
        #expect(missing.waitForExit(30) == 2)
        #expect(missing.stderr.contains("\(root)/none/ledger.sqlite does not exist"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/none"), "nothing created")
    }

    @Test("The index built from the ledger lists the rejected input with its reason")
    func indexListsRejections() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        try Self.ledger(in: root + "/state")
        let index = ExperimentIndex(ledger: try Ledger.reading(directory: root + "/state").history())
        let rejection = try #require(index.rejections.first)
        #expect(index.rejections.count == 1 && rejection.name == "bad.yaml")
        #expect(
            rejection.reason.contains("not valid YAML")
                && rejection.errorFile == "rejected/20270102T000000.000Z-bad.yaml.error.txt"
        )
        let page = index.html()
        #expect(page.contains("<h2>Rejected inputs</h2>") && page.contains("not valid YAML or JSON"))
        #expect(index.experiments.count == 1, "a rejection is no experiment")
    }
}
