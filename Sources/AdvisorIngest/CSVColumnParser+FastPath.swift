extension CSVColumnParser {
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
            if kind == FieldSpans.armRole || kind == FieldSpans.skipRole || kind == FieldSpans.unitRole {
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
                } else if kind == FieldSpans.unitRole {
                    row.idStart = fieldStart
                    row.idEnd = i
                }
            } else {
                let c = b[i]
                if c == comma || c == newline || c == ret {
                    guard kind >= 0 else { return nil }  // no outcome or propensity
                    values[kind] = .nan
                } else {
                    guard
                        let x = DecimalParser.shortDecimal(b, &i, powers: powers)
                            ?? DecimalParser.plainDecimal(b, &i, Int.max, powers: powers)
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
}
