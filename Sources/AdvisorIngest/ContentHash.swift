import CZlib
import Foundation

/// A file's identity for the ledger: zlib's CRC-32 of its bytes, as `crc32:XXXXXXXX`. The ledger
/// needs to tell "the file this row is about" from "another file renamed over it", not to resist
/// forgery (producers can write the spool anyway), and zlib is already linked for gzip drops; a
/// cryptographic hash would add a package for nothing here.
public enum ContentHash {
    /// Nil when the file cannot be read (it vanished, or is not a regular file).
    public static func ofFile(atPath path: String) -> String? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var crc = crc32(0, nil, 0)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            crc = buffer.withUnsafeBytes { crc32(crc, $0.bindMemory(to: Bytef.self).baseAddress, uInt(n)) }
        }
        return "crc32:" + String(format: "%08x", UInt32(truncatingIfNeeded: crc))
    }
}
