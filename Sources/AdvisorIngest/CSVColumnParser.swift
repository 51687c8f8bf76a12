import AdvisorFormats
import AdvisorModel
import Foundation

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
    /// The unit-id column (−1 without one) and a 64-bit FNV-1a hash of every id read, in an
    /// array (an append per row; sorted once at the end to count repeats, cheaper than a set's
    /// insert per row). Two distinct ids share a hash with probability about n²/2⁶⁵.
    var unitIDColumn = -1
    /// Per kept row, Spark's `xxhash64` of its unit id (0 for an empty id): the split's key
    /// and the duplicate check's.
    var unitIDHashes: [UInt64] = []
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
        let sentinel = count + DecimalParser.slack <= b.count && b[count] == 0
        // A manifest's own missing-value tokens may look like numbers (-999): the fast path,
        // which takes any number as a value, is off for such drops.
        let plain = manifest.missingValues.isEmpty
        var fast =
            plain && sentinel && header.count <= capacity && !header.isEmpty && !categories.contains { $0 != nil }
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
                if arm < 0 {
                    // A new label that is not UTF-8, or holds a control character: the general
                    // path reads the row again and names its line and column.
                    let label = UnsafeBufferPointer(rebasing: b[parsed.armStart..<parsed.armEnd])
                    guard let name = String(validating: label, as: UTF8.self),
                        !name.unicodeScalars.contains(where: JSONScan.isControl)
                    else {
                        fast = false
                        continue
                    }
                    arm = armTable.add(b, parsed.armStart, parsed.armEnd, name: nil)
                }
                line += 1
                rowsRead += 1
                arms.append(arm)
                outcomes.append(parsed.outcome)
                propensities.append(parsed.propensity)
                raw.append(contentsOf: UnsafeBufferPointer(start: values, count: covariateColumns.count))
                if unitIDColumn >= 0 { noteUnitID(b, parsed.idStart, parsed.idEnd) }
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
            fast =
                plain && sentinel && header.count <= capacity && !header.isEmpty && !categories.contains { $0 != nil }
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
        var idStart = 0
        var idEnd = 0
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

    /// Field k's text, which must be UTF-8: a Latin-1 export's "é" (one byte, 0xE9) would
    /// otherwise become a replacement character in a category or an arm's name, silently
    /// merging labels that differ only there.
    ///
    /// A name (an arm's label, a header's column) may not hold a control character either (C0,
    /// DEL, C1): a quoted label `"x\nverdict: …"` started a forged line in the text report, and
    /// an escape sequence cleared the reader's terminal. A category's value may (a quoted note
    /// with a line break is ordinary CSV); the text report shows it escaped.
    mutating func checkedText(
        _ b: UnsafeBufferPointer<UInt8>,
        _ k: Int,
        name: Bool = true
    ) throws(InputError) -> String {
        let (start, end) = (fields.starts[k], fields.ends[k])
        var ascii = true
        for i in start..<end {
            if b[i] >= 0x80 {
                ascii = false
            } else if name && (b[i] < 0x20 || b[i] == 0x7F) {
                throw controlCharacter(b, k)
            }
        }
        if ascii { return text(b, k) }
        let bytes = UnsafeBufferPointer(rebasing: b[start..<end])
        if String(validating: bytes, as: UTF8.self) != nil {
            let value = text(b, k)
            if name && value.unicodeScalars.contains(where: JSONScan.isControl) { throw controlCharacter(b, k) }
            return value
        }
        // The first byte at which decoding fails, for the message.
        var offset = 0
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var consumed = 0
        decoding: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                consumed += UTF8.width(scalar)
            case .emptyInput:
                break decoding
            case .error:
                offset = consumed
                break decoding
            }
        }
        let name = k < header.count ? header[k] : nil
        let byte = String(format: "0x%02X", b[start + min(offset, max(0, end - start - 1))])
        throw error(
            name,
            "column \(k + 1)\(name.map { " ('\($0)')" } ?? ""): the text is not valid UTF-8 (byte \(byte) at byte \(offset + 1) of the field)",
            fix: "save the file as UTF-8 (in a spreadsheet: 'CSV UTF-8'); a Latin-1 or Windows-1252 export shows this"
        )
    }

    /// Field k holds a control character: the error names its column and quotes it escaped.
    mutating func controlCharacter(_ b: UnsafeBufferPointer<UInt8>, _ k: Int) -> InputError {
        let name = k < header.count ? header[k] : nil
        return error(
            name,
            "column \(k + 1)\(name.map { " ('\(InputError.excerpt($0))')" } ?? ""): '\(InputError.excerpt(text(b, k)))' holds a control character (a newline, tab or escape), which would forge lines in the reports",
            fix: "remove control characters from labels, categories and column names"
        )
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
        if armStart == armEnd || outcomeStart == outcomeEnd || isMissingToken(b, outcomeStart, outcomeEnd) {
            rowsDropped += 1
            if droppedLines.count < 5 { droppedLines.append(line) }
            return
        }
        guard let y = DecimalParser.number(b, outcomeStart, outcomeEnd, powers: fields.powersOfTen) else {
            throw error(
                header[outcomeColumn],
                "'\(InputError.excerpt(text(b, outcomeColumn)))' is not a number",
                fix: "the outcome must be a number (0/1 for a binary outcome); leave it empty to drop the row"
            )
        }
        guard y.isFinite else {
            throw error(
                header[outcomeColumn],
                "'\(InputError.excerpt(text(b, outcomeColumn)))' is not a finite number",
                fix: "remove NaN and infinite values"
            )
        }
        var propensity = 0.0
        if propensityColumn >= 0 {
            let (ps, pe) = fields.content(propensityColumn)
            guard let p = DecimalParser.number(b, ps, pe, powers: fields.powersOfTen), p > 0, p <= 1 else {
                throw error(
                    header[propensityColumn],
                    "'\(InputError.excerpt(text(b, propensityColumn)))' is not a probability in (0, 1]",
                    fix: "give the probability the unit had of getting its arm"
                )
            }
            propensity = p
        }
        var arm = armTable.find(b, armStart, armEnd)
        if arm < 0 {
            arm = armTable.add(b, armStart, armEnd, name: try checkedText(b, armColumn))
        }
        for (slot, column) in covariateColumns.enumerated() {
            let (start, end) = fields.content(column)
            if start == end || isMissingToken(b, start, end) {
                rowValues[slot] = .nan
            } else if categories[slot] == nil, let x = DecimalParser.number(b, start, end, powers: fields.powersOfTen) {
                guard x.isFinite else {
                    throw error(
                        header[column],
                        "'\(InputError.excerpt(text(b, column)))' is not a finite number",
                        fix: "leave the cell empty for a missing value"
                    )
                }
                rowValues[slot] = Float(x)
            } else {
                if categories[slot] == nil { makeCategorical(slot) }
                let value = try checkedText(b, column, name: false)
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
        if unitIDColumn >= 0 {
            let (start, end) = fields.content(unitIDColumn)
            noteUnitID(b, start, end)
        }
    }

    /// Records a row's unit id as Spark hashes it (`xxhash64`), 0 when empty: one key per row,
    /// so the split can place the unit as the Spark job does (TLearnerSplit).
    @inline(__always)
    mutating func noteUnitID(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) {
        guard end > start else {
            unitIDHashes.append(0)
            return
        }
        let hash = XXHash64.hash(
            UnsafeRawBufferPointer(start: b.baseAddress.map { $0 + start }, count: end - start),
            seed: XXHash64.sparkSeed
        )
        unitIDHashes.append(hash == 0 ? 1 : hash)
    }

    /// Rows whose unit id repeats one read before them.
    var duplicateUnitIDs: Int {
        guard unitIDHashes.count > 1 else { return 0 }
        let sorted = unitIDHashes.filter { $0 != 0 }.sorted()
        var repeats = 0
        for k in sorted.indices.dropFirst() where sorted[k] == sorted[k - 1] { repeats += 1 }
        return repeats
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

    /// How spreadsheets, pandas and R write a missing value. Such a cell is missing, like an empty
    /// one, rather than text that would turn a numeric column into categories.
    static let missingTokens = Set(DataManifest.builtInMissingValues.filter { !$0.isEmpty })

    /// Whether bytes start..<end are one of `missingTokens` (checked only for short fields that
    /// begin with N, n or #, so numbers and ordinary text pay one comparison).
    @inline(__always)
    static func isMissingToken(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        guard end - start <= 4, end > start else { return false }
        let first = b[start]
        guard first == UInt8(ascii: "N") || first == UInt8(ascii: "n") || first == UInt8(ascii: "#") else {
            return false
        }
        return missingTokens.contains(String(decoding: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self))
    }

    /// The built-in tokens, and the manifest's `missing_values` (whitespace around a cell ignored).
    @inline(__always)
    func isMissingToken(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        if Self.isMissingToken(b, start, end) { return true }
        guard !manifest.missingValues.isEmpty, end - start <= 64 else { return false }
        let cell = String(decoding: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self)
        return manifest.missingValues.contains(cell.trimmingCharacters(in: .whitespaces))
    }

    mutating func readHeader(_ b: UnsafeBufferPointer<UInt8>) throws(InputError) {
        header = []
        for k in 0..<fields.count { header.append(try checkedText(b, k).trimmingCharacters(in: .whitespaces)) }
        // A spreadsheet export starts with a UTF-8 byte-order mark: not part of the first name.
        if let first = header.first, first.hasPrefix("\u{FEFF}") {
            header[0] = String(first.dropFirst()).trimmingCharacters(in: .whitespaces)
        }
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
        unitIDColumn = unitID
        for name in manifest.ignoredColumns where !header.contains(name) {
            throw error(
                name,
                "is listed under ignore_columns but is not in the header",
                fix: "correct the name in the manifest"
            )
        }
        var guardrailColumns: [Int] = []
        for guardrail in manifest.guardrails {
            guard let index = header.firstIndex(of: guardrail.column) else {
                throw error(
                    guardrail.column,
                    "is named as a guardrail in the manifest but is not in the header",
                    fix: "correct outcomes.guardrails[].column in the manifest, or add the column"
                )
            }
            guardrailColumns.append(index)
        }
        // Guardrails are read like numeric covariates, in the last slots, and taken out of the
        // features in `finish`: an outcome must never be a covariate the policy splits on.
        covariateColumns =
            header.indices.filter {
                ![armColumn, outcomeColumn, propensityColumn, unitID].contains($0)
                    && !manifest.ignoredColumns.contains(header[$0]) && !guardrailColumns.contains($0)
            } + guardrailColumns
        categories = Array(repeating: nil, count: covariateColumns.count)
        rowValues = Array(repeating: 0, count: covariateColumns.count)
        for column in header.indices where column < FieldSpans.capacity { fields.kinds[column] = FieldSpans.skipRole }
        for (slot, column) in covariateColumns.enumerated() where column < FieldSpans.capacity {
            fields.kinds[column] = slot
        }
        fields.kinds[armColumn] = FieldSpans.armRole
        fields.kinds[outcomeColumn] = FieldSpans.outcomeRole
        if propensityColumn >= 0 { fields.kinds[propensityColumn] = FieldSpans.propensityRole }
        if unitID >= 0 && unitID < FieldSpans.capacity { fields.kinds[unitID] = FieldSpans.unitRole }
        if expectedRows > 0 {
            raw.reserveCapacity(expectedRows * covariateColumns.count)
            arms.reserveCapacity(expectedRows)
            if unitIDColumn >= 0 { unitIDHashes.reserveCapacity(expectedRows) }
            outcomes.reserveCapacity(expectedRows)
            propensities.reserveCapacity(expectedRows)
        }
    }

    /// The columns read, through the checks every drop passes (`DataDropValidation`).
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
        let guardrails = try takeGuardrails()
        let (features, names) = featureMatrix()
        return try DataDropValidation.validate(
            DataDropColumns(
                path: path,
                armNames: armTable.names,
                arms: arms,
                outcomes: outcomes,
                propensities: propensityColumn >= 0 ? propensities : nil,
                features: features,
                covariateNames: names,
                covariateEncoding: covariateColumns.indices.map {
                    CovariateEncoding(column: header[covariateColumns[$0]], categories: categories[$0]?.names)
                },
                armColumn: header[armColumn],
                outcomeColumn: header[outcomeColumn],
                rowsRead: rowsRead,
                rowsDropped: rowsDropped,
                droppedLines: droppedLines,
                duplicateUnitIDs: duplicateUnitIDs,
                unitKeys: unitIDColumn >= 0 ? unitIDHashes : nil,
                bytesRead: bytesRead,
                guardrails: guardrails
            ),
            manifest: manifest,
            limits: limits
        )
    }
}

extension CSVColumnParser {
    /// The guardrail columns (the last covariate slots), taken out of `raw`: their values as read
    /// and how many cells of each were missing. A row missing any outcome is dropped, as a row
    /// missing the primary one is, so every outcome is measured on the same units.
    mutating func takeGuardrails() throws(InputError) -> [DataDropColumns.GuardrailColumn] {
        let count = manifest.guardrails.count
        guard count > 0 else { return [] }
        let width = covariateColumns.count
        let first = width - count
        for g in 0..<count {
            if let codes = categories[first + g] {
                throw error(
                    manifest.guardrails[g].column,
                    "a guardrail outcome holds text ('\(InputError.excerpt(codes.names.first ?? ""))')",
                    fix:
                        "a guardrail must be a number in every row (0/1 for a yes/no outcome); leave a cell empty when it is missing",
                    line: nil
                )
            }
        }
        let rows = arms.count
        var values = [[Double]](repeating: [], count: count)
        var missing = [Int](repeating: 0, count: count)
        var keep = [Bool](repeating: true, count: rows)
        for r in 0..<rows {
            for g in 0..<count where raw[r * width + first + g].isNaN {
                missing[g] += 1
                keep[r] = false
            }
        }
        let dropped = keep.lazy.filter { !$0 }.count
        var kept: [Float] = []
        kept.reserveCapacity((rows - dropped) * first)
        var keptArms: [Int] = []
        var keptOutcomes: [Double] = []
        var keptPropensities: [Double] = []
        var keptKeys: [UInt64] = []
        for r in 0..<rows where keep[r] {
            for g in 0..<count { values[g].append(Double(raw[r * width + first + g])) }
            kept.append(contentsOf: raw[(r * width)..<(r * width + first)])
            keptArms.append(arms[r])
            keptOutcomes.append(outcomes[r])
            if r < propensities.count { keptPropensities.append(propensities[r]) }
            if r < unitIDHashes.count { keptKeys.append(unitIDHashes[r]) }
        }
        unitIDHashes = keptKeys
        raw = kept
        arms = keptArms
        outcomes = keptOutcomes
        propensities = keptPropensities
        rowsDropped += dropped
        covariateColumns.removeLast(count)
        categories.removeLast(count)
        return (0..<count).map {
            .init(column: manifest.guardrails[$0].column, values: values[$0], missingCells: missing[$0])
        }
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
