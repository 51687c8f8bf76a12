import AdvisorModel
import Dispatch
import AdvisorFormats
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
    public static func read(
        path: String,
        manifest: DataManifest,
        limits: IngestLimits = IngestLimits()
    )
        throws(InputError) -> DataDrop
    {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw InputError(
                file: path,
                field: nil,
                problem: "cannot be read (\(String(cString: strerror(errno))))",
                fix: "check that the file exists and is readable"
            )
        }
        guard Int(info.st_size) <= limits.maxBytes else {
            throw InputError(
                file: path,
                field: nil,
                problem: "the file has \(info.st_size) bytes, more than max_data_bytes (\(limits.maxBytes))",
                fix: "split the drop, compress it (.csv.gz), or raise max_data_bytes in the configuration"
            )
        }
        // A plain file of some size is parsed as two halves on two cores, split at a newline,
        // unless a quote appears (a quoted field may hold the newline the split relies on).
        if !path.lowercased().hasSuffix(".gz") && info.st_size >= 4 << 20,
            let drop = try readHalves(path: path, size: Int(info.st_size), manifest: manifest, limits: limits)
        {
            return drop
        }
        guard let file = GzipFile(path: path) else {
            throw InputError(file: path, field: nil, problem: "cannot be opened", fix: "check the file's permissions")
        }
        var parser = CSVColumnParser(path: path, manifest: manifest, limits: limits)
        let total = try feed(&parser, path: path) { (buffer: inout [UInt8], offset, count) throws(InputError) -> Int in
            do throws(GzipFile.GzipError) {
                return try file.read(into: &buffer, at: offset, count: count)
            } catch {
                throw InputError(
                    file: path,
                    field: nil,
                    problem: "cannot be read to the end (\(error.message))",
                    fix: "check that the file is complete; a .gz file must be a whole gzip stream"
                )
            }
        }
        return try parser.finish(bytesRead: total)
    }

    /// Streams bytes from `read` through `parser` in 1 MiB reads; returns the byte count.
    static func feed(
        _ parser: inout CSVColumnParser,
        path: String,
        prefix: [UInt8] = [],
        read: (inout [UInt8], Int, Int) throws(InputError) -> Int
    ) throws(InputError) -> Int {
        var buffer = [UInt8](repeating: 0, count: max(1 << 20, prefix.count * 2))
        buffer.replaceSubrange(0..<prefix.count, with: prefix)
        var filled = prefix.count
        var total = 0
        while true {
            // A row longer than the buffer: grow it. `slack` bytes always stay free after the
            // data: the sentinel the parser's fast path stops at, and room for its 8-byte reads.
            if filled + CSVColumnParser.slack >= buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
            let n = try read(&buffer, filled, buffer.count - filled - CSVColumnParser.slack)
            total += n
            filled += n
            buffer[filled] = 0
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
        return total
    }

    /// Parses [0, split) and [split, size) of a plain file at once, split after the newline
    /// nearest the middle; the second parser reads the header first. nil when a quote is seen
    /// (then the file is read in one pass instead).
    static func readHalves(
        path: String,
        size: Int,
        manifest: DataManifest,
        limits: IngestLimits
    )
        throws(InputError) -> DataDrop?
    {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw InputError(file: path, field: nil, problem: "cannot be opened", fix: "check the file's permissions")
        }
        defer { close(fd) }
        // The header line, and the first newline at or after the middle.
        func firstNewline(from offset: Int) -> Int? {
            var block = [UInt8](repeating: 0, count: 1 << 16)
            var at = offset
            while at < size {
                let n = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(at)) }
                guard n > 0 else { return nil }
                if let index = block[0..<n].firstIndex(of: UInt8(ascii: "\n")) { return at + index }
                at += n
            }
            return nil
        }
        guard let headerEnd = firstNewline(from: 0), let middle = firstNewline(from: size / 2),
            middle > headerEnd, middle + 1 < size
        else { return nil }
        var header = [UInt8](repeating: 0, count: headerEnd + 1)
        _ = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, headerEnd + 1, 0) }

        final class Half: @unchecked Sendable {
            // @unchecked: each Half is touched by one concurrentPerform iteration, then read after it.
            var parser: CSVColumnParser
            var result: Result<Int, InputError> = .success(0)
            init(_ parser: CSVColumnParser) { self.parser = parser }
        }
        let halves = [
            Half(CSVColumnParser(path: path, manifest: manifest, limits: limits)),
            Half(CSVColumnParser(path: path, manifest: manifest, limits: limits)),
        ]
        let ranges = [(0, middle + 1), (middle + 1, size)]
        // Rows in the whole file, from the first 1 MiB, with 3% to spare.
        var sample = [UInt8](repeating: 0, count: min(size, 1 << 20))
        let sampled = sample.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        let newlines = sample[0..<max(sampled, 0)].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        sample = []
        if newlines > 1 {
            let rows = Int(Double(size) / Double(max(sampled, 1)) * Double(newlines) * 1.03)
            halves[0].parser.expectedRows = rows
            halves[1].parser.expectedRows = rows / 2
        }
        let headerBytes = header
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            let half = halves[k]
            var position = ranges[k].0
            let end = ranges[k].1
            do throws(InputError) {
                let count = try feed(&half.parser, path: path, prefix: k == 1 ? headerBytes : []) {
                    (buffer: inout [UInt8], offset, count) throws(InputError) -> Int in
                    let wanted = min(count, end - position)
                    guard wanted > 0 else { return 0 }
                    let n = buffer.withUnsafeMutableBytes { raw -> Int in
                        guard let base = raw.baseAddress else { return -1 }
                        return pread(fd, base + offset, wanted, off_t(position))
                    }
                    guard n >= 0 else {
                        throw InputError(
                            file: path,
                            field: nil,
                            problem: "cannot be read (\(String(cString: strerror(errno))))",
                            fix: "check the file and the disk"
                        )
                    }
                    position += n
                    return n
                }
                half.result = .success(count)
            } catch {
                half.result = .failure(error)
            }
        }
        if halves.contains(where: { $0.parser.sawQuote }) { return nil }
        var first = halves[0].parser
        let firstBytes: Int
        switch halves[0].result {
        case .failure(let error): throw error
        case .success(let n): firstBytes = n
        }
        // Lines of the second half count from its copy of the header.
        let lineOffset = first.line - 1
        switch halves[1].result {
        case .failure(var error):
            if let line = error.line { error.line = line + lineOffset }
            throw error
        case .success(let n):
            halves[0].parser = CSVColumnParser(path: path, manifest: manifest, limits: limits)
            try first.append(halves[1].parser, lineOffset: lineOffset)
            halves[1].parser = CSVColumnParser(path: path, manifest: manifest, limits: limits)
            return try first.finish(bytesRead: firstBytes + n)
        }
    }
}

/// The streaming state: header, roles, and one growing array per column.
struct CSVColumnParser {
    let path: String
    let manifest: DataManifest
    let limits: IngestLimits
    var header: [String] = []
    var line = 0
    /// Field byte ranges of the row being parsed.
    let fields = FieldSpans()
    /// Arm labels by their bytes, so no String is made per row.
    let armTable = ArmTable()
    /// Covariates of all rows so far, row-major, one slot per covariate column (text columns
    /// hold category codes until `finish` one-hot encodes them).
    var raw: [Float] = []
    var rowValues: [Float] = []
    var categories: [CategoryCodes?] = []

    var unescaped: [UInt8] = []

    var armColumn = -1
    var outcomeColumn = -1
    var propensityColumn = -1
    var covariateColumns: [Int] = []
    var arms: [Int] = []
    var outcomes: [Double] = []
    var propensities: [Double] = []
    var rowsRead = 0
    var rowsDropped = 0
    var droppedLines: [Int] = []
    /// Whether any quote character was seen (a split at a newline is then not safe).
    var sawQuote = false
    /// Rows to reserve room for once the header is known (the first half of a split file
    /// reserves for the whole file, so appending the second half needs no reallocation).
    var expectedRows = 0

    init(path: String, manifest: DataManifest, limits: IngestLimits) {
        self.path = path
        self.manifest = manifest
        self.limits = limits
    }

    func error(_ column: String?, _ problem: String, fix: String, line: Int? = nil) -> InputError {
        InputError(
            file: path,
            field: column.map { "column '\($0)'" },
            line: line ?? self.line,
            problem: problem,
            fix: fix
        )
    }

    /// Parses the complete rows in `bytes[0..<count]` (all of it when `final`); returns how many
    /// bytes were used. A row cut by the end of the buffer is parsed again with the next read.
    mutating func consume(_ bytes: [UInt8], count: Int, final: Bool) throws(InputError) -> Int {
        try bytes.withUnsafeBufferPointer { (buffer) throws(InputError) -> Int in
            try consumeRows(buffer, count: count, final: final)
        }
    }

    private mutating func consumeRows(
        _ b: UnsafeBufferPointer<UInt8>,
        count: Int,
        final: Bool
    ) throws(InputError) -> Int {
        var rowStart = 0
        var i = 0
        let quote = UInt8(ascii: "\"")
        let comma = UInt8(ascii: ",")
        let newline = UInt8(ascii: "\n")
        let ret = UInt8(ascii: "\r")
        let starts = fields.starts
        let ends = fields.ends
        let quotedFlags = fields.quoted
        let capacity = FieldSpans.capacity
        // The fast path needs the sentinel (a 0 byte after the data, which `feed` writes), the
        // header, and covariates that are all numeric so far (a row on the general path may
        // change either, so it is decided again after each one).
        let sentinel = count + Self.slack <= b.count && b[count] == 0
        var fast = sentinel && header.count <= capacity && !header.isEmpty && !categories.contains { $0 != nil }
        let kinds = fields.kinds
        let values = fields.values
        let powers = fields.powersOfTen
        while rowStart < count {
            if fast, let base = b.baseAddress,
                let parsed = Self.plainRow(
                    base,
                    rowStart,
                    kinds: kinds,
                    columns: header.count,
                    values: values,
                    powers: powers
                )
            {
                var arm = armTable.find(b, parsed.armStart, parsed.armEnd)
                if arm < 0 { arm = armTable.add(b, parsed.armStart, parsed.armEnd, name: nil) }
                line += 1
                rowsRead += 1
                arms.append(arm)
                outcomes.append(parsed.outcome)
                propensities.append(parsed.propensity)
                raw.append(contentsOf: UnsafeBufferPointer(start: values, count: covariateColumns.count))
                rowStart = parsed.end
                continue
            }
            var n = 0
            var fieldStart = rowStart
            var inQuotes = false
            var quoted = false
            var rowEnd = -1
            i = rowStart
            scan: while i < count {
                if !inQuotes, let base = b.baseAddress {
                    // Skip ordinary bytes eight at a time: a word has a separator if any of its
                    // bytes equals ',', '\n' or '"' (the lowest flagged byte is always exact).
                    while i + 8 <= count {
                        let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                        let flags = Self.flagBytes(word, 0x2C) | Self.flagBytes(word, 0x0A) | Self.flagBytes(word, 0x22)
                        guard flags == 0 else {
                            i += flags.trailingZeroBitCount >> 3
                            break
                        }
                        i += 8
                    }
                    if i >= count { break scan }
                }
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
                if c == comma {
                    if n < capacity {
                        starts[n] = fieldStart
                        ends[n] = i
                        quotedFlags[n] = quoted
                    }
                    n += 1
                    fieldStart = i + 1
                    quoted = false
                } else if c == newline {
                    if n < capacity {
                        starts[n] = fieldStart
                        ends[n] = i > fieldStart && b[i - 1] == ret ? i - 1 : i
                        quotedFlags[n] = quoted
                    }
                    n += 1
                    rowEnd = i + 1
                    break scan
                } else if c == quote {
                    sawQuote = true
                    if i == fieldStart {
                        inQuotes = true
                        quoted = true
                    }
                }
                i += 1
            }
            if rowEnd < 0 {
                guard final else { return rowStart }  // incomplete row: wait for more bytes
                if inQuotes {
                    throw error(
                        nil,
                        "a quoted field is not closed before the end of the file",
                        fix: "close the quote (\"…\")",
                        line: line + 1
                    )
                }
                if fieldStart >= count && n == 0 { return count }  // trailing newline only
                if n < capacity {
                    starts[n] = fieldStart
                    ends[n] = count > fieldStart && b[count - 1] == ret ? count - 1 : count
                    quotedFlags[n] = quoted
                }
                n += 1
                rowEnd = count
            }
            fields.count = n
            if n > capacity {
                throw error(
                    nil,
                    "this row has \(n) fields, more than \(capacity)",
                    fix: "drop unused columns",
                    line: line + 1
                )
            }
            line += 1
            try row(b)
            rowStart = rowEnd
            fast = sentinel && header.count <= capacity && !header.isEmpty && !categories.contains { $0 != nil }
        }
        return rowStart
    }

    /// A parsed plain row: where it ends, its arm label's bytes, outcome and propensity.
    struct PlainRow {
        var end = -1
        var armStart = 0
        var armEnd = 0
        var outcome = 0.0
        var propensity = 0.0
    }

    /// The fast path for the common row: no quotes, every field where the header says, numbers
    /// as plain decimals (sign, digits, point), parsed in the same pass that finds the commas,
    /// covariate values written to `values`. nil sends the row to the general path, which
    /// handles (or rejects with its error) everything else: quotes, blanks, spaces, exponents,
    /// a missing arm or outcome, text covariates, a wrong field count, the end of the buffer
    /// (the 0 sentinel after the data stops every loop here). Both paths give the same values.
    @inline(__always)
    static func plainRow(
        _ b: UnsafePointer<UInt8>,
        _ start: Int,
        kinds: UnsafePointer<Int>,
        columns: Int,
        values: UnsafeMutablePointer<Float>,
        powers: UnsafePointer<Double>
    ) -> PlainRow? {
        let comma: UInt8 = 44
        let newline: UInt8 = 10
        let ret: UInt8 = 13
        var i = start
        var row = PlainRow()
        for column in 0..<columns {
            let kind = kinds[column]
            let fieldStart = i
            if kind == FieldSpans.armRole || kind == FieldSpans.skipRole {
                while true {
                    let c = b[i]
                    if c == comma || c == newline || c == ret { break }
                    if c == 34 || c == 0 { return nil }  // a quote, or the end of the data
                    i += 1
                }
                if kind == FieldSpans.armRole {
                    guard i > fieldStart else { return nil }
                    row.armStart = fieldStart
                    row.armEnd = i
                }
            } else {
                let c = b[i]
                if c == comma || c == newline || c == ret {
                    guard kind >= 0 else { return nil }  // no outcome or propensity
                    values[kind] = .nan
                } else {
                    guard let x = shortDecimal(b, &i, powers: powers) ?? plainDecimal(b, &i, Int.max, powers: powers)
                    else { return nil }
                    switch kind {
                    case FieldSpans.outcomeRole: row.outcome = x
                    case FieldSpans.propensityRole:
                        guard x > 0 && x <= 1 else { return nil }
                        row.propensity = x
                    default: values[kind] = Float(x)
                    }
                }
            }
            if column + 1 < columns {
                guard b[i] == comma else { return nil }
                i += 1
            } else {
                if b[i] == ret { i += 1 }  // i < count here, so i + 1 is at most the sentinel
                guard b[i] == newline else { return nil }
                row.end = i + 1
            }
        }
        // A row that ended consumed at least its newline; anything else (no columns) is not
        // a plain row, so the caller never loops on the same position.
        return row.end > start ? row : nil
    }

    /// 0x80 in every byte of `word` that equals `byte` (plus, possibly, bytes above the first
    /// such byte: only the lowest flag is used). The classic has-zero-byte trick.
    @inline(__always)
    static func flagBytes(_ word: UInt64, _ byte: UInt64) -> UInt64 {
        let x = word ^ (byte &* 0x0101_0101_0101_0101)
        return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }

    /// The text of field k, quotes removed and doubled quotes undone.
    mutating func text(_ b: UnsafeBufferPointer<UInt8>, _ k: Int) -> String {
        let (start, end, quoted) = (fields.starts[k], fields.ends[k], fields.quoted[k])
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
        if fields.count == 1 && fields.starts[0] == fields.ends[0] { return }
        guard fields.count == header.count else {
            throw error(
                nil,
                "this row has \(fields.count) fields, the header has \(header.count)",
                fix: "give every row one value per header column (quote values that contain commas)"
            )
        }
        rowsRead += 1
        let (armStart, armEnd) = fields.content(armColumn)
        let (outcomeStart, outcomeEnd) = fields.content(outcomeColumn)
        if armStart == armEnd || outcomeStart == outcomeEnd {
            rowsDropped += 1
            if droppedLines.count < 5 { droppedLines.append(line) }
            return
        }
        guard let y = Self.number(b, outcomeStart, outcomeEnd, powers: fields.powersOfTen) else {
            throw error(
                header[outcomeColumn],
                "'\(text(b, outcomeColumn))' is not a number",
                fix: "the outcome must be a number (0/1 for a binary outcome); leave it empty to drop the row"
            )
        }
        guard y.isFinite else {
            throw error(
                header[outcomeColumn],
                "'\(text(b, outcomeColumn))' is not a finite number",
                fix: "remove NaN and infinite values"
            )
        }
        var propensity = 0.0
        if propensityColumn >= 0 {
            let (ps, pe) = fields.content(propensityColumn)
            guard let p = Self.number(b, ps, pe, powers: fields.powersOfTen), p > 0, p <= 1 else {
                throw error(
                    header[propensityColumn],
                    "'\(text(b, propensityColumn))' is not a probability in (0, 1]",
                    fix: "give the probability the unit had of getting its arm"
                )
            }
            propensity = p
        }
        var arm = armTable.find(b, armStart, armEnd)
        if arm < 0 {
            arm = armTable.add(b, armStart, armEnd, name: fields.quoted[armColumn] ? text(b, armColumn) : nil)
        }
        for (slot, column) in covariateColumns.enumerated() {
            let (start, end) = fields.content(column)
            if start == end {
                rowValues[slot] = .nan
            } else if categories[slot] == nil, let x = Self.number(b, start, end, powers: fields.powersOfTen) {
                guard x.isFinite else {
                    throw error(
                        header[column],
                        "'\(text(b, column))' is not a finite number",
                        fix: "leave the cell empty for a missing value"
                    )
                }
                rowValues[slot] = Float(x)
            } else {
                if categories[slot] == nil { makeCategorical(slot) }
                let value = text(b, column)
                guard let code = categories[slot]?.code(for: value), code < limits.maxCategories else {
                    throw error(
                        header[column],
                        "more than \(limits.maxCategories) distinct text values",
                        fix: "bucket the column, or list it under ignore_columns in the manifest"
                    )
                }
                rowValues[slot] = Float(code)
            }
        }
        arms.append(arm)
        outcomes.append(y)
        propensities.append(propensity)
        raw.append(contentsOf: rowValues)
    }

    /// A covariate turns categorical at its first text value; the numbers seen before become
    /// categories by their value.
    mutating func makeCategorical(_ slot: Int) {
        var codes = CategoryCodes()
        let width = covariateColumns.count
        var index = slot
        while index < raw.count {
            if !raw[index].isNaN { raw[index] = Float(codes.code(for: CategoryCodes.name(forNumber: raw[index]))) }
            index += width
        }
        categories[slot] = codes
    }

    mutating func readHeader(_ b: UnsafeBufferPointer<UInt8>) throws(InputError) {
        header = (0..<fields.count).map { text(b, $0).trimmingCharacters(in: .whitespaces) }
        if header.count == 1 && header[0].isEmpty {
            throw error(
                nil,
                "the first line (the header) is empty",
                fix: "start the file with a header: arm,outcome,covariates…"
            )
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
                    name,
                    "is missing from the header (the \(what) column)",
                    fix:
                        "add a '\(name)' column, or name yours in NAME.manifest.yaml under columns: {\(what): your_name}"
                )
            }
            return -1
        }
        armColumn = try role(manifest.armColumn, "arm", required: true)
        outcomeColumn = try role(manifest.outcomeColumn, "outcome", required: true)
        propensityColumn = try role(manifest.propensityColumn, "propensity", required: false)
        let unitID = try role(manifest.unitIDColumn, "unit_id", required: false)
        for name in manifest.ignoredColumns where !header.contains(name) {
            throw error(
                name,
                "is listed under ignore_columns but is not in the header",
                fix: "correct the name in the manifest"
            )
        }
        covariateColumns = header.indices.filter {
            ![armColumn, outcomeColumn, propensityColumn, unitID].contains($0)
                && !manifest.ignoredColumns.contains(header[$0])
        }
        categories = Array(repeating: nil, count: covariateColumns.count)
        rowValues = Array(repeating: 0, count: covariateColumns.count)
        for column in header.indices where column < FieldSpans.capacity { fields.kinds[column] = FieldSpans.skipRole }
        for (slot, column) in covariateColumns.enumerated() where column < FieldSpans.capacity {
            fields.kinds[column] = slot
        }
        fields.kinds[armColumn] = FieldSpans.armRole
        fields.kinds[outcomeColumn] = FieldSpans.outcomeRole
        if propensityColumn >= 0 { fields.kinds[propensityColumn] = FieldSpans.propensityRole }
        if expectedRows > 0 {
            raw.reserveCapacity(expectedRows * covariateColumns.count)
            arms.reserveCapacity(expectedRows)
            outcomes.reserveCapacity(expectedRows)
            propensities.reserveCapacity(expectedRows)
        }
    }

    /// A decimal number in `b[first..<last]` (surrounding blanks allowed): plain decimals by
    /// `plainDecimal`, everything else (exponents, long mantissas, "nan", "inf") by strtod; nil
    /// when the text is not a number (or is empty). Static, not a method: a method call on the
    /// parser (a mutating context) copied the whole parser for every number (seen in a profile).
    @inline(__always)
    static func number(
        _ b: UnsafeBufferPointer<UInt8>,
        _ first: Int,
        _ last: Int,
        powers: UnsafePointer<Double>
    ) -> Double? {
        var start = first
        var end = last
        while start < end && (b[start] == 32 || b[start] == 9) { start += 1 }
        while end > start && (b[end - 1] == 32 || b[end - 1] == 9) { end -= 1 }
        guard start < end, let base = b.baseAddress else { return nil }
        var i = start
        if b[i] == UInt8(ascii: "+") && i + 1 < end && b[i + 1] != UInt8(ascii: "-") { i += 1 }
        if let value = plainDecimal(base, &i, end, powers: powers), i == end { return value }
        return slowNumber(b, start, end)
    }

    /// Bytes kept free after the data in a read buffer: the 0 sentinel and the 8-byte reads of
    /// `shortDecimal` past it.
    static let slack = 16

    /// `[-]digits[.digits]` with at most 7 digits on each side of the point (most numbers in a
    /// drop), read eight bytes at a time: the digit run's length from a SWAR test, its value
    /// from the multiply-shift that turns eight ASCII digits into an integer. No branch per
    /// digit, whose mispredictions dominated a byte-at-a-time parse. nil (i unchanged) for
    /// anything else, which `plainDecimal` then reads; both give the same Double (the mantissa
    /// is below 10^14, so one correctly rounded division is exact). Reads up to 8 bytes past the
    /// number, which the buffer's slack allows.
    @inline(__always)
    static func shortDecimal(_ b: UnsafePointer<UInt8>, _ i: inout Int, powers: UnsafePointer<Double>) -> Double? {
        var j = i
        let negative = b[j] == UInt8(ascii: "-")
        if negative { j += 1 }
        let whole = UnsafeRawPointer(b + j).loadUnaligned(as: UInt64.self)
        let wholeDigits = leadingDigits(whole)
        guard wholeDigits < 8 else { return nil }
        var mantissa = digitsValue(whole, count: wholeDigits)
        j += wholeDigits
        var fractionDigits = 0
        if b[j] == UInt8(ascii: ".") {
            let fraction = UnsafeRawPointer(b + j + 1).loadUnaligned(as: UInt64.self)
            fractionDigits = leadingDigits(fraction)
            guard fractionDigits < 8 else { return nil }
            mantissa = mantissa &* UInt64(powers[fractionDigits]) &+ digitsValue(fraction, count: fractionDigits)
            j += 1 + fractionDigits
        }
        guard wholeDigits + fractionDigits > 0 else { return nil }
        i = j
        let value = fractionDigits > 0 ? Double(mantissa) / powers[fractionDigits] : Double(mantissa)
        return negative ? -value : value
    }

    /// How many of the word's bytes, from the first (lowest), are ASCII digits (8 if all). The
    /// first non-digit's flag is exact: borrows and carries only move to higher bytes.
    @inline(__always)
    static func leadingDigits(_ word: UInt64) -> Int {
        let t = word &- 0x3030_3030_3030_3030
        let nonDigit = ((t &+ 0x7676_7676_7676_7676) | t) & 0x8080_8080_8080_8080
        return nonDigit.trailingZeroBitCount >> 3
    }

    /// The integer the word's first `count` (0 to 7) bytes spell as ASCII digits: they are moved
    /// to the top (zeros below them read as leading zeros), then pairs, quads and the two
    /// halves are combined by three multiply-shifts.
    @inline(__always)
    static func digitsValue(_ word: UInt64, count: Int) -> UInt64 {
        var v = word << UInt64((8 - count) * 8)
        v = ((v & 0x0F0F_0F0F_0F0F_0F0F) &* 2561) >> 8
        v = ((v & 0x00FF_00FF_00FF_00FF) &* 6_553_601) >> 16
        return ((v & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) >> 32
    }

    /// `[-]digits[.digits]` from b[i] on, stopping at `end` or the first other byte (i is left
    /// there). The value when it is exact: at most 19 significant digits, a mantissa of at most
    /// 2^53 and a power of ten of at most 22, so one correctly rounded division gives the same
    /// Double as strtod (Clinger's fast path). nil otherwise, and when there is no digit; the
    /// caller then asks strtod. Shared by the fast row path and `number`.
    @inline(__always)
    static func plainDecimal(
        _ b: UnsafePointer<UInt8>,
        _ i: inout Int,
        _ end: Int,
        powers: UnsafePointer<Double>
    ) -> Double? {
        var negative = false
        if i < end && b[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var significant = 0
        var scale = 0
        var seenPoint = false
        while i < end {
            let d = b[i] &- 48
            if d < 10 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                digits += 1
                if mantissa != 0 { significant += 1 }
                if seenPoint { scale -= 1 }
            } else if d == 46 &- 48 && !seenPoint {  // '.'
                seenPoint = true
            } else {
                break
            }
            i += 1
        }
        guard digits > 0 && significant <= 19 && mantissa <= 1 << 53 && scale >= -22 else { return nil }
        var value = Double(mantissa)
        if scale < 0 { value /= powers[-scale] }
        return negative ? -value : value
    }

    /// Exponents, "nan", "inf" and anything unusual: the C library decides.
    @inline(never)
    static func slowNumber(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
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

    mutating func finish(bytesRead: Int) throws(InputError) -> DataDrop {
        guard !header.isEmpty else {
            throw InputError(
                file: path,
                field: nil,
                line: nil,
                problem: "the file is empty",
                fix: "drop the unit-level results with a header row"
            )
        }
        guard rowsRead > 0 else {
            throw InputError(
                file: path,
                field: nil,
                line: nil,
                problem: "the file has a header but no rows",
                fix: "drop the file with its data rows"
            )
        }
        let badShare = Double(rowsDropped) / Double(rowsRead)
        if badShare > limits.maxBadRowShare {
            throw InputError(
                file: path,
                field: nil,
                line: droppedLines.first,
                problem:
                    "\(rowsDropped) of \(rowsRead) rows (\(NumberText.percent(badShare))) have no arm or no outcome (first at lines \(droppedLines.map(String.init).joined(separator: ", ")))",
                fix:
                    "fill in the arm and outcome of every unit, or raise max_bad_row_share (now \(limits.maxBadRowShare))"
            )
        }
        let armNames = armTable.names
        guard armNames.count >= 2 else {
            throw InputError(
                file: path,
                field: "column '\(header[armColumn])'",
                line: nil,
                problem: "every unit has the same arm ('\(armNames.first ?? "")')",
                fix: "drop the results of a test with at least two arms"
            )
        }
        var counts = Array(repeating: 0, count: armNames.count)
        for a in arms { counts[a] += 1 }
        for (a, n) in counts.enumerated() where n < limits.minUnitsPerArm {
            throw InputError(
                file: path,
                field: "column '\(header[armColumn])'",
                line: nil,
                problem: "arm '\(armNames[a])' has \(n) units, fewer than min_units_per_arm (\(limits.minUnitsPerArm))",
                fix: "drop the arm's rows, merge it with a similar arm, or lower min_units_per_arm"
            )
        }
        guard let first = outcomes.first, outcomes.contains(where: { $0 != first }) else {
            throw InputError(
                file: path,
                field: "column '\(header[outcomeColumn])'",
                line: nil,
                problem: "the outcome is the same (\(NumberText.significant(outcomes.first ?? 0))) for every unit",
                fix: "check that the outcome column holds the measured result"
            )
        }
        if propensityColumn < 0 {
            if let given = manifest.assignmentProbabilities {
                for name in armNames where given[name] == nil {
                    throw InputError(
                        file: ManifestFile.path(forData: path),
                        field: "assignment_probabilities",
                        line: nil,
                        problem: "arm '\(name)' has no probability",
                        fix: "give a probability for every arm label in the data"
                    )
                }
                propensities = arms.map { given[armNames[$0]] ?? 0 }
            } else {
                propensities = Array(repeating: 1 / Double(armNames.count), count: arms.count)
            }
        }
        var controlArm: Int?
        if let control = manifest.controlArm {
            guard let index = armNames.firstIndex(of: control) else {
                throw InputError(
                    file: ManifestFile.path(forData: path),
                    field: "control_arm",
                    line: nil,
                    problem:
                        "'\(control)' is not an arm in the data (arms: \(armNames.prefix(8).joined(separator: ", ")))",
                    fix: "give the control arm's label exactly as in the arm column"
                )
            }
            controlArm = index
        }
        let binary = outcomes.allSatisfy { $0 == 0 || $0 == 1 }
        // Smaller is better: maximize −y, or 1 − y for a 0/1 outcome so it stays 0/1.
        if !manifest.largerIsBetter { outcomes = outcomes.map { binary ? 1 - $0 : -$0 } }
        let (features, names) = featureMatrix()
        let experiment = manifest.experiment ?? Self.stem(path)
        return DataDrop(
            experiment: experiment,
            data: ExperimentData(
                armNames: armNames,
                arm: arms,
                outcome: outcomes,
                features: features,
                propensity: propensities
            ),
            covariateNames: names,
            binaryOutcome: binary,
            rowsRead: rowsRead,
            rowsDropped: rowsDropped,
            droppedLines: droppedLines,
            bytesRead: bytesRead,
            controlArm: controlArm
        )
    }

    /// `results/flu-2027.csv.gz` → `flu-2027`, made a usable experiment id.
    static func stem(_ path: String) -> String {
        var name = (path as NSString).lastPathComponent
        for suffix in [".gz", ".csv"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        let cleaned = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "-" })
        return cleaned.first == "." || cleaned.isEmpty ? "data" + cleaned : String(cleaned.prefix(128))
    }
}

extension CSVColumnParser {
    /// Appends the rows another parser read from the rest of the same file: arm labels and
    /// text categories are matched by name and recoded; line numbers move by `lineOffset`.
    mutating func append(_ other: CSVColumnParser, lineOffset: Int) throws(InputError) {
        let armMap = other.armTable.names.map { name -> Int in
            if let index = armTable.names.firstIndex(of: name) { return index }
            let bytes = Array(name.utf8)
            return bytes.withUnsafeBufferPointer { armTable.add($0, 0, bytes.count, name: name) }
        }
        let width = covariateColumns.count
        var incoming = other.raw
        for slot in 0..<width {
            let theirs = other.categories[slot]
            if theirs == nil && categories[slot] == nil { continue }
            if categories[slot] == nil { makeCategorical(slot) }
            var index = slot
            while index < incoming.count {
                let x = incoming[index]
                if !x.isNaN {
                    let name = theirs.map { $0.names[Int(x)] } ?? CategoryCodes.name(forNumber: x)
                    guard let code = categories[slot]?.code(for: name), code < limits.maxCategories else {
                        throw InputError(
                            file: path,
                            field: "column '\(header[covariateColumns[slot]])'",
                            line: nil,
                            problem: "more than \(limits.maxCategories) distinct text values",
                            fix: "bucket the column, or list it under ignore_columns in the manifest"
                        )
                    }
                    incoming[index] = Float(code)
                }
                index += width
            }
        }
        raw += incoming
        arms += other.arms.map { armMap[$0] }
        outcomes += other.outcomes
        propensities += other.propensities
        rowsRead += other.rowsRead
        rowsDropped += other.rowsDropped
        for lineNumber in other.droppedLines where droppedLines.count < 5 {
            droppedLines.append(lineNumber + lineOffset)
        }
        line += lineOffset
    }

    /// The feature matrix: `raw` itself when every covariate is numeric (no copy), else with
    /// text columns one-hot encoded (NaN in every indicator of a missing value).
    mutating func featureMatrix() -> (FeatureMatrix, [String]) {
        let rows = arms.count
        let width = covariateColumns.count
        if categories.allSatisfy({ $0 == nil }) {
            defer { raw = [] }
            return (FeatureMatrix(values: raw, rows: rows, columns: width), covariateColumns.map { header[$0] })
        }
        var names: [String] = []
        var offsets: [Int] = []
        for (slot, column) in covariateColumns.enumerated() {
            offsets.append(names.count)
            if let codes = categories[slot] {
                names += codes.names.map { "\(header[column])=\($0)" }
            } else {
                names.append(header[column])
            }
        }
        let wide = names.count
        var values = [Float](repeating: 0, count: rows * wide)
        for r in 0..<rows {
            for slot in 0..<width {
                let x = raw[r * width + slot]
                if let codes = categories[slot] {
                    if x.isNaN {
                        for k in 0..<codes.names.count { values[r * wide + offsets[slot] + k] = .nan }
                    } else {
                        values[r * wide + offsets[slot] + Int(x)] = 1
                    }
                } else {
                    values[r * wide + offsets[slot]] = x
                }
            }
        }
        raw = []
        return (FeatureMatrix(values: values, rows: rows, columns: wide), names)
    }
}

/// The byte spans of the current row's fields, in fixed raw storage: the parser writes 10+
/// spans per row through the `let` pointers, so no array uniqueness or exclusivity check runs
/// per field. Rows with more fields than `capacity` are counted but not stored (they are errors).
final class FieldSpans {
    static let capacity = 4096
    var count = 0
    let starts = UnsafeMutablePointer<Int>.allocate(capacity: FieldSpans.capacity)
    let ends = UnsafeMutablePointer<Int>.allocate(capacity: FieldSpans.capacity)
    let quoted = UnsafeMutablePointer<Bool>.allocate(capacity: FieldSpans.capacity)
    /// For the fast path: each column's role (a covariate slot ≥ 0, or one of the roles
    /// below), and the row's covariate values by slot.
    let kinds = UnsafeMutablePointer<Int>.allocate(capacity: FieldSpans.capacity)
    let values = UnsafeMutablePointer<Float>.allocate(capacity: FieldSpans.capacity)
    /// 10⁰ … 10²² in raw storage: a global array costs a lazy-initialization check per number.
    let powersOfTen = UnsafeMutablePointer<Double>.allocate(capacity: 23)
    static let skipRole = -1, armRole = -2, outcomeRole = -3, propensityRole = -4

    init() {
        kinds.initialize(repeating: FieldSpans.skipRole, count: FieldSpans.capacity)
        values.initialize(repeating: 0, count: FieldSpans.capacity)
        for k in 0...22 { (powersOfTen + k).initialize(to: exactPowersOfTen[k]) }
    }

    deinit {
        starts.deallocate()
        ends.deallocate()
        quoted.deallocate()
        kinds.deallocate()
        values.deallocate()
        powersOfTen.deallocate()
    }

    /// The field's span without its surrounding quotes.
    @inline(__always)
    func content(_ k: Int) -> (Int, Int) {
        quoted[k] && ends[k] - starts[k] >= 2 ? (starts[k] + 1, ends[k] - 1) : (starts[k], ends[k])
    }
}

/// Arm labels found by their bytes (FNV-1a hash, then a byte comparison): no String per row.
final class ArmTable {
    private var byHash: [UInt64: [Int]] = [:]
    private var bytes: [[UInt8]] = []
    private(set) var names: [String] = []

    @inline(__always)
    static func hash(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in start..<end { h = (h ^ UInt64(b[i])) &* 0x100_0000_01b3 }
        return h
    }

    /// The arm's index, or −1 if new.
    func find(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        guard let candidates = byHash[Self.hash(b, start, end)] else { return -1 }
        for index in candidates where bytes[index].count == end - start {
            var same = true
            for k in 0..<(end - start) where bytes[index][k] != b[start + k] {
                same = false
                break
            }
            if same { return index }
        }
        return -1
    }

    /// Adds a label (`name` when it had quotes to undo) and returns its index.
    func add(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, name: String?) -> Int {
        let index = names.count
        let raw = Array(UnsafeBufferPointer(rebasing: b[start..<end]))
        bytes.append(raw)
        names.append(name ?? String(decoding: raw, as: UTF8.self))
        byHash[Self.hash(b, start, end), default: []].append(index)
        return index
    }
}

/// The categories of a text covariate, in order of first appearance.
struct CategoryCodes {
    private var codes: [String: Int] = [:]
    private(set) var names: [String] = []

    /// The category a number read before its column turned to text becomes: its text as a file
    /// writes it ("3", "1.2345"), so it meets the same value read later as text. The shortest
    /// text that reads back as the same Float, not a display rounding (which would merge 1.2345
    /// and 1.2346).
    static func name(forNumber x: Float) -> String {
        x == x.rounded() && abs(x) < 16_777_216 ? String(Int(x)) : x.description
    }

    mutating func code(for value: String) -> Int {
        if let c = codes[value] { return c }
        codes[value] = names.count
        names.append(value)
        return names.count - 1
    }
}

/// 10⁰ … 10²², each exactly representable as a Double.
private let exactPowersOfTen: [Double] = (0...22).map { Foundation.pow(10, Double($0)) }
