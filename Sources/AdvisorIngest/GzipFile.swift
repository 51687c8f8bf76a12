import CZlib
import Foundation

/// A file read through zlib: gzip-compressed or plain, transparently. Owned and closed here;
/// no zlib handle leaves this type.
final class GzipFile {
    private let handle: gzFile
    /// The name says gzip (`.gz`): then plain bytes are an error, not read as text.
    private let mustBeCompressed: Bool
    private var checked = false

    /// Opens `path`; throws with the system's reason (gzopen sets errno when open(2) fails, and
    /// leaves it 0 only when zlib itself could not allocate).
    init(path: String) throws(GzipError) {
        mustBeCompressed = path.lowercased().hasSuffix(".gz")
        errno = 0
        guard let handle = gzopen(path, "rb") else {
            throw GzipError(
                message: errno != 0 ? String(cString: strerror(errno)) : "zlib could not allocate its state"
            )
        }
        gzbuffer(handle, 1 << 20)
        self.handle = handle
    }

    deinit { gzclose(handle) }

    /// Reads up to `count` bytes into `buffer` at `offset`; returns the count (0 at the end) or
    /// throws zlib's message (a corrupt gzip stream, a read error).
    func read(into buffer: inout [UInt8], at offset: Int, count: Int) throws(GzipError) -> Int {
        let n = buffer.withUnsafeMutableBytes { raw in
            gzread(handle, raw.baseAddress.map { $0 + offset }, UInt32(count))
        }
        if n < 0 {
            var code: Int32 = 0
            let message = gzerror(handle, &code).map { String(cString: $0) } ?? "read error"
            throw GzipError(message: code == Z_BUF_ERROR ? Self.cutShort : message)
        }
        if !checked && n > 0 {
            checked = true
            // zlib reads a file without the gzip magic number as plain bytes (gzdirect).
            if mustBeCompressed && gzdirect(handle) == 1 {
                throw GzipError(message: "the file is named .gz but is not gzip-compressed")
            }
        }
        if n == 0 {
            // At the end, zlib reports a stream cut short (no trailer, so no CRC check) as
            // Z_BUF_ERROR rather than failing the read: a truncated upload must not read as a
            // smaller sample.
            var code: Int32 = 0
            _ = gzerror(handle, &code)
            if code == Z_BUF_ERROR { throw GzipError(message: Self.cutShort) }
        }
        return Int(n)
    }

    /// Compressed bytes zlib has consumed so far (not counting read-ahead it has not inflated).
    var compressedOffset: Int { Int(gzoffset(handle)) }

    static let cutShort = "the gzip stream ends early: the file is cut short (an interrupted copy or upload)"

    struct GzipError: Error {
        var message: String
    }
}
