import Foundation
import GRDB

/// The daemon's memory of every input: one row per input in a SQLite file (WAL, synchronous=FULL)
/// in the state directory, never in the group-writable spool.
///
/// An input's row moves through its states in the order its files become durable:
///
/// ```
/// started | working ──▶ writing ──▶ written ──▶ archived | rejected
///   (the daemon or      (the report set or     (every file of the set    (the input moved
///   a worker has it)     error file is being    is durable; only the      to its destination)
///                        written: paths known)  move is left)
/// ```
///
/// so a restart after a kill at any point knows what to do: `written` completes the move
/// instead of writing a second report, `writing` removes the half set and tries again, `working`
/// tries again, `started` tries again up to `max_attempts` starts in all (the daemon itself died
/// with the input in hand). That is what makes processing exactly-once.
public struct Ledger: Sendable {
    public let path: String
    /// A pool (the daemon and its workers), or one read-only connection (`reading`).
    let database: any DatabaseWriter

    /// Opens (or creates) `DIRECTORY/ledger.sqlite` and brings its schema up to date.
    /// `checked: false` (a worker, which the daemon started on a ledger it checked) skips the
    /// migrations and the integrity check.
    public init(directory: String, checked: Bool = true) throws(LedgerError) {
        path = directory + "/ledger.sqlite"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw LedgerError(
                path: directory,
                problem: "the state directory could not be created (\(error.localizedDescription))",
                fix: "create it writable by the service's user, or point --state-dir / state_directory elsewhere"
            )
        }
        var configuration = Configuration()
        // Two processes write (the daemon and, with workers, its worker of the moment).
        configuration.busyMode = .timeout(30)
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            // A row the daemon acts on must survive a power cut, like the report it points to:
            // every commit synced. Set on the writer after opening, because the pool sets
            // NORMAL when it switches the file to WAL (GRDB's default for WAL mode).
            try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            if checked {
                try Self.migrator.migrate(database)
                // A damaged file can open and migrate (the schema is already there) yet fail on read.
                _ = try database.read { db in try Row.fetchOne(db, sql: "PRAGMA quick_check") }
            }
        } catch {
            throw Self.openingError(path: path, error, writing: true)
        }
    }

    /// The ledger of `directory`, opened only to read (`history`): nothing is created,
    /// migrated, checkpointed or locked for writing, so the file's size and mtime stay as they
    /// were. With no `-wal` file beside it no connection is open (SQLite removes it when the
    /// last one closes), so the file is read as immutable and SQLite needs no `-shm` either,
    /// which a reader without write access to the directory could not create; with one, the
    /// daemon is using it and the read goes through the WAL as the daemon's own reads do.
    public static func reading(directory: String) throws(LedgerError) -> Ledger {
        let path = directory + "/ledger.sqlite"
        if access(path, R_OK) != 0 {
            let code = errno
            throw code == ENOENT
                ? LedgerError(
                    path: path,
                    problem: "does not exist",
                    fix: "no input has been processed with this state directory; give the daemon's with --state-dir"
                )
                : LedgerError(path: path, problem: "cannot be read (\(String(cString: strerror(code))))", fix: readFix)
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(30)
        let live = FileManager.default.fileExists(atPath: path + "-wal")
        do {
            let queue = try DatabaseQueue(path: live ? path : immutableURI(path), configuration: configuration)
            _ = try queue.read { db in try Row.fetchOne(db, sql: "SELECT 1 FROM inputs LIMIT 1") }
            return Ledger(path: path, database: queue)
        } catch {
            throw openingError(path: path, error, writing: false)
        }
    }

    init(path: String, database: any DatabaseWriter) {
        self.path = path
        self.database = database
    }

    /// `file:PATH?immutable=1`, the path percent-encoded where a URI would read it otherwise.
    static func immutableURI(_ path: String) -> String {
        var encoded = ""
        for character in path.unicodeScalars {
            switch character {
            case "%", "?", "#": encoded += String(format: "%%%02X", character.value)
            default: encoded.unicodeScalars.append(character)
            }
        }
        return "file:\(encoded)?immutable=1"
    }

    /// What to do about a ledger that could not be read: access, never "move it aside".
    static let readFix =
        "run as a user who may read the state directory (the service's user or root, e.g. sudo -u experiment-advisor experiment-advisor history), or give --state-dir a copy; the ledger itself may be healthy"

    /// An open that failed, said for what it is: a damaged file is the only case for moving the
    /// ledger aside; a file the user may not read or write (a permission, a read-only mount) is
    /// healthy, and moving it aside would throw the history away.
    static func openingError(path: String, _ error: any Error, writing: Bool) -> LedgerError {
        openingError(
            path: path,
            code: (error as? DatabaseError)?.resultCode.primaryResultCode.rawValue,
            message: describe(error),
            writing: writing
        )
    }

    /// The same by SQLite's primary result code (nil: not an SQLite error). Opening to write,
    /// anything but a denial keeps the advice to move the file aside (the daemon cannot run on
    /// it); opening to read, only a damaged file is called one.
    static func openingError(path: String, code: Int32?, message: String, writing: Bool) -> LedgerError {
        let damaged: [ResultCode] = [.SQLITE_CORRUPT, .SQLITE_NOTADB]
        let denied: [ResultCode] = [.SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH]
        if writing, let code, denied.map(\.rawValue).contains(code) {
            return LedgerError(
                path: path,
                problem: "cannot be opened for writing (\(message))",
                fix:
                    "give the service's user write access to the file and its directory, or point --state-dir / state_directory elsewhere; the ledger itself is not damaged, keep it"
            )
        }
        if writing || code.map({ damaged.map(\.rawValue).contains($0) }) == true {
            return LedgerError(
                path: path,
                problem: "is not a usable ledger (\(message))",
                fix: writing
                    ? "move it aside (mv \(path) \(path).broken) and start again: a new ledger is created, the spool keeps every input and report, and only `history` forgets the past"
                    : "the daemon refuses it too, and its error says how to start a new one; the spool keeps every input and report"
            )
        }
        return LedgerError(path: path, problem: "cannot be read (\(message))", fix: readFix)
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        return "\(error)"
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: inputs") { db in
            try db.create(table: LedgerEntry.databaseTableName) { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("name", .text).notNull()
                t.column("lane", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("contentHash", .text).notNull()
                t.column("firstSeen", .datetime).notNull()
                t.column("attempts", .integer).notNull()
                t.column("state", .text).notNull()
                t.column("stamp", .text)
                t.column("experiment", .text)
                t.column("outcome", .text)
                t.column("files", .text).notNull()
                t.column("destination", .text)
                t.column("companion", .text)
                t.column("companionDestination", .text)
                t.column("figures", .text).notNull()
                t.column("error", .text)
                t.column("finishedAt", .datetime)
            }
            try db.create(index: "inputs_by_name", on: LedgerEntry.databaseTableName, columns: ["name", "state"])
            try db.create(index: "inputs_by_experiment", on: LedgerEntry.databaseTableName, columns: ["experiment"])
        }
        return migrator
    }

    /// The row for an input about to be started: its unfinished row (same name and content), one
    /// more attempt; else a new row. An unfinished row of the same name with other content (the
    /// producer replaced the file) is closed as `replaced`.
    /// `inWorker`: the input goes to a worker process (state `working`).
    public func begin(
        name: String,
        lane: String,
        size: Int64,
        contentHash: String,
        inWorker: Bool = false,
        now: Date = Date()
    ) throws(LedgerError) -> LedgerEntry {
        let state: LedgerEntry.State = inWorker ? .working : .started
        return try write { db in
            var existing = try LedgerEntry.filter(Column("name") == name)
                .filter(LedgerEntry.State.unfinished.map(\.rawValue).contains(Column("state")))
                .order(Column("id").desc).fetchOne(db)
            if var old = existing, old.contentHash != contentHash {
                old.state = .replaced
                old.finishedAt = now
                try old.update(db)
                existing = nil
            }
            if var entry = existing {
                entry.attempts += 1
                entry.state = state
                try entry.update(db)
                return entry
            }
            var entry = LedgerEntry(name: name, lane: lane, size: size, contentHash: contentHash, firstSeen: now)
            entry.state = state
            try entry.insert(db)
            return entry
        }
    }

    /// The files about to be written for `id` (a report set, or an error file) and where the input
    /// goes once they are durable.
    public func planned(
        _ id: Int64,
        outcome: LedgerEntry.Outcome,
        stamp: String,
        experiment: String?,
        files: [String],
        destination: String,
        companion: String? = nil,
        companionDestination: String? = nil,
        figures: [String: String] = [:],
        error: String? = nil
    ) throws(LedgerError) {
        try update(id) { entry in
            entry.state = .writing
            entry.outcome = outcome
            entry.stamp = stamp
            entry.experiment = experiment
            entry.files = files
            entry.destination = destination
            entry.companion = companion
            entry.companionDestination = companionDestination
            entry.figures = figures
            entry.error = error
        }
    }

    /// Every planned file of `id` is durable; only the move is left.
    public func written(_ id: Int64) throws(LedgerError) {
        try update(id) { $0.state = .written }
    }

    /// The input of `id` is at its destination: the row's last state.
    public func finished(_ id: Int64, now: Date = Date()) throws(LedgerError) {
        try update(id) { entry in
            entry.state = entry.outcome == .rejected ? .rejected : .archived
            entry.finishedAt = now
        }
    }

    /// Back to `started` (`working` with `inWorker`), the half-written files removed by the
    /// caller, to be tried again.
    public func restart(_ id: Int64, inWorker: Bool = false) throws(LedgerError) {
        try update(id) { entry in
            entry.state = inWorker ? .working : .started
            entry.files = []
            entry.destination = nil
            entry.companionDestination = nil
        }
    }

    /// Left in incoming/ on a graceful stop (or a spool failure): this start does not count as
    /// an attempt. Only a row still `started`: one already finished stays finished.
    public func abandoned(_ id: Int64) throws(LedgerError) {
        try update(id) { entry in
            guard entry.state == .started || entry.state == .working else { return }
            entry.state = .abandoned
            entry.attempts = max(0, entry.attempts - 1)
        }
    }

    /// The input left incoming/ by another hand (the producer removed it) before it was answered.
    public func vanished(_ id: Int64, now: Date = Date()) throws(LedgerError) {
        try update(id) { entry in
            entry.state = .vanished
            entry.finishedAt = now
        }
    }

    /// Rows not in a final state, oldest first: what a start must finish or retry.
    public func unfinished() throws(LedgerError) -> [LedgerEntry] {
        try read { db in
            try LedgerEntry.filter(LedgerEntry.State.unfinished.map(\.rawValue).contains(Column("state")))
                .order(Column("id")).fetchAll(db)
        }
    }

    public func entry(_ id: Int64) throws(LedgerError) -> LedgerEntry? {
        try read { db in try LedgerEntry.fetchOne(db, key: id) }
    }

    /// The JSON report of the newest answered proposal for `experiment`: "was there a prediction
    /// for this experiment", without scanning reports/.
    public func latestPredictionReport(experiment: String) throws(LedgerError) -> String? {
        try read { db in
            try LedgerEntry.filter(Column("experiment") == experiment)
                .filter(Column("outcome") == LedgerEntry.Outcome.prediction.rawValue)
                .filter(Column("state") == LedgerEntry.State.archived.rawValue)
                .order(Column("id").desc).fetchOne(db)
        }?.files.first { $0.hasSuffix(".json") }
    }

    /// Where the newest answered proposal of `experiment` was archived: a later data drop reads
    /// the team's threshold, baseline and sample size from it.
    public func latestProposalArchive(experiment: String) throws(LedgerError) -> String? {
        try read { db in
            try LedgerEntry.filter(Column("experiment") == experiment)
                .filter(Column("outcome") == LedgerEntry.Outcome.prediction.rawValue)
                .filter(Column("state") == LedgerEntry.State.archived.rawValue)
                .order(Column("id").desc).fetchOne(db)
        }?.destination
    }

    /// The writer's `PRAGMA synchronous` (2 is FULL), for the test that holds it.
    public func synchronousMode() throws(LedgerError) -> Int {
        try write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Every input (of `experiment`, when given), oldest first.
    public func history(experiment: String? = nil) throws(LedgerError) -> [LedgerEntry] {
        try read { db in
            var request = LedgerEntry.order(Column("id"))
            if let experiment { request = request.filter(Column("experiment") == experiment) }
            return try request.fetchAll(db)
        }
    }

    /// `experiment`'s answered rows (predictions and verdicts), the newest `limit` first: what
    /// the report index needs of it after a new report.
    public func answered(experiment: String, limit: Int) throws(LedgerError) -> [LedgerEntry] {
        try read { db in
            try LedgerEntry.filter(Column("experiment") == experiment)
                .filter(
                    [LedgerEntry.Outcome.prediction.rawValue, LedgerEntry.Outcome.verdict.rawValue].contains(
                        Column("outcome")
                    )
                )
                .order(Column("id").desc).limit(limit).fetchAll(db)
        }
    }

    /// The rejected rows, the newest `limit` first: what the report index lists of them.
    public func rejections(limit: Int) throws(LedgerError) -> [LedgerEntry] {
        try read { db in
            try LedgerEntry.filter(Column("outcome") == LedgerEntry.Outcome.rejected.rawValue)
                .order(Column("id").desc).limit(limit).fetchAll(db)
        }
    }

    func update(_ id: Int64, _ change: @escaping @Sendable (inout LedgerEntry) -> Void) throws(LedgerError) {
        try write { db in
            guard var entry = try LedgerEntry.fetchOne(db, key: id) else { return }
            change(&entry)
            try entry.update(db)
        }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) throws(LedgerError) -> T {
        do {
            return try database.write(body)
        } catch {
            throw LedgerError(path: path, problem: "could not be written (\(Self.describe(error)))", fix: Self.diskFix)
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) throws(LedgerError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw LedgerError(path: path, problem: "could not be read (\(Self.describe(error)))", fix: Self.diskFix)
        }
    }

    public static let diskFix = "check the state directory's free space and permissions; the input stays in incoming/"
}

/// A ledger that cannot be opened, read or written: the file, what went wrong, what to do.
public struct LedgerError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var problem: String
    public var fix: String

    public init(path: String, problem: String, fix: String) {
        self.path = path
        self.problem = problem
        self.fix = fix
    }

    public var description: String { "\(path) \(problem); \(fix)" }
}
