import AdvisorIngest
import AdvisorModel
import AdvisorFormats
import Foundation
import Testing

@Suite("Data drops (CSV)")
struct CSVDataFileTests {
    /// Writes `text` to a fresh file and returns its path.
    static func file(_ text: String, name: String = "drop.csv") throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Writes `path.gz` beside `path` with the system's gzip.
    static func gzipCopy(_ path: String) throws {
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", path]
        try gzip.run()
        gzip.waitUntilExit()
        try #require(gzip.terminationStatus == 0, "gzip failed")
    }

    /// Two arms, `perArm` units each, outcome = arm index + 0.1·i, two covariates.
    static func simple(perArm: Int = 60, extraHeader: String = "", extra: (Int) -> String = { _ in "" }) -> String {
        var lines = ["unit_id,arm,outcome,age,region" + extraHeader]
        for i in 0..<(2 * perArm) {
            let arm = i % 2 == 0 ? "control" : "nudge"
            lines.append(
                "\(i),\(arm),\(Double(i % 2) + 0.1 * Double(i % 7)),\(20 + i % 50),\(["north", "south", "east"][i % 3])"
                    + extra(i)
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func limits(minUnits: Int = 10) -> IngestLimits {
        var limits = IngestLimits()
        limits.minUnitsPerArm = minUnits
        return limits
    }

    @Test("A plain drop becomes columns: arms, outcomes, numeric and one-hot covariates, equal propensities")
    func plain() throws {
        let path = try Self.file(Self.simple())
        let drop = try CSVDataFile.read(path: path, manifest: DataManifest(), limits: Self.limits())
        #expect(drop.experiment == "drop")
        #expect(drop.data.armNames == ["control", "nudge"])
        #expect(drop.data.units == 120 && drop.rowsRead == 120 && drop.rowsDropped == 0)
        #expect(drop.covariateNames == ["age", "region=north", "region=south", "region=east"])
        #expect(drop.data.features[0, 0] == 20 && drop.data.features[0, 1] == 1 && drop.data.features[1, 2] == 1)
        #expect(drop.data.propensity.allSatisfy { $0 == 0.5 })
        #expect(abs(drop.data.outcome[3] - 1.3) < 1e-12)
        #expect(!drop.binaryOutcome)
    }

    @Test("gzip and plain give the same columns; rows that span read buffers are read whole")
    func gzipAndBuffers() throws {
        // ~2.5 MB: several 1 MiB reads, so rows cross buffer ends.
        let text = Self.simple(perArm: 40_000)
        let path = try Self.file(text)
        try Self.gzipCopy(path)
        let plain = try CSVDataFile.read(path: path, manifest: DataManifest(), limits: Self.limits())
        let compressed = try CSVDataFile.read(path: path + ".gz", manifest: DataManifest(), limits: Self.limits())
        #expect(plain.data.units == 80_000 && compressed.data.units == 80_000)
        #expect(plain.data.outcome == compressed.data.outcome && plain.data.arm == compressed.data.arm)
        #expect(plain.data.features.values == compressed.data.features.values)
        #expect(compressed.experiment == "drop")
        var expectedSum = 0.0
        for i in 0..<80_000 { expectedSum += Double(i % 2) + 0.1 * Double(i % 7) }
        #expect(abs(plain.data.outcome.reduce(0, +) - expectedSum) < 1e-6)
    }

    /// ~7 MB: read as two halves in parallel (plain) and in one pass (gzip), which must agree.
    static func large(rows: Int = 200_000, tail: String = "") -> String {
        var lines = ["arm,outcome,x,kind"]
        lines.reserveCapacity(rows + 2)
        for i in 0..<rows {
            // Arm "late" (the last quarter: four arms of equal size, as equal chances give) and
            // the text value "big" only appear in the second half; "kind" is numeric in the
            // first half and text in the second.
            let arm = i >= rows * 3 / 4 ? "late" : "arm-\(i % 3)"
            let kind = i < rows / 2 ? "\(i % 2)" : (i % 7 == 0 ? "big" : "\(i % 2)")
            lines.append("\(arm),\(Double(i % 10) / 10),\(i % 97),\(kind)")
        }
        return lines.joined(separator: "\n") + "\n" + tail
    }

    @Test("A large plain file read as two halves on two cores equals the one-pass read of its gzip copy")
    func halves() throws {
        let path = try Self.file(Self.large())
        try Self.gzipCopy(path)
        let parallel = try CSVDataFile.read(path: path, manifest: DataManifest(), limits: Self.limits())
        let sequential = try CSVDataFile.read(path: path + ".gz", manifest: DataManifest(), limits: Self.limits())
        #expect(parallel.data.units == 200_000)
        #expect(parallel.data.armNames == sequential.data.armNames)
        #expect(parallel.data.arm == sequential.data.arm)
        #expect(parallel.data.outcome == sequential.data.outcome)
        #expect(parallel.covariateNames == sequential.covariateNames)
        #expect(parallel.covariateNames == ["x", "kind=0", "kind=1", "kind=big"])
        let same = zip(parallel.data.features.values, sequential.data.features.values).allSatisfy {
            $0 == $1 || ($0.isNaN && $1.isNaN)
        }
        #expect(same)
    }

    @Test("An error in the second half names its true line; dropped rows there too")
    func halvesLines() throws {
        let base = Self.large()
        let rows = 200_000
        var limits = Self.limits()
        limits.maxBadRowShare = 0.5
        let dropped = try CSVDataFile.read(
            path: try Self.file(base + ",0.5,1,0\n"),
            manifest: DataManifest(),
            limits: limits
        )
        #expect(dropped.rowsDropped == 1 && dropped.droppedLines == [rows + 2])
        let path = try Self.file(base + "arm-1,oops,1,0\n")
        #expect {
            _ = try CSVDataFile.read(path: path, manifest: DataManifest(), limits: limits)
        } throws: { ($0 as? InputError)?.line == rows + 2 }
    }

    @Test(
        "Plain rows (the fast path) and the same values written any other way (the general path) give identical columns"
    )
    func fastAndGeneralPaths() throws {
        // Every value once plainly and once in a form the fast path hands to the general one:
        // quoted, padded, signed with '+', with an exponent, CRLF-ended, over 19 digits (then
        // strtod decides, as it does for the plain 19-digit value).
        // Seven digits either side of the point is the eight-bytes-at-a-time limit; eight and
        // nineteen take the digit loop and strtod.
        let values = [
            "0", "1", "-0.25", ".5", "5.", "-0", "12.3456", "0.1234567890123456789", "",
            "1234567.7654321", "-12345678.87654321", "0000001.5",
        ]
        func irregular(_ v: String, _ i: Int) -> String {
            guard !v.isEmpty else { return "" }
            switch i % 5 {
            case 0: return "\"\(v)\""
            case 1: return " \(v) "
            case 2: return v.hasPrefix("-") ? v : "+\(v)"
            case 3: return "\(Double(v) ?? 0)e0"
            default:  // 22 zeros that do not change the value: trailing after a point, else leading
                let zeros = String(repeating: "0", count: 22)
                if v.contains(".") { return v + zeros }
                return v.hasPrefix("-") ? "-" + zeros + v.dropFirst() : zeros + v
            }
        }
        let rows = 30_000  // several 1 MiB reads, so rows also cross buffer ends
        var plain = "unit_id,arm,outcome,x,y,propensity\n"
        var mixed = plain
        for i in 0..<rows {
            let x = values[i % values.count]
            let y = values[(i / 3) % values.count]
            let outcome = values[[0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11][i % 11]]  // never empty
            let arm = "arm-\(i % 3)"
            plain += "\(i),\(arm),\(outcome),\(x),\(y),0.5\n"
            // Every other row irregular; some of those end in CRLF.
            if i % 2 == 0 {
                mixed += "\(i),\(arm),\(outcome),\(x),\(y),0.5\n"
            } else {
                mixed +=
                    "\(i),\"\(arm)\",\(irregular(outcome, i)),\(irregular(x, i + 1)),\(irregular(y, i + 2)),0.50\(i % 4 == 1 ? "\r" : "")\n"
            }
        }
        let a = try CSVDataFile.read(path: try Self.file(plain), manifest: DataManifest(), limits: Self.limits())
        let b = try CSVDataFile.read(path: try Self.file(mixed), manifest: DataManifest(), limits: Self.limits())
        #expect(a.data.units == rows && b.data.units == rows)
        #expect(a.data.armNames == b.data.armNames && a.data.arm == b.data.arm)
        #expect(a.data.outcome == b.data.outcome)
        #expect(a.data.propensity == b.data.propensity && a.data.propensity.allSatisfy { $0 == 0.5 })
        let same = zip(a.data.features.values, b.data.features.values).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
        #expect(same)
        // Spot checks against the text: row 2 has x = -0.25, row 8 a missing x, row 6 x = 12.3456,
        // rows 9 to 11 the long values.
        #expect(
            a.data.features[2, 0] == -0.25 && a.data.features[8, 0].isNaN && a.data.features[6, 0] == Float(12.3456)
        )
        #expect(a.data.features[9, 0] == Float(1234567.7654321) && a.data.features[10, 0] == Float(-12345678.87654321))
        #expect(a.data.features[11, 0] == 1.5)
        #expect(a.data.outcome[4] == 5 && a.data.outcome[3] == 0.5)
    }

    @Test("A covariate that turns to text mid-file one-hot encodes the numbers read after it, too")
    func turnsCategorical() throws {
        let kinds = ["0", "1", "0", "big", "1", "0", "1"]
        var text = "arm,outcome,kind\n"
        for i in 0..<70 { text += "a\(i % 2),\(i % 2),\(kinds[i % kinds.count])\n" }
        let drop = try CSVDataFile.read(path: try Self.file(text), manifest: DataManifest(), limits: Self.limits())
        #expect(drop.covariateNames == ["kind=0", "kind=1", "kind=big"])
        for r in 0..<70 {
            let expected: [Float] =
                kinds[r % kinds.count] == "0" ? [1, 0, 0] : kinds[r % kinds.count] == "1" ? [0, 1, 0] : [0, 0, 1]
            #expect((0..<3).map { drop.data.features[r, $0] } == expected, "row \(r)")
        }
    }

    @Test("Numbers read before a column turns to text become categories by their own text, not a rounding")
    func categoryNamesAreSourceText() throws {
        // Before the fix, 1.2345 and 1.2346 read before "text" both became "1.235" (a display
        // rounding), one category, and 1.2345 read after the switch became a second "1.2345".
        let kinds = ["1.2345", "1.2346", "3", "1.2345", "text", "1.2345", "1.2346", "3"]
        var text = "arm,outcome,kind\n"
        for i in 0..<80 { text += "a\(i % 2),\(i % 2),\(kinds[i % kinds.count])\n" }
        let drop = try CSVDataFile.read(path: try Self.file(text), manifest: DataManifest(), limits: Self.limits())
        #expect(drop.covariateNames == ["kind=1.2345", "kind=1.2346", "kind=3", "kind=text"])
        for r in 0..<80 {
            let column = try #require(drop.covariateNames.firstIndex(of: "kind=" + kinds[r % kinds.count]))
            let hot: [Int] = (0..<4).filter { drop.data.features[r, $0] == 1 }
            #expect(hot == [column], "row \(r)")
        }
    }

    @Test("A file that cannot be opened says why (the system's reason), and what to check")
    func cannotOpenSaysWhy() throws {
        let path = try Self.file(Self.simple())
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path) }
        // Root reads a file whatever its mode; a directory in the file's place fails for anyone.
        let directory = path + ".d.csv"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for target in getuid() == 0 ? [directory] : [path, directory] {
            #expect {
                _ = try CSVDataFile.read(path: target, manifest: DataManifest(), limits: Self.limits())
            } throws: { error in
                guard let error = error as? InputError else { return false }
                return error.file == target && error.problem.contains("(") && !error.fix.isEmpty
            }
        }
    }

    @Test("Quoted fields with commas, quotes and newlines; CRLF line ends; empty covariates are missing")
    func quoting() throws {
        var text = "arm,outcome,note,score\r\n"
        for i in 0..<40 {
            text += "\"a,\(i % 2)\",\(i % 2),\"he said \"\"hi\"\"\nthen left\",\(i % 3 == 0 ? "" : "\(i)")\r\n"
        }
        let drop = try CSVDataFile.read(path: try Self.file(text), manifest: DataManifest(), limits: Self.limits())
        #expect(drop.data.armNames == ["a,0", "a,1"])
        #expect(drop.covariateNames == ["note=he said \"hi\"\nthen left", "score"])
        #expect(drop.data.features[0, 1].isNaN && drop.data.features[1, 1] == 1)
        #expect(drop.binaryOutcome)
    }

    @Test("A manifest renames roles, names the experiment and control, sets probabilities and direction")
    func manifest() throws {
        var text = "id,group,cost,x,created\n"
        for i in 0..<90 { text += "\(i),\(["A", "B", "C"][i % 3]),\(i % 5 + 1),\(i),2026-01-0\(i % 9 + 1)\n" }
        let path = try Self.file(text)
        let manifest = try ManifestFile.parse(
            """
            experiment: pricing-2027
            columns: {arm: group, outcome: cost, unit_id: id}
            ignore_columns: [created]
            control_arm: B
            assignment_probabilities: {A: 0.5, B: 0.25, C: 0.25}
            larger_is_better: false
            """,
            file: "pricing.manifest.yaml"
        )
        let drop = try CSVDataFile.read(path: path, manifest: manifest, limits: Self.limits())
        #expect(drop.experiment == "pricing-2027")
        #expect(drop.covariateNames == ["x"])
        #expect(drop.controlArm == 1)
        #expect(drop.data.propensity[0] == 0.5 && drop.data.propensity[1] == 0.25)
        #expect(drop.data.outcome[0] == -1, "costs are maximized as −cost")
    }

    @Test("Rows without an arm or outcome are dropped and counted, up to max_bad_row_share")
    func droppedRows() throws {
        let text = Self.simple(perArm: 100) + "7,,1,20,north\n" + "8,control,,20,north\n"
        var limits = Self.limits()
        limits.maxBadRowShare = 0.05
        let drop = try CSVDataFile.read(path: try Self.file(text), manifest: DataManifest(), limits: limits)
        #expect(drop.rowsDropped == 2 && drop.data.units == 200 && drop.droppedLines == [202, 203])
        limits.maxBadRowShare = 0.001
        #expect {
            _ = try CSVDataFile.read(path: try Self.file(text), manifest: DataManifest(), limits: limits)
        } throws: {
            ($0 as? InputError)?.problem.contains("have no arm or a missing outcome (first at lines 202, 203)") == true
        }
    }

    @Test(
        "Bad drops are rejected with the file, the line, the column and the fix",
        arguments: [
            ("ragged", simple() + "control,1,20\n", "has 3 fields, the header has 5", 122, nil),
            (
                "non-numeric outcome", simple() + "0,control,yes,20,north\n", "'yes' is not a number", 122,
                "column 'outcome'"
            ),
            (
                "infinite outcome", simple() + "0,control,-inf,20,north\n", "not a finite number", 122,
                "column 'outcome'"
            ),
            ("inf covariate", simple() + "0,control,1,inf,north\n", "not a finite number", 122, "column 'age'"),
            ("empty file", "", "the file is empty", nil, nil),
            ("header only", "arm,outcome,x\n", "a header but no rows", nil, nil),
            ("duplicate columns", "arm,outcome,x,x\ncontrol,1,2,3\n", "appears twice in the header", 1, "column 'x'"),
            ("no arm column", "group,outcome\nA,1\n", "is missing from the header (the arm column)", 1, "column 'arm'"),
            (
                "one arm", "arm,outcome\n" + String(repeating: "A,1\nA,0\n", count: 30), "the same arm ('A')", nil,
                "column 'arm'"
            ),
            (
                "constant outcome", "arm,outcome\n" + String(repeating: "A,1\nB,1\n", count: 30),
                "the same (1) for every unit", nil, "column 'outcome'"
            ),
            (
                "too few units", "arm,outcome\n" + String(repeating: "A,1\nB,0\n", count: 30) + "C,1\n",
                "arm 'C' has 1 units", nil, "column 'arm'"
            ),
            ("unclosed quote", "arm,outcome\n\"A,1\n", "quoted field is not closed", 2, nil),
        ] as [(String, String, String, Int?, String?)]
    )
    func badDrops(name: String, text: String, problem: String, line: Int?, field: String?) throws {
        let path = try Self.file(text)
        #expect {
            _ = try CSVDataFile.read(path: path, manifest: DataManifest(), limits: Self.limits())
        } throws: { error in
            guard let error = error as? InputError else { return false }
            return error.file == path && error.problem.contains(problem) && error.line == line && error.field == field
                && !error.fix.isEmpty
        }
        #expect(FileManager.default.fileExists(atPath: path), "the input must never be lost")
    }

    @Test("A file over max_data_bytes is rejected unread")
    func tooLarge() throws {
        var limits = Self.limits()
        limits.maxBytes = 100
        let path = try Self.file(Self.simple())
        #expect {
            _ = try CSVDataFile.read(path: path, manifest: DataManifest(), limits: limits)
        } throws: { ($0 as? InputError)?.problem.contains("more than max_data_bytes (100)") == true }
    }

    @Test("Spreadsheet and pandas exports: a byte-order mark, and NA, NaN, null, N/A cells read as missing")
    func exports() throws {
        let tokens = ["NA", "NaN", "null", "N/A", "None", "#N/A", "nan", "NULL"]
        var text = "\u{FEFF}unit_id,arm,outcome,age,region\n"
        for i in 0..<120 {
            let age = i % 10 == 3 ? tokens[i % tokens.count] : "\(20 + i % 50)"
            let outcome = i == 7 ? "NA" : "\(Double(i % 2) + 0.1 * Double(i % 7))"
            text += "\(i),\(i % 2 == 0 ? "control" : "nudge"),\(outcome),\(age),\(["north", "south"][i % 2])\n"
        }
        let path = try Self.file(text)
        var limits = Self.limits()
        limits.maxBadRowShare = 0.05
        let drop = try CSVDataFile.read(path: path, manifest: DataManifest(), limits: limits)
        // The mark is not part of the first name: unit_id is still the unit id, not a covariate.
        #expect(drop.covariateNames == ["age", "region=north", "region=south"], "\(drop.covariateNames)")
        // An outcome of NA drops its row (counted); a covariate of NA is missing, and age stays numeric.
        #expect(drop.rowsDropped == 1 && drop.data.units == 119)
        let ages = (0..<drop.data.units).map { drop.data.features[$0, 0] }
        #expect(ages.filter(\.isNaN).count == 12, "\(ages.filter(\.isNaN).count)")
        #expect(ages.filter { !$0.isNaN }.allSatisfy { $0 >= 20 && $0 < 70 })
    }

    @Test("A manifest's own missing-value tokens are missing cells, even ones that look like numbers")
    func manifestMissingValues() throws {
        var text = "arm,outcome,age,score\n"
        for i in 0..<100 {
            let age = i % 10 == 0 ? "." : "\(20 + i % 30)"
            let score = i % 5 == 0 ? "-999" : "\(Double(i % 7) / 10)"
            text += "\(i % 2 == 0 ? "a" : "b"),\(i % 3),\(age),\(score)\n"
        }
        let path = try Self.file(text)
        var manifest = DataManifest()
        manifest.missingValues = [".", "-999"]
        let drop = try CSVDataFile.read(path: path, manifest: manifest, limits: Self.limits())
        #expect(drop.covariateNames == ["age", "score"], "numbers stay numbers: \(drop.covariateNames)")
        let ages = (0..<drop.data.units).map { drop.data.features[$0, 0] }
        let scores = (0..<drop.data.units).map { drop.data.features[$0, 1] }
        #expect(ages.filter(\.isNaN).count == 10 && scores.filter(\.isNaN).count == 20)
        #expect(!scores.contains(-999))
        // Without them, "." is text: the column turns into categories.
        let plain = try CSVDataFile.read(path: path, manifest: DataManifest(), limits: Self.limits())
        #expect(plain.covariateNames.contains { $0.hasPrefix("age=") })
    }

    @Test("An error quotes at most 60 characters of a cell, control characters escaped")
    func boundedExcerpt() throws {
        let long = String(repeating: "x", count: 5000)
        let path = try Self.file("arm,outcome\na,\(long)\nb,\"1\u{1B}[2J\nforged line\"\n")
        #expect {
            _ = try CSVDataFile.read(path: path, manifest: DataManifest(), limits: Self.limits())
        } throws: { error in
            let e = try #require(error as? InputError)
            return e.problem.count < 100 && e.problem.contains("…") && e.problem.contains("xxx")
        }
        let second = try Self.file("arm,outcome\na,1\nb,\"1\u{1B}[2J\nforged line\"\n")
        #expect {
            _ = try CSVDataFile.read(path: second, manifest: DataManifest(), limits: Self.limits())
        } throws: { error in
            let e = try #require(error as? InputError)
            let ok = !e.problem.contains("\n") && !e.problem.contains("\u{1B}") && e.problem.contains("\\u{1B}")
            if !ok { Issue.record("\(e.problem)") }
            return ok
        }
    }

    @Test("Text that is not UTF-8 is an error naming the line, the column and the byte, on every path")
    func invalidUTF8() throws {
        // A Latin-1 "é" (0xE9) in a category, in an arm's label (fast path) and in the header.
        let cases: [(bytes: [UInt8], line: Int, column: String)] = [
            (Array("arm,outcome,city\na,1,Paris\nb,0,Li".utf8) + [0xE9] + Array("ge\n".utf8), 3, "column 3 ('city')"),
            (Array("arm,outcome,x\na,1,2\ncaf".utf8) + [0xE9] + Array(",0,3\n".utf8), 3, "column 1 ('arm')"),
            (Array("arm,outcome,r".utf8) + [0xE9, 0x67] + Array("ion\na,1,2\nb,0,3\n".utf8), 1, "column 3"),
        ]
        for c in cases {
            let path = try Self.file(String(decoding: [], as: UTF8.self))
            try Data(c.bytes).write(to: URL(fileURLWithPath: path))
            #expect {
                _ = try CSVDataFile.read(path: path, manifest: DataManifest(), limits: Self.limits())
            } throws: { error in
                let e = try #require(error as? InputError)
                let ok =
                    e.line == c.line && e.problem.contains(c.column) && e.problem.contains("not valid UTF-8")
                    && e.problem.contains("0xE9") && e.fix.contains("UTF-8")
                if !ok { Issue.record("\(e)") }
                return ok
            }
        }
    }

    @Test(
        "A control character in an arm's label or a header is refused naming line and column, on every path (issue 31)"
    )
    func controlCharacters() throws {
        let forged = "x\nverdict: personalize FORGED"
        let cases: [(text: String, line: Int, column: String)] = [
            // Quoted arm label with a newline (general path: a quote).
            ("arm,outcome,x\na,1,2\n\"\(forged)\",0,3\n", 3, "column 1 ('arm')"),
            // Unquoted ESC in a new arm label (fast path).
            ("arm,outcome,x\na,1,2\nb\u{1B}[2J,0,3\n", 3, "column 1 ('arm')"),
            // C1 control (CSI, U+009B) in a quoted arm label.
            ("arm,outcome,city\na,1,Paris\n\"b\u{9B}2J\",0,Lille\n", 3, "column 1 ('arm')"),
            // A tab inside a header name.
            ("arm,outcome,re\tgion\na,1,2\nb,0,3\n", 1, "column 3"),
        ]
        for c in cases {
            let path = try Self.file(c.text)
            #expect {
                _ = try CSVDataFile.read(path: path, manifest: DataManifest(), limits: Self.limits(minUnits: 1))
            } throws: { error in
                let e = try #require(error as? InputError)
                let ok =
                    e.line == c.line && e.problem.contains(c.column) && e.problem.contains("control character")
                    && !e.description.contains("\n") && !e.description.contains("\u{1B}")
                    && !e.description.contains("\u{9B}")
                if !ok { Issue.record("\(e)") }
                return ok
            }
        }
        // Windows line ends are not control characters in a field.
        let crlf = try Self.file(Self.simple().replacingOccurrences(of: "\n", with: "\r\n"))
        let drop = try CSVDataFile.read(path: crlf, manifest: DataManifest(), limits: Self.limits())
        #expect(drop.covariateNames.contains("region=north") && drop.data.armNames == ["control", "nudge"])
    }

    @Test("An outcome beyond ±1e15, or varying by less than 1e-9, is refused naming its column (issue 31)")
    func outcomeScale() throws {
        func read(_ transform: (Double) -> Double) throws -> DataDrop {
            var lines = ["arm,outcome,x"]
            for i in 0..<120 { lines.append("\(i % 2 == 0 ? "a" : "b"),\(transform(Double(i % 7) + 0.5)),\(i % 5)") }
            let path = try Self.file(lines.joined(separator: "\n") + "\n")
            return try CSVDataFile.read(path: path, manifest: DataManifest(), limits: Self.limits())
        }
        for (transform, problem) in [({ $0 == 3.5 ? 1e308 : $0 }, "beyond ±1e15"), ({ $0 * 1e-28 }, "below 1e-9")]
            as [((Double) -> Double, String)]
        {
            #expect {
                _ = try read(transform)
            } throws: { error in
                let e = try #require(error as? InputError)
                let ok = e.field == "column 'outcome'" && e.problem.contains(problem)
                if !ok { Issue.record("\(e)") }
                return ok
            }
        }
        #expect(try read { $0 * 1e12 }.data.units == 120, "large but ordinary outcomes still read")
        #expect(try read { $0 * 1e-6 }.data.units == 120, "small but ordinary outcomes still read")
    }

    @Test("Repeated unit ids are counted, on the fast path, the general path and across the two halves")
    func duplicateUnitIDs() throws {
        // Rows 0–119 with ids 0–119, then ids 5, 6 and 7 again (one of them quoted: the general path).
        let text = Self.simple() + "5,control,1,20,north\n6,nudge,1,21,south\n\"7\",control,1,22,east\n"
        let drop = try CSVDataFile.read(path: try Self.file(text), manifest: DataManifest(), limits: Self.limits())
        #expect(drop.duplicateUnitIDs == 3 && drop.data.units == 123)
        #expect(
            try CSVDataFile.read(path: try Self.file(Self.simple()), manifest: DataManifest(), limits: Self.limits())
                .duplicateUnitIDs == 0
        )
        // A file large enough to be read as two halves, whose second half repeats ids of the first.
        var big = "unit_id,arm,outcome,x\n"
        for i in 0..<450_000 { big += "\(i % 300_000),\(i % 2 == 0 ? "a" : "b"),\(i % 3),\(i % 7)\n" }
        #expect(big.utf8.count >= 4 << 20, "the two-halves reader starts at 4 MiB")
        let halves = try CSVDataFile.read(path: try Self.file(big), manifest: DataManifest(), limits: Self.limits())
        #expect(halves.duplicateUnitIDs == 150_000)
    }

    @Test("Arms far from equal without assignment probabilities are an error; with them, or near equal, fine")
    func unequalArmsNeedProbabilities() throws {
        // 600 'control', 120 'nudge': equal chances cannot give that (z ≈ 18).
        var text = "arm,outcome,x\n"
        for i in 0..<720 { text += "\(i < 600 ? "control" : "nudge"),\(i % 3),\(i % 11)\n" }
        let path = try Self.file(text)
        #expect {
            _ = try CSVDataFile.read(path: path, manifest: DataManifest(), limits: Self.limits())
        } throws: { error in
            let e = error as? InputError
            return e?.field == "column 'arm'" && e?.problem.contains("'control' 600, 'nudge' 120") == true
                && e?.fix.contains("assignment_probabilities in drop.manifest.yaml") == true
        }
        var manifest = DataManifest()
        manifest.assignmentProbabilities = ["control": 5.0 / 6, "nudge": 1.0 / 6]
        let drop = try CSVDataFile.read(path: path, manifest: manifest, limits: Self.limits())
        #expect(abs(drop.data.propensity[0] - 5.0 / 6) < 1e-12)
        // 130 vs 110 is within chance of an equal split.
        #expect(
            try CSVDataFile.read(
                path: try Self.file(Self.simple(perArm: 60)),
                manifest: DataManifest(),
                limits: Self.limits()
            ).data.units == 120
        )
    }

    @Test("A line with no end is stopped at max_row_bytes, naming the line, in one pass and in two halves")
    func endlessLine() throws {
        for size in [3 << 20, 6 << 20] {
            let text = Self.simple() + "999,control,1,20," + String(repeating: "x", count: size)
            let path = try Self.file(text)
            #expect {
                _ = try CSVDataFile.read(path: path, manifest: DataManifest(), limits: Self.limits())
            } throws: { error in
                let e = error as? InputError
                return e?.problem.contains("line 122 is longer than max_row_bytes (1048576 bytes)") == true
                    && e?.fix.contains("analysis.max_row_bytes") == true
            }
        }
    }

    @Test("A gzip cut short, a corrupted one and plain text named .gz are errors that say so, never a smaller sample")
    func brokenGzip() throws {
        let path = try Self.file(Self.simple(perArm: 2_000))
        try Self.gzipCopy(path)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path + ".gz"))
        let directory = (path as NSString).deletingLastPathComponent
        func problem(_ bytes: Data, _ name: String) throws -> String {
            let file = directory + "/" + name
            try bytes.write(to: URL(fileURLWithPath: file))
            do {
                _ = try CSVDataFile.read(path: file, manifest: DataManifest(), limits: Self.limits())
                return "read without an error"
            } catch {
                return error.problem
            }
        }
        #expect(try problem(whole.prefix(whole.count / 2), "cut.csv.gz").contains("the gzip stream ends early"))
        var corrupt = whole
        corrupt[corrupt.count - 6] ^= 0xFF  // the CRC in the trailer
        #expect(try problem(corrupt, "crc.csv.gz").contains("cannot be read to the end"))
        #expect(
            try problem(Data(Self.simple().utf8), "plain.csv.gz").contains("named .gz but is not gzip-compressed")
        )
        #expect(
            try CSVDataFile.read(path: path + ".gz", manifest: DataManifest(), limits: Self.limits()).data.units
                == 4_000
        )
    }

    @Test("Text past max_uncompressed_bytes is not read further")
    func uncompressedLimit() throws {
        var limits = Self.limits()
        limits.maxUncompressedBytes = 2_000
        let path = try Self.file(Self.simple())
        try Self.gzipCopy(path)
        #expect {
            _ = try CSVDataFile.read(path: path + ".gz", manifest: DataManifest(), limits: limits)
        } throws: { ($0 as? InputError)?.problem.contains("passes max_uncompressed_bytes (2000 bytes)") == true }
    }

    @Test("A gzip that inflates past the compression-ratio guard is stopped as a bomb, early")
    func compressionBomb() throws {
        // 8 MiB of two repeated rows compress hundreds of times over; the guard looks from 1 MiB
        // here (64 MiB as shipped, so that small repetitive files are never taken for bombs).
        let rows = "1,control,1,20,north\n2,nudge,0,30,south\n"
        let text = "unit_id,arm,outcome,age,region\n" + String(repeating: rows, count: (8 << 20) / rows.utf8.count)
        let path = try Self.file(text)
        try Self.gzipCopy(path)
        var limits = Self.limits()
        limits.ratioCheckBytes = 1 << 20
        #expect {
            _ = try CSVDataFile.read(path: path + ".gz", manifest: DataManifest(), limits: limits)
        } throws: { ($0 as? InputError)?.problem.contains("inflates more than 200 times") == true }
        // The same text plain is no bomb: read whole.
        #expect(try CSVDataFile.read(path: path, manifest: DataManifest(), limits: limits).data.units > 200_000)
    }

    @Test(
        "A bomb is judged by what it inflated so far, not by its whole size: a tail that compresses badly hides nothing"
    )
    func bombWithIncompressibleTail() throws {
        // 8 MiB of repeated rows (a few tens of KB compressed), then 3 MiB of rows of random digits
        // (barely compressible): the whole file inflates ~7 times, its first part hundreds of times.
        let rows = "1,control,1,20\n2,nudge,0,30\n"
        var text = "unit_id,arm,outcome,age\n" + String(repeating: rows, count: (8 << 20) / rows.utf8.count)
        var random = SplitMix64(seed: 7)
        while text.utf8.count < 11 << 20 {
            text += "\(random.next() % 1_000_000),control,\(random.next() % 2),\(random.next())\n"
        }
        let path = try Self.file(text)
        try Self.gzipCopy(path)
        var limits = Self.limits()
        limits.ratioCheckBytes = 1 << 20
        #expect {
            _ = try CSVDataFile.read(path: path + ".gz", manifest: DataManifest(), limits: limits)
        } throws: { ($0 as? InputError)?.problem.contains("inflates more than 200 times") == true }
    }

    @Test("A manifest that is a link or too large is not read")
    func manifestChecks() throws {
        let path = try Self.file("experiment: x\n", name: "big.manifest.yaml")
        let directory = (path as NSString).deletingLastPathComponent
        #expect(symlink(path, directory + "/linked.manifest.yaml") == 0)
        #expect {
            _ = try ManifestFile.load(path: directory + "/linked.manifest.yaml")
        } throws: { ($0 as? InputError)?.problem.contains("not a regular file") == true }
        try (String(repeating: "# padding\n", count: 120_000)).write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            _ = try ManifestFile.load(path: path)
        } throws: { ($0 as? InputError)?.problem.contains("more than a manifest needs") == true }
    }

    @Test("Manifest errors name the field and the fix")
    func manifestErrors() {
        #expect {
            _ = try ManifestFile.parse("assignment_probabilities: {A: 0.5, B: 0.6}", file: "m.yaml")
        } throws: { ($0 as? InputError)?.problem.contains("add up to 1.1") == true }
        #expect {
            _ = try ManifestFile.parse("colums: {arm: g}", file: "m.yaml")
        } throws: { ($0 as? InputError)?.fix.contains("did you mean 'columns'") == true }
        #expect(ManifestFile.path(forData: "/s/incoming/flu.csv.gz") == "/s/incoming/flu.manifest.yaml")
    }

    @Test("A manifest's threshold no policy could reach is an error naming it, with the points it likely meant")
    func manifestThreshold() throws {
        // A 0/1 outcome: the best arm converts 2 in 3, so no policy gains more than 1/3.
        var text = "arm,outcome,x\n"
        for i in 0..<90 {
            text += "\(["A", "B"][i % 2]),\(i % 2 == 0 ? (i % 3 == 0 ? 1 : 0) : (i % 3 == 0 ? 0 : 1)),\(i)\n"
        }
        let path = try Self.file(text)
        func read(_ manifest: String) throws -> DataDrop {
            try CSVDataFile.read(
                path: path,
                manifest: try ManifestFile.parse(manifest, file: "drop.manifest.yaml"),
                limits: Self.limits()
            )
        }
        #expect {
            _ = try read("experiment: t\nthreshold: 5")
        } throws: { error in
            let message = "\(error)"
            let ok =
                message.hasPrefix("drop.manifest.yaml:2: field 'threshold'") && message.contains("more than 0.3333")
                && message.contains("did you mean 0.05 (5 percentage points)?")
            if !ok { Issue.record("message was: \(message)") }
            return ok
        }
        #expect(throws: Never.self) { _ = try read("threshold: 0.05") }
        // Smaller is better: the room is the best arm's 1 − y, the same third.
        #expect(throws: (any Error).self) { _ = try read("larger_is_better: false\nthreshold: 0.5") }
        #expect {
            _ = try ManifestFile.parse("threshold: {relative: 0.05}", file: "m.yaml")
        } throws: { ($0 as? InputError)?.fix.contains("takes no {relative: r}") == true }
    }
}
