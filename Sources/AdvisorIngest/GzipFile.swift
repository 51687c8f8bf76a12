import CZlib

/// A file read through zlib: gzip-compressed or plain, transparently. Owned and closed here;
/// no zlib handle leaves this type.
final class GzipFile {
    private let handle: gzFile

    init?(path: String) {
        guard let handle = gzopen(path, "rb") else { return nil }
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
            throw GzipError(message: message)
        }
        return Int(n)
    }

    struct GzipError: Error {
        var message: String
    }
}
