import AdvisorLedger
import Glibc

/// A failure of the spool itself (not of an input): a directory that cannot be created, a
/// report that cannot be written. At start these are fatal (systemd restarts the service);
/// while processing, the input stays in `incoming/` and is retried at the next scan.
public struct SpoolError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var code: Int32
    /// A failure that is not an errno (the ledger's): its own words and fix.
    var ledger: LedgerError?

    init(_ operation: String, path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    init(_ error: LedgerError) {
        self.init("use the ledger", path: error.path, code: 0)
        ledger = error
    }

    public var description: String {
        if let ledger { return "\(ledger.path) \(ledger.problem). Fix: \(ledger.fix)" }
        let reason = String(cString: strerror(code))
        let fix: String
        switch code {
        case EACCES, EPERM, EROFS:
            fix = "give the service user write access to it (the unit's ReadWritePaths= and tmpfiles.d entry)"
        case ENOSPC, EDQUOT: fix = "free space on that filesystem"
        case ENOENT: fix = "check that the spool directory exists, or let the daemon create it"
        default: fix = "check the path and the filesystem"
        }
        return "\(path): cannot \(operation) (\(reason)). Fix: \(fix)"
    }
}
