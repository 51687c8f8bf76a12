import AdvisorModel
import AdvisorFormats
import AdvisorReports
import Foundation
import Glibc
import Testing

/// The repository root, found from this file's path, for the bundled config and proposals.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// A fresh directory under /tmp, removed by the caller's `defer`.
func makeTemporaryDirectory(_ prefix: String = "advisor-test") throws -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { buffer in
        buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) }
    }
    return try #require(path, "mkdtemp failed: \(String(cString: strerror(errno)))")
}

func removeDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// The bundled example proposal with its experiment id replaced, so each test's journal
/// entries and reports are its own.
func exampleProposal(experiment: String) throws -> String {
    let text = try String(contentsOfFile: repositoryRoot + "/config/proposals/example-minimal.yaml", encoding: .utf8)
    return text.replacingOccurrences(of: "experiment: flu-nudges-2027", with: "experiment: \(experiment)")
}

/// Drops a file the way producers are told to: write it under a temporary name, then rename it in.
func drop(_ text: String, as name: String, into incoming: String) throws {
    let temporary = incoming + "/." + name + ".part"
    try text.write(toFile: temporary, atomically: false, encoding: .utf8)
    guard rename(temporary, incoming + "/" + name) == 0 else {
        throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
    }
}

/// Writes a file straight into `incoming/` and back-dates it, as if it had been there a while.
func place(_ text: String, as name: String, into incoming: String, age: TimeInterval = 60) throws {
    let path = incoming + "/" + name
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: path)
}

func files(in directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass.
func waitFor(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

/// The `experiment-advisor` binary `swift test` built next to the test bundle.
func advisorBinary() throws -> String {
    let executable = try #require(Bundle.main.executableURL ?? URL(string: CommandLine.arguments[0]))
    var directory = executable.deletingLastPathComponent()
    for _ in 0..<3 {
        let candidate = directory.appendingPathComponent("experiment-advisor").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    let fallback = repositoryRoot + "/.build/debug/experiment-advisor"
    try #require(
        FileManager.default.isExecutableFile(atPath: fallback),
        "experiment-advisor was not built next to the tests"
    )
    return fallback
}

/// The bundled example proposal, parsed.
enum ProposalFileFixture {
    static func example() throws -> Proposal {
        try ProposalFile.load(path: repositoryRoot + "/config/proposals/example-minimal.yaml")
    }
}

/// A synthetic data drop as CSV text (header unit_id, arm, outcome, x0…), from `SyntheticExperiment`.
func syntheticCSV(_ truth: SyntheticExperiment, units: Int, seed: UInt64 = 1) -> String {
    let data = truth.generate(units: units, seed: seed)
    var lines = ["unit_id,arm,outcome," + (0..<data.features.columns).map { "x\($0)" }.joined(separator: ",")]
    lines.reserveCapacity(units + 1)
    for i in 0..<data.units {
        var line = "\(i),\(data.armNames[data.arm[i]]),\(data.outcome[i])"
        for j in 0..<data.features.columns { line += ",\(data.features[i, j])" }
        lines.append(line)
    }
    return lines.joined(separator: "\n") + "\n"
}

/// Much heterogeneity, few arms: an analysis that should say "personalize".
let richExperiment = SyntheticExperiment(sigma: 0.4, rho: 0.1, armMeans: [1, 1.02, 1.04], noise: 0.5)

/// Whether `directory` holds a complete report of `kind`: its JSON and its text rendition under
/// one name (a report may have more renditions; these two it always has).
func hasReport(in directory: String, kind: String = "prediction") -> Bool {
    let names = files(in: directory)
    return names.contains { name in
        name.hasSuffix("-\(kind).json") && names.contains(String(name.dropLast(".json".count)) + ".txt")
    }
}

/// The experiments' report folders in `reports/` (the index page beside them is not a report).
func reportFolders(in reports: String) -> [String] {
    files(in: reports).filter { $0 != "index.html" }
}
