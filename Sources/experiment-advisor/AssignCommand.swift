import AdvisorAnalysis
import AdvisorFormats
import ArgumentParser
import Foundation

/// `experiment-advisor assign --policy FILE DATA.csv`: the arm a verdict's policy gives each new unit.
struct AssignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign",
        abstract: "Give each unit of a CSV the arm a policy file (STAMP-policy.json) assigns it.",
        discussion: """
            DATA is a CSV (or .csv.gz) with the covariate columns the policy was learned with (other
            columns are ignored; a uniform policy reads none) and the units' ids. It is read as
            analyze read the drop: the same missing-value tokens and the id column the manifest
            (--manifest) or the policy file names, which must be there; only when neither names
            one and there is no unit_id column is a unit's id its row number. One line per unit,
            unit_id,arm. A unit with a category the policy never saw gets the policy's fallback
            arm; a summary goes to standard error.
            """
    )

    @Option(help: "The policy file a verdict wrote.")
    var policy: String

    @Option(help: "The drop's manifest (NAME.manifest.yaml): its unit_id column and missing_values.")
    var manifest: String?

    @Argument(help: "The units (.csv or .csv.gz).")
    var data: String

    @Option(help: "Write the assignments here (default: standard output).")
    var output: String?

    @Option(help: "Output format: csv (unit_id,arm) or json (one object per line).")
    var format: AssignmentFormat = .csv

    enum AssignmentFormat: String, ExpressibleByArgument, CaseIterable {
        case csv
        case json
    }

    func run() throws {
        do {
            let file = try PolicyFile.load(path: policy)
            let units = try manifest.map { (path: String) throws(InputError) in try ManifestFile.load(path: path) }
            var sink = try AssignmentSink(path: output)
            if format == .csv { sink.write("unit_id,arm\n") }
            let summary: PolicyAssignment.Summary
            do {
                summary = try PolicyAssignment.run(policy: file, policyPath: policy, dataPath: data, manifest: units) {
                    id,
                    arm in
                    switch format {
                    case .csv: sink.write("\(Self.csvField(id)),\(Self.csvField(arm))\n")
                    case .json: sink.write("{\"unit_id\": \(Self.jsonString(id)), \"arm\": \(Self.jsonString(arm))}\n")
                    }
                }
            } catch {
                sink.discard()
                throw error
            }
            try sink.close()
            let shares = zip(file.arms, summary.perArm).filter { $0.1 > 0 }.map { "\($0.0) \($0.1)" }
            var line = "assigned \(summary.units) units with \(file.policy) (\(shares.joined(separator: ", ")))"
            if summary.fallback > 0 {
                let why = summary.unseenCategories.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                line +=
                    "; \(summary.fallback) got the fallback arm '\(file.fallbackArm)' (a category the policy never saw, by column: \(why.joined(separator: ", ")))"
            }
            printError(line)
        } catch let error as InputError {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }

    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    static func jsonString(_ text: String) -> String {
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// Standard output or a file, written in 1 MiB chunks (a line at a time would be a syscall per
/// unit). A file is written as `PATH.part` and renamed into place when complete, so a failed run
/// leaves no half-written assignments behind (`discard` removes the part).
struct AssignmentSink {
    let handle: FileHandle
    let path: String?
    var pending: [UInt8] = []

    var partPath: String? { path.map { $0 + ".part" } }

    init(path: String?) throws(InputError) {
        self.path = path
        guard let part = path.map({ $0 + ".part" }) else {
            handle = .standardOutput
            return
        }
        guard FileManager.default.createFile(atPath: part, contents: nil),
            let handle = FileHandle(forWritingAtPath: part)
        else {
            throw InputError(
                file: part,
                field: nil,
                problem: "cannot be created",
                fix: "give --output a path in a directory you can write"
            )
        }
        self.handle = handle
    }

    mutating func write(_ text: String) {
        pending += text.utf8
        if pending.count >= 1 << 20 { flush() }
    }

    mutating func flush() {
        handle.write(Data(pending))
        pending.removeAll(keepingCapacity: true)
    }

    mutating func close() throws {
        flush()
        guard let path, let part = partPath else { return }
        try handle.close()
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: part, toPath: path)
    }

    func discard() {
        if let part = partPath { try? FileManager.default.removeItem(atPath: part) }
    }
}
