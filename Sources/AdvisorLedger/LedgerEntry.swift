import Foundation
import GRDB

/// One input's row in the ledger: what it was, how often it was started, and what became of it.
public struct LedgerEntry: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "inputs"

    public enum State: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
        /// `started`: the daemon has it; `working`: a worker process has it (a death of the daemon
        /// then is not the input's doing, and is not counted against it).
        case started, working, writing, written, abandoned
        case archived, rejected, replaced, vanished

        /// States a start must look at again.
        public static let unfinished: [State] = [.started, .working, .writing, .written, .abandoned]
    }

    public enum Outcome: String, Codable, Sendable, DatabaseValueConvertible {
        case prediction, verdict, rejected
    }

    public var id: Int64?
    /// The name in incoming/, exactly as the producer gave it.
    public var name: String
    /// "proposals" or "analyses".
    public var lane: String
    public var size: Int64
    /// `crc32:XXXXXXXX` of the bytes: tells a file replaced under the same name from the one the
    /// row is about.
    public var contentHash: String
    public var firstSeen: Date
    /// Starts of this input; only a start that ended with the daemon dying is followed by another.
    public var attempts: Int = 1
    public var state: State = .started
    public var stamp: String?
    public var experiment: String?
    public var outcome: Outcome?
    /// The report set's files (the JSON first) or the error file.
    public var files: [String] = []
    /// Where the input goes: archive/STAMP-NAME or rejected/STAMP-NAME.
    public var destination: String?
    /// A data drop's manifest and where it goes with the drop.
    public var companion: String?
    public var companionDestination: String?
    /// The decision's key figures (gain, verdict, policy), for `history`.
    public var figures: [String: String] = [:]
    /// A rejection's reason.
    public var error: String?
    public var finishedAt: Date?

    public init(name: String, lane: String, size: Int64, contentHash: String, firstSeen: Date) {
        self.name = name
        self.lane = lane
        self.size = size
        self.contentHash = contentHash
        self.firstSeen = firstSeen
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
