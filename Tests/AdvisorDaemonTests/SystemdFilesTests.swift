import AdvisorDaemon
import Foundation
import Testing

/// The files in `systemd/` checked by systemd's own tools, offline, against temporary roots:
/// nothing here touches the machine's configuration.
@Suite("systemd files")
struct SystemdFilesTests {
    static let directory = repositoryRoot + "/systemd"

    /// Runs a tool; returns its exit status and stdout+stderr.
    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The unit with ExecStart pointing at the binary this test run built, since `verify`
    /// checks that the command exists.
    static func unitForThisBuild(in root: String) throws -> String {
        let unit = try String(contentsOfFile: directory + "/experiment-advisor.service", encoding: .utf8)
        try #require(unit.contains("ExecStart=/usr/local/bin/experiment-advisor serve "))
        let path = root + "/experiment-advisor.service"
        try unit.replacingOccurrences(of: "/usr/local/bin/experiment-advisor", with: try advisorBinary())
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("systemd-analyze verify prints nothing for the unit")
    func verify() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let result = try Self.run("/usr/bin/systemd-analyze", ["verify", try Self.unitForThisBuild(in: root)])
        #expect(result.status == 0)
        #expect(result.output.isEmpty, "verify warned:\n\(result.output)")
    }

    @Test("systemd-analyze security rates the unit SAFE (exposure at most 1.0)")
    func security() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        let result = try Self.run(
            "/usr/bin/systemd-analyze",
            ["security", "--offline=yes", try Self.unitForThisBuild(in: root)]
        )
        let line = try #require(result.output.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = try #require(line.split(separator: " ").compactMap { Double($0) }.first, "no score in: \(line)")
        #expect(score <= 1.0, "\(line)")
        #expect(line.contains("SAFE"))
    }

    @Test("The catalog explains every MESSAGE_ID the daemon logs")
    func catalog() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        try FileManager.default.createDirectory(
            atPath: root + "/usr/lib/systemd/catalog",
            withIntermediateDirectories: true
        )
        try FileManager.default.copyItem(
            atPath: Self.directory + "/experiment-advisor.catalog",
            toPath: root + "/usr/lib/systemd/catalog/experiment-advisor.catalog"
        )
        let update = try Self.run("/usr/bin/journalctl", ["--root=\(root)", "--update-catalog"])
        #expect(update.status == 0 && update.output.isEmpty, "\(update.output)")
        let listed = try Self.run("/usr/bin/journalctl", ["--root=\(root)", "--list-catalog"]).output
        for event in AdvisorEvent.allCases {
            #expect(listed.contains("\(event.messageID) experiment-advisor: "), "\(event) has no catalog entry")
        }
    }

    @Test("sysusers creates the user and tmpfiles the spool with group-writable incoming/")
    func sysusersAndTmpfiles() throws {
        let root = try makeTemporaryDirectory()
        defer { removeDirectory(root) }
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        let users = try Self.run(
            "/usr/bin/systemd-sysusers",
            ["--root=\(root)", Self.directory + "/experiment-advisor.sysusers"]
        )
        #expect(users.status == 0, "\(users.output)")
        #expect(try String(contentsOfFile: root + "/etc/passwd", encoding: .utf8).contains("experiment-advisor:x:"))
        let tmpfiles = try Self.run(
            "/usr/bin/systemd-tmpfiles",
            ["--root=\(root)", "--create", Self.directory + "/experiment-advisor.tmpfiles"]
        )
        #expect(tmpfiles.status == 0, "\(tmpfiles.output)")
        for (name, mode) in [
            ("", 0o2775), ("/incoming", 0o2775), ("/reports", 0o2750), ("/archive", 0o2750), ("/rejected", 0o2750),
        ] {
            let attributes = try FileManager.default.attributesOfItem(
                atPath: root + "/var/spool/experiment-advisor" + name
            )
            #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o7777 } == mode, "\(name)")
        }
    }
}
