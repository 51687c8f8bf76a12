import AdvisorModel
import AdvisorReports
import Foundation

/// A data drop read into columns, ready for the analysis.
public struct DataDrop: Sendable {
    public var experiment: String
    public var data: ExperimentData
    /// Covariate names after one-hot encoding of text columns (`region=north`).
    public var covariateNames: [String]
    /// Every outcome is 0 or 1.
    public var binaryOutcome: Bool
    public var rowsRead: Int
    /// Rows dropped for a missing arm or outcome, and the first few of their line numbers.
    public var rowsDropped: Int
    public var droppedLines: [Int]
    public var bytesRead: Int
    /// Index of the control arm in `data.armNames`, if the manifest names one.
    public var controlArm: Int?
}

/// Reads a unit-level CSV (header row; gzip accepted) in one streaming pass into columns.
///
/// Written by hand rather than with a CSV package: the drop must be read at hundreds of MB/s
/// straight into typed columns, with every error naming the line and the column, which the
/// packages on this machine (row-of-strings readers) do not do.
public enum CSVDataFile {
    public static func read(path: String, manifest: DataManifest, limits: IngestLimits = IngestLimits())
        throws(InputError) -> DataDrop
    {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw InputError(
                file: path, field: nil, problem: "cannot be read (\(String(cString: strerror(errno))))",
                fix: "check that the file exists and is readable")
        }
        guard Int(info.st_size) <= limits.maxBytes else {
            throw InputError(
                file: path, field: nil,
                problem: "the file has \(info.st_size) bytes, more than max_data_bytes (\(limits.maxBytes))",
                fix: "split the drop, compress it (.csv.gz), or raise max_data_bytes in the configuration")
        }
        guard let file = GzipFile(path: path) else {
            throw InputError(file: path, field: nil, problem: "cannot be opened", fix: "check the file's permissions")
        }
        var parser = CSVColumnParser(path: path, manifest: manifest, limits: limits)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var filled = 0
        var total = 0
        while true {
            if filled == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }  // a row longer than the buffer
            let n: Int
            do {
                n = try file.read(into: &buffer, at: filled, count: buffer.count - filled)
            } catch {
                throw InputError(
                    file: path, field: nil, problem: "cannot be read to the end (\(error.message))",
                    fix: "check that the file is complete; a .gz file must be a whole gzip stream")
            }
            total += n
            filled += n
            let atEnd = n == 0
            let consumed = try parser.consume(buffer, count: filled, final: atEnd)
            if atEnd { break }
            // Keep the unfinished row for the next read.
            if consumed > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    guard let base = raw.baseAddress else { return }
                    memmove(base, base + consumed, filled - consumed)
                }
                filled -= consumed
            }
        }
        return try parser.finish(bytesRead: total)
    }
}

/// The streaming state: header, roles, and one growing array per column.
struct CSVColumnParser {
    let path: String
    let manifest: DataManifest
    let limits: IngestLimits
    var header: [String] = []
    var line = 0
    /// Field byte ranges of the row being parsed (start, end, had quotes).
    var fields: [(Int, Int, Bool)] = []
    var unescaped: [UInt8] = []

    var armColumn = -1
    var outcomeColumn = -1
    var propensityColumn = -1
    var covariateColumns: [Int] = []
    var covariates: [CovariateColumn] = []
    var armIndex: [String: Int] = [:]
    var armNames: [String] = []
    var arms: [Int] = []
    var outcomes: [Double] = []
    var propensities: [Double] = []
    var rowsRead = 0
    var rowsDropped = 0
    var droppedLines: [Int] = []

    init(path: String, manifest: DataManifest, limits: IngestLimits) {
        self.path = path
        self.manifest = manifest
        self.limits = limits
    }

    func error(_ column: String?, _ problem: String, fix: String, line: Int? = nil) -> InputError {
        InputError(file: path, field: column.map { "column '\($0)'" }, line: line ?? self.line, problem: problem, fix: fix)
    }

    /// Parses the complete rows in `bytes[0..<count]` (all of it when `final`); returns how many
    /// bytes were used. A row cut by the end of the buffer is parsed again with the next read.
    mutating func consume(_ bytes: [UInt8], count: Int, final: Bool) throws(InputError) -> Int {
        try bytes.withUnsafeBufferPointer { (buffer) throws(InputError) -> Int in
            try consumeRows(buffer, count: count, final: final)
        }
    }

    private mutating func consumeRows(_ b: UnsafeBufferPointer<UInt8>, count: Int, final: Bool) throws(InputError) -> Int {
        var rowStart = 0
        var i = 0
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n"), ret = UInt8(ascii: "\r")
        while rowStart < count {
            fields.removeAll(keepingCapacity: true)
            var fieldStart = rowStart
            var inQuotes = false
            var quoted = false
            var rowEnd = -1
            i = rowStart
            scan: while i < count {
                let c = b[i]
                if inQuotes {
                    if c == quote {
                        if i + 1 < count && b[i + 1] == quote {
                            i += 2
                            continue
                        }
                        if i + 1 == count && !final { break scan }  // is the next byte a second quote? read more
                        inQuotes = false
                    }
                    i += 1
                    continue
                }
                switch c {
                case quote where i == fieldStart:
                    inQuotes = true
                    quoted = true
                case comma:
                    fields.append((fieldStart, i, quoted))
                    fieldStart = i + 1
                    quoted = false
                case newline:
                    let end = i > fieldStart && b[i - 1] == ret ? i - 1 : i
                    fields.append((fieldStart, end, quoted))
                    rowEnd = i + 1
                    break scan
                default:
                    break
                }
                i += 1
            }
            if rowEnd < 0 {
                guard final else { return rowStart }  // incomplete row: wait for more bytes
                if inQuotes {
                    throw error(nil, "a quoted field is not closed before the end of the file", fix: "close the quote (\"…\")", line: line + 1)
                }
                if fieldStart >= count && fields.isEmpty { return count }  // trailing newline only
                let end = count > fieldStart && b[count - 1] == ret ? count - 1 : count
                fields.append((fieldStart, end, quoted))
                rowEnd = count
            }
            line += 1
            try row(b)
            rowStart = rowEnd
        }
        return rowStart
    }

    /// The text of field k, quotes removed and doubled quotes undone.
    mutating func text(_ b: UnsafeBufferPointer<UInt8>, _ k: Int) -> String {
        let (start, end, quoted) = fields[k]
        guard quoted, end - start >= 2 else {
            return String(decoding: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self)
        }
        unescaped.removeAll(keepingCapacity: true)
        var i = start + 1
        while i < end - 1 {
            unescaped.append(b[i])
            i += b[i] == UInt8(ascii: "\"") ? 2 : 1
        }
        return String(decoding: unescaped, as: UTF8.self)
    }

    mutating func row(_ b: UnsafeBufferPointer<UInt8>) throws(InputError) {
        if header.isEmpty {
            try readHeader(b)
            return
        }
        // A blank line (one empty field) is skipped, not counted.
        if fields.count == 1 && fields[0].0 == fields[0].1 { return }
        guard fields.count == header.count else {
            throw error(
                nil, "this row has \(fields.count) fields, the header has \(header.count)",
                fix: "give every row one value per header column (quote values that contain commas)")
        }
        rowsRead += 1
        let armText = text(b, armColumn)
        let (os, oe, oq) = fields[outcomeColumn]
        if armText.isEmpty || oe == os || (oq && oe - os <= 2) {
            rowsDropped += 1
            if droppedLines.count < 5 { droppedLines.append(line) }
            return
        }
        guard let y = Self.number(b, fields[outcomeColumn]) else {
            throw error(
                header[outcomeColumn], "'\(text(b, outcomeColumn))' is not a number",
                fix: "the outcome must be a number (0/1 for a binary outcome); leave it empty to drop the row")
        }
        guard y.isFinite else {
            throw error(header[outcomeColumn], "'\(text(b, outcomeColumn))' is not a finite number", fix: "remove NaN and infinite values")
        }
        var propensity = 0.0
        if propensityColumn >= 0 {
            guard let p = Self.number(b, fields[propensityColumn]), p > 0, p <= 1 else {
                throw error(
                    header[propensityColumn], "'\(text(b, propensityColumn))' is not a probability in (0, 1]",
                    fix: "give the probability the unit had of getting its arm")
            }
            propensity = p
        }
        let arm: Int
        if let known = armIndex[armText] {
            arm = known
        } else {
            arm = armNames.count
            armIndex[armText] = arm
            armNames.append(armText)
        }
        arms.append(arm)
        outcomes.append(y)
        propensities.append(propensity)
        for (slot, column) in covariateColumns.enumerated() {
            let field = fields[column]
            if field.0 == field.1 {
                covariates[slot].append(.nan)
            } else if !covariates[slot].isCategorical, let x = Self.number(b, field) {
                guard x.isFinite else {
                    throw error(header[column], "'\(text(b, column))' is not a finite number", fix: "leave the cell empty for a missing value")
                }
                covariates[slot].append(Float(x))
            } else {
                let value = text(b, column)
                guard covariates[slot].appendCategory(value, limit: limits.maxCategories) else {
                    throw error(
                        header[column], "more than \(limits.maxCategories) distinct text values",
                        fix: "bucket the column, or list it under ignore_columns in the manifest")
                }
            }
        }
    }

    mutating func readHeader(_ b: UnsafeBufferPointer<UInt8>) throws(InputError) {
        header = (0..<fields.count).map { text(b, $0).trimmingCharacters(in: .whitespaces) }
        if header.count == 1 && header[0].isEmpty {
            throw error(nil, "the first line (the header) is empty", fix: "start the file with a header: arm,outcome,covariates…")
        }
        var seen: Set<String> = []
        for name in header {
            guard !name.isEmpty else {
                throw error(nil, "a header column has no name", fix: "name every column in the header")
            }
            guard seen.insert(name).inserted else {
                throw error(name, "appears twice in the header", fix: "give every column its own name")
            }
        }
        func role(_ name: String, _ what: String, required: Bool) throws(InputError) -> Int {
            if let index = header.firstIndex(of: name) { return index }
            if required {
                throw error(
                    name, "is missing from the header (the \(what) column)",
                    fix: "add a '\(name)' column, or name yours in NAME.manifest.yaml under columns: {\(what): your_name}")
            }
            return -1
        }
        armColumn = try role(manifest.armColumn, "arm", required: true)
        outcomeColumn = try role(manifest.outcomeColumn, "outcome", required: true)
        propensityColumn = try role(manifest.propensityColumn, "propensity", required: false)
        let unitID = try role(manifest.unitIDColumn, "unit_id", required: false)
        for name in manifest.ignoredColumns where !header.contains(name) {
            throw error(name, "is listed under ignore_columns but is not in the header", fix: "correct the name in the manifest")
        }
        covariateColumns = header.indices.filter {
            ![armColumn, outcomeColumn, propensityColumn, unitID].contains($0) && !manifest.ignoredColumns.contains(header[$0])
        }
        covariates = covariateColumns.map { CovariateColumn(name: header[$0]) }
    }

    /// A decimal number in `b[start..<end]`: fast path for plain decimals, strtod otherwise.
    /// nil when the text is not a number (or is empty).
    static func number(_ b: UnsafeBufferPointer<UInt8>, _ field: (Int, Int, Bool)) -> Double? {
        var (start, end, quoted) = field
        if quoted && end - start >= 2 {
            start += 1
            end -= 1
        }
        while start < end && (b[start] == 32 || b[start] == 9) { start += 1 }
        while end > start && (b[end - 1] == 32 || b[end - 1] == 9) { end -= 1 }
        guard start < end else { return nil }
        var i = start
        var negative = false
        if b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") {
            negative = b[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        var sawDigit = false
        while i < end, b[i] >= 48, b[i] <= 57 {
            if digits < 19 { mantissa = mantissa * 10 + UInt64(b[i] - 48); digits += 1 } else { scale += 1 }
            sawDigit = true
            i += 1
        }
        if i < end && b[i] == UInt8(ascii: ".") {
            i += 1
            while i < end, b[i] >= 48, b[i] <= 57 {
                if digits < 19 { mantissa = mantissa * 10 + UInt64(b[i] - 48); digits += 1; scale -= 1 }
                sawDigit = true
                i += 1
            }
        }
        if i == end && sawDigit {
            var value = Double(mantissa)
            if scale < 0 { value /= powersOfTen[min(-scale, 22)] } else if scale > 0 { value *= powersOfTen[min(scale, 22)] }
            return negative ? -value : value
        }
        // Exponents, "nan", "inf" and anything unusual: the C library decides.
        var text = Array(UnsafeBufferPointer(rebasing: b[start..<end]))
        text.append(0)
        return text.withUnsafeBufferPointer { p -> Double? in
            p.baseAddress?.withMemoryRebound(to: CChar.self, capacity: p.count) { s in
                var stop: UnsafeMutablePointer<CChar>?
                let value = strtod(s, &stop)
                guard let stop, stop == UnsafeMutablePointer(mutating: s) + (p.count - 1) else { return nil }
                return value
            } ?? nil
        }
    }

    static let powersOfTen: [Double] = (0...22).map { Foundation.pow(10, Double($0)) }

    mutating func finish(bytesRead: Int) throws(InputError) -> DataDrop {
        guard !header.isEmpty else {
            throw InputError(file: path, field: nil, line: nil, problem: "the file is empty", fix: "drop the unit-level results with a header row")
        }
        guard rowsRead > 0 else {
            throw InputError(file: path, field: nil, line: nil, problem: "the file has a header but no rows", fix: "drop the file with its data rows")
        }
        let badShare = Double(rowsDropped) / Double(rowsRead)
        if badShare > limits.maxBadRowShare {
            throw InputError(
                file: path, field: nil, line: droppedLines.first,
                problem: "\(rowsDropped) of \(rowsRead) rows (\(NumberText.percent(badShare))) have no arm or no outcome (first at lines \(droppedLines.map(String.init).joined(separator: ", ")))",
                fix: "fill in the arm and outcome of every unit, or raise max_bad_row_share (now \(limits.maxBadRowShare))")
        }
        guard armNames.count >= 2 else {
            throw InputError(
                file: path, field: "column '\(header[armColumn])'", line: nil,
                problem: "every unit has the same arm ('\(armNames.first ?? "")')",
                fix: "drop the results of a test with at least two arms")
        }
        var counts = Array(repeating: 0, count: armNames.count)
        for a in arms { counts[a] += 1 }
        for (a, n) in counts.enumerated() where n < limits.minUnitsPerArm {
            throw InputError(
                file: path, field: "column '\(header[armColumn])'", line: nil,
                problem: "arm '\(armNames[a])' has \(n) units, fewer than min_units_per_arm (\(limits.minUnitsPerArm))",
                fix: "drop the arm's rows, merge it with a similar arm, or lower min_units_per_arm")
        }
        guard let first = outcomes.first, outcomes.contains(where: { $0 != first }) else {
            throw InputError(
                file: path, field: "column '\(header[outcomeColumn])'", line: nil,
                problem: "the outcome is the same (\(NumberText.significant(outcomes.first ?? 0))) for every unit",
                fix: "check that the outcome column holds the measured result")
        }
        if propensityColumn < 0 {
            if let given = manifest.assignmentProbabilities {
                for name in armNames where given[name] == nil {
                    throw InputError(
                        file: ManifestFile.path(forData: path), field: "assignment_probabilities", line: nil,
                        problem: "arm '\(name)' has no probability", fix: "give a probability for every arm label in the data")
                }
                propensities = arms.map { given[armNames[$0]] ?? 0 }
            } else {
                propensities = Array(repeating: 1 / Double(armNames.count), count: arms.count)
            }
        }
        var controlArm: Int?
        if let control = manifest.controlArm {
            guard let index = armIndex[control] else {
                throw InputError(
                    file: ManifestFile.path(forData: path), field: "control_arm", line: nil,
                    problem: "'\(control)' is not an arm in the data (arms: \(armNames.prefix(8).joined(separator: ", ")))",
                    fix: "give the control arm's label exactly as in the arm column")
            }
            controlArm = index
        }
        let binary = outcomes.allSatisfy { $0 == 0 || $0 == 1 }
        // Smaller is better: maximize −y, or 1 − y for a 0/1 outcome so it stays 0/1.
        if !manifest.largerIsBetter { outcomes = outcomes.map { binary ? 1 - $0 : -$0 } }
        let (features, names) = CovariateColumn.matrix(covariates, rows: arms.count)
        covariates = []
        let experiment = manifest.experiment ?? Self.stem(path)
        return DataDrop(
            experiment: experiment,
            data: ExperimentData(
                armNames: armNames, arm: arms, outcome: outcomes, features: features,
                propensity: propensities),
            covariateNames: names, binaryOutcome: binary, rowsRead: rowsRead, rowsDropped: rowsDropped,
            droppedLines: droppedLines, bytesRead: bytesRead, controlArm: controlArm)
    }

    /// `results/flu-2027.csv.gz` → `flu-2027`, made a usable experiment id.
    static func stem(_ path: String) -> String {
        var name = (path as NSString).lastPathComponent
        for suffix in [".gz", ".csv"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        let cleaned = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "-" })
        return cleaned.first == "." || cleaned.isEmpty ? "data" + cleaned : String(cleaned.prefix(128))
    }
}

/// One covariate column while reading: numbers, until a text value makes it categorical.
struct CovariateColumn {
    let name: String
    var values: [Float] = []
    /// Set once a non-numeric value appears: category codes per row (NaN missing).
    var categories: [String]?
    var codes: [String: Int] = [:]

    init(name: String) { self.name = name }

    var isCategorical: Bool { categories != nil }

    mutating func append(_ x: Float) { values.append(x) }

    /// Turns the column categorical if needed (earlier numbers become categories by their
    /// value) and appends the value's code; false when there would be too many categories.
    mutating func appendCategory(_ value: String, limit: Int) -> Bool {
        if categories == nil {
            categories = []
            values = values.map { x in
                guard !x.isNaN else { return .nan }
                return Float(code(for: NumberText.significant(Double(x))))
            }
        }
        let c = code(for: value)
        values.append(Float(c))
        return (categories?.count ?? 0) <= limit
    }

    private mutating func code(for value: String) -> Int {
        if let c = codes[value] { return c }
        let c = codes.count
        codes[value] = c
        categories?.append(value)
        return c
    }

    /// The row-major feature matrix, text columns one-hot encoded, and the column names.
    static func matrix(_ columns: [CovariateColumn], rows: Int) -> (FeatureMatrix, [String]) {
        var names: [String] = []
        for column in columns {
            if let categories = column.categories {
                names += categories.map { "\(column.name)=\($0)" }
            } else {
                names.append(column.name)
            }
        }
        let width = names.count
        var values = [Float](repeating: 0, count: rows * width)
        var offset = 0
        for column in columns {
            if let categories = column.categories {
                for r in 0..<rows {
                    let code = column.values[r]
                    if code.isNaN {
                        for k in 0..<categories.count { values[r * width + offset + k] = .nan }
                    } else {
                        values[r * width + offset + Int(code)] = 1
                    }
                }
                offset += categories.count
            } else {
                for r in 0..<rows { values[r * width + offset] = column.values[r] }
                offset += 1
            }
        }
        return (FeatureMatrix(values: values, rows: rows, columns: width), names)
    }
}
