import AdvisorFormats
import AdvisorModel
import Foundation

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
        let file: GzipFile
        do {
            file = try GzipFile(path: path)
        } catch {
            throw Self.cannotOpen(path, reason: error.message)
        }
        var parser = CSVColumnParser(path: path, manifest: manifest, limits: limits)
        let consumed = { file.compressedOffset }
        let total = try feed(&parser, path: path, limits: limits, compressedSoFar: consumed) {
            (buffer: inout [UInt8], offset, count) throws(InputError) -> Int in
            do throws(GzipFile.GzipError) {
                return try file.read(into: &buffer, at: offset, count: count)
            } catch {
                throw InputError(
                    file: path,
                    field: nil,
                    problem: "cannot be read to the end (\(error.message))",
                    fix: "check that the file is complete and really gzip-compressed (gzip FILE.csv makes FILE.csv.gz)"
                )
            }
        }
        return try parser.finish(bytesRead: total)
    }

    /// Streams bytes from `read` through `parser` in 1 MiB reads; returns the byte count. Stops
    /// early (with the limit's name and fix) when the text passes `maxUncompressedBytes`, inflates
    /// more than `maxCompressionRatio` times the compressed bytes consumed so far
    /// (`compressedSoFar`; nil for plain text), or holds a line over `maxRowBytes`, so no input
    /// grows the reader's memory past those bounds. The ratio is of what was read so far, not of
    /// the whole file: against the whole file's size, a bomb of valid rows is only caught after
    /// it inflated to `maxCompressionRatio` times that size (4 GiB from 20 MB), too late.
    static func feed(
        _ parser: inout CSVColumnParser,
        path: String,
        limits: IngestLimits = IngestLimits(),
        compressedSoFar: (() -> Int)? = nil,
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
            if filled + DecimalParser.slack >= buffer.count {
                guard filled <= limits.maxRowBytes else {
                    throw InputError(
                        file: path,
                        field: nil,
                        problem:
                            "line \(parser.line + 1) is longer than max_row_bytes (\(limits.maxRowBytes) bytes) without ending",
                        fix:
                            "check that the file is a CSV with one unit per line (a missing newline or an unclosed quote reads as one endless line), or raise analysis.max_row_bytes"
                    )
                }
                buffer += [UInt8](repeating: 0, count: buffer.count)
            }
            let n = try read(&buffer, filled, buffer.count - filled - DecimalParser.slack)
            total += n
            guard total <= limits.maxUncompressedBytes else {
                throw InputError(
                    file: path,
                    field: nil,
                    problem:
                        "the text passes max_uncompressed_bytes (\(limits.maxUncompressedBytes) bytes) and was not read further",
                    fix: "split the drop into smaller files, or raise analysis.max_uncompressed_bytes"
                )
            }
            if total > limits.ratioCheckBytes, let consumed = compressedSoFar?(), consumed > 0,
                total / consumed > limits.maxCompressionRatio
            {
                throw InputError(
                    file: path,
                    field: nil,
                    problem:
                        "inflates more than \(limits.maxCompressionRatio) times (its first \(consumed) compressed bytes gave \(total) bytes of text: a compression bomb, not an export) and was not read further",
                    fix:
                        "drop the table itself, or raise analysis.max_compression_ratio if it really compresses that well"
                )
            }
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

    /// "cannot be opened (Permission denied)": the system's reason, so the fix can be acted on.
    static func cannotOpen(_ path: String, reason: String) -> InputError {
        InputError(
            file: path,
            field: nil,
            problem: "cannot be opened (\(reason))",
            fix: "check that the file exists and that the service's user may read it"
        )
    }
}
