import Foundation
import Testing

/// Durability is invisible on ext4 (it orders metadata), so it is checked where it is decided:
/// the system calls. `serve --once` runs under strace; every directory whose entries a proposal
/// changes must be fsynced after the change: the new report directory's parent, the report
/// directory, and both sides of the input's move (incoming/ and archive/).
@Suite("Durability of the spool's writes")
struct DurabilityTests {
    @Test("A new report directory, the report files and both sides of the move are fsynced")
    func directoriesAreSynced() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            Issue.record("strace is missing: scripts/system-packages.sh installs it")
            return
        }
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let spool = root + "/spool"
        for directory in ["incoming", "reports", "archive", "rejected"] {
            try FileManager.default.createDirectory(atPath: spool + "/" + directory, withIntermediateDirectories: true)
        }
        try exampleProposal(experiment: "durable").write(
            toFile: spool + "/incoming/durable.yaml",
            atomically: true,
            encoding: .utf8
        )
        let trace = root + "/trace.txt"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/strace")
        process.arguments = [
            "-f", "-qq", "-o", trace, "-e", "trace=openat,fsync,rename,renameat,renameat2,mkdir,mkdirat",
            try advisorBinary(), "serve", "--once", "--spool", spool, "--state-dir", root + "/state", "--log-target",
            "stderr",
        ]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(hasReport(in: spool + "/reports/durable"))
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map(String.init)
        /// Whether `line` names an entry directly in `directory` (not deeper).
        func namesChild(_ line: String, of directory: String) -> Bool {
            var rest = Substring(line)
            while let range = rest.range(of: "\"\(directory)/") {
                let name = rest[range.upperBound...].prefix { $0 != "\"" }
                if !name.isEmpty && !name.contains("/") { return true }
                rest = rest[range.upperBound...]
            }
            return false
        }
        /// The directories fsynced after their last change (a rename or mkdir of a child). The
        /// report index is derived from the ledger and deliberately not synced: its rename is
        /// not a change that must survive a power cut.
        func syncedAfterLastChange(_ directory: String) -> Bool {
            let changed = lines.lastIndex { line in
                (line.contains("rename") || line.contains("mkdir(")) && !line.contains("EEXIST")
                    && namesChild(line, of: directory) && !line.contains("/index.html\"")
            }
            guard let changed else { return false }
            // The fds opened on the directory after the change, and an fsync of one of them.
            var fds: Set<String> = []
            for line in lines[changed...] {
                if line.contains("openat(") && line.contains("\"\(directory)\"") && line.contains("O_DIRECTORY"),
                    let fd = line.split(separator: "=").last?.trimmingCharacters(in: .whitespaces)
                {
                    fds.insert(fd)
                }
                if let range = line.range(of: "fsync("), let close = line[range.upperBound...].firstIndex(of: ")") {
                    if fds.contains(String(line[range.upperBound..<close])) { return true }
                }
            }
            return false
        }
        for directory in [spool + "/reports", spool + "/reports/durable", spool + "/incoming", spool + "/archive"] {
            #expect(syncedAfterLastChange(directory), "\(directory) is not fsynced after its last change")
        }
    }
}
