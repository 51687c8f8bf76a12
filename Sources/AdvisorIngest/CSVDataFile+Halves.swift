import AdvisorFormats
import AdvisorModel
import Dispatch
import Foundation

extension CSVDataFile {
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
            throw cannotOpen(path, reason: String(cString: strerror(errno)))
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
                let count = try feed(&half.parser, path: path, limits: limits, prefix: k == 1 ? headerBytes : []) {
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

extension CSVColumnParser {
    /// Appends the rows another parser read from the rest of the same file: arm labels and
    /// text categories are matched by name and recoded; line numbers move by `lineOffset`.
    mutating func append(_ other: CSVColumnParser, lineOffset: Int) throws(InputError) {
        unitIDHashes += other.unitIDHashes
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
}
