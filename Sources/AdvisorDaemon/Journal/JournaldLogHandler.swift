import CSystemd
import Foundation
import Logging

/// A swift-log handler that writes each entry to the systemd journal through libsystemd's
/// `sd_journal_sendv`, with metadata as structured fields (names made valid by
/// `JournalFieldName`). If the journal refuses an entry (no socket, journald gone), the entry
/// goes to standard error instead, so nothing is lost silently.
public struct JournaldLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let identifier: String
    private let fallback: StreamLogHandler

    /// `identifier` becomes SYSLOG_IDENTIFIER, which `journalctl -t` and `-u` output show.
    public init(label: String, identifier: String = "experiment-advisor") {
        self.label = label
        self.identifier = identifier
        self.fallback = StreamLogHandler.standardError(label: label)
    }

    /// Whether this machine has a journal socket to write to.
    public static var isJournalAvailable: Bool {
        FileManager.default.fileExists(atPath: "/run/systemd/journal/socket")
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }

        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(Self.priority(event.level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(event.file)",
            "CODE_LINE=\(event.line)",
            "CODE_FUNC=\(event.function)",
        ]
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            fields.append("\(JournalFieldName.journalName(key))=\(Self.text(value))")
        }
        if Self.send(fields) < 0 {
            fallback.log(event: event)
        }
    }

    /// syslog priorities as journald stores them (`PRIORITY=4` is warning).
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): s
        case .stringConvertible(let c): c.description
        case .array, .dictionary: value.description
        }
    }

    /// One `sd_journal_sendv` call with one iovec per "FIELD=value" string. The strings are laid
    /// out in one buffer so every iovec points into memory that lives for the whole call. Values
    /// may hold newlines: libsystemd switches to the binary-safe field format by itself.
    private static func send(_ fields: [String]) -> Int32 {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = bytes.count
            bytes.append(contentsOf: field.utf8)
            ranges.append(start..<bytes.count)
        }
        return bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return -1 }
            let vectors = ranges.map { iovec(iov_base: base + $0.lowerBound, iov_len: $0.count) }
            return sd_journal_sendv(vectors, Int32(vectors.count))
        }
    }
}
