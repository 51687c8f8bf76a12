import CZlib
import Foundation

/// A file read through zlib: gzip-compressed or plain, transparently. Owned and closed here;
/// no zlib handle leaves this type.
final class GzipFile {
    private let handle: gzFile

    /// Opens `path`; throws with the system's reason (gzopen sets errno when open(2) fails, and
    /// leaves it 0 only when zlib itself could not allocate).
    init(path: String) throws(GzipError) {
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
            throw GzipError(message: message)
        }
        return Int(n)
    }

    struct GzipError: Error {
        var message: String
    }
}
