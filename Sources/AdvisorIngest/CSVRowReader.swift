import AdvisorFormats
import Foundation

/// A CSV file (plain or gzip) row by row, in bounded memory: what `assign` reads new units
/// with, where the data-drop reader would hold every column of a file that may not fit. Quoted
/// fields (commas, doubled quotes, newlines), CRLF line ends and a UTF-8 byte-order mark are read
/// as the data-drop reader reads them; a row longer than `maxRowBytes` is an error, not a buffer
/// that grows without end.
public final class CSVRowReader {
    public let path: String
    let file: GzipFile
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var count = 0
    var position = 0
    var finished = false
    /// The line the next row starts on (1 = the header).
    public private(set) var line = 1
    /// The line the row `next` returned last started on: an error about that row names it,
    /// whether or not the row ended in a newline or spanned lines in quotes.
    public private(set) var rowLine = 0
    let maxRowBytes: Int

    public init(path: String, maxRowBytes: Int = 1 << 20) throws(InputError) {
        self.path = path
        self.maxRowBytes = maxRowBytes
        do {
            file = try GzipFile(path: path)
        } catch {
            throw CSVDataFile.cannotOpen(path, reason: error.message)
        }
    }

    /// Refills the buffer; false at the end of the file.
    func fill() throws(InputError) -> Bool {
        if finished { return false }
        do {
            count = try file.read(into: &buffer, at: 0, count: buffer.count)
        } catch {
            throw InputError(
                file: path,
                field: nil,
                line: line,
                problem: "cannot be read to the end (\(error.message))",
                fix: "check that the file is complete; a .gz file must be a whole gzip stream"
            )
        }
        position = 0
        if count == 0 { finished = true }
        return count > 0
    }

    /// The next row's fields, or nil at the end of the file. A byte-order mark before the
    /// header (spreadsheet exports) is not part of its first name.
    public func next() throws(InputError) -> [String]? {
        let startLine = line
        guard var fields = try nextRow() else { return nil }
        rowLine = startLine
        if startLine == 1, let first = fields.first, first.hasPrefix("\u{FEFF}") {
            fields[0] = String(first.dropFirst())
        }
        return fields
    }

    func nextRow() throws(InputError) -> [String]? {
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var afterQuote = false
        var rowBytes = 0
        var sawAnything = false
        let startLine = line
        while true {
            if position >= count {
                guard try fill() else {
                    if quoted {
                        throw InputError(
                            file: path,
                            field: nil,
                            line: startLine,
                            problem: "a quoted field is never closed",
                            fix: "close every quote, doubling quotes inside a field (\"\")"
                        )
                    }
                    if !sawAnything { return nil }
                    fields.append(String(decoding: field, as: UTF8.self))
                    return fields
                }
            }
            let byte = buffer[position]
            position += 1
            rowBytes += 1
            sawAnything = true
            if rowBytes > maxRowBytes {
                throw InputError(
                    file: path,
                    field: nil,
                    line: startLine,
                    problem: "a row is longer than \(maxRowBytes) bytes",
                    fix: "check the file is a CSV with one unit per line"
                )
            }
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    quoted = false
                    afterQuote = true
                } else {
                    if byte == 10 { line += 1 }
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                if afterQuote { field.append(byte) }  // a doubled quote inside a quoted field
                quoted = true
                afterQuote = false
            case UInt8(ascii: ","):
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                afterQuote = false
            case 10:
                line += 1
                if field.last == 13 { field.removeLast() }
                fields.append(String(decoding: field, as: UTF8.self))
                return fields
            default:
                field.append(byte)
                afterQuote = false
            }
        }
    }
}
