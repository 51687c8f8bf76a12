import AdvisorFormats
import AdvisorReports
import Foundation
import Glibc

/// The spool's layout and every file operation on it.
///
/// ```
/// SPOOL/incoming/            producers rename finished files in here
/// SPOOL/reports/EXPERIMENT/  STAMP-prediction.{json,txt} and STAMP-verdict.{json,txt} (one set per report)
/// SPOOL/archive/             inputs that produced a report, kept as STAMP-NAME
/// SPOOL/rejected/            bad inputs (STAMP-NAME) and STAMP-NAME.error.txt beside each
/// ```
/// Reports are written atomically (temporary file, fsync, rename, fsync of the directory) and
/// an input is moved out of `incoming/` only after its report is durable; the ledger (outside the
/// spool) records each step, so a restart after a crash at any point finishes or undoes it.
public struct SpoolDirectory: Sendable {
    public let root: String
    public var incoming: String { root + "/incoming" }
    public var reports: String { root + "/reports" }
    /// `reports/index.html`: every experiment and the track record, rewritten after each report.
    public var index: String { reports + "/" + ProposalFile.reportIndexName }
    public var archive: String { root + "/archive" }
    public var rejected: String { root + "/rejected" }

    public init(root: String) {
        var trimmed = root
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.root = trimmed
    }

    /// Removes the temporaries (`.NAME.tmp`) a write interrupted by a kill left in the spool root,
    /// `reports/` (the index), `reports/EXPERIMENT/` and `rejected/`: they are never renamed into
    /// place after a restart, and would otherwise stay forever. Returns their paths.
    @discardableResult
    public func removeStaleTemporaries() -> [String] {
        var directories = [root, rejected, archive, reports]
        if let experiments = try? Self.names(in: reports) {
            directories += experiments.map { reports + "/" + $0 }
        }
        var removed: [String] = []
        for directory in directories {
            guard let names = try? Self.names(in: directory) else { continue }
            for name in names where name.hasPrefix(".") && name.hasSuffix(".tmp") {
                let path = directory + "/" + name
                var info = stat()
                guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR else { continue }
                if unlink(path) == 0 { removed.append(path) }
            }
        }
        return removed
    }

    /// Creates the four directories (and the root) if missing.
    public func create() throws(SpoolError) {
        for directory in [root, incoming, reports, archive, rejected] {
            try Self.makeDirectory(directory)
        }
    }

    /// A file waiting in `incoming/`.
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var size: Int
        public var modified: Date
        /// What the name is (by lstat: a link is never followed). Only regular files are read;
        /// anything else is rejected, so it is answered instead of sitting in incoming/ forever.
        public var kind: Kind = .regular

        public init(name: String, size: Int, modified: Date, kind: Kind = .regular) {
            self.name = name
            self.size = size
            self.modified = modified
            self.kind = kind
        }

        public enum Kind: String, Sendable, Hashable {
            case regular = "a regular file"
            case symbolicLink = "a symbolic link"
            case fifo = "a named pipe (FIFO)"
            case directory = "a directory"
            case socket = "a socket"
            case device = "a device"
            /// A regular file with more than one name: another name could change it under the reader.
            case hardLink = "a file with several hard links"

            init(mode: mode_t, links: Int) {
                switch mode & S_IFMT {
                case S_IFREG: self = links > 1 ? .hardLink : .regular
                case S_IFLNK: self = .symbolicLink
                case S_IFIFO: self = .fifo
                case S_IFDIR: self = .directory
                case S_IFSOCK: self = .socket
                default: self = .device
                }
            }
        }
    }

    /// Files in `incoming/` a producer may still be writing: dotfiles and `*.part`/`*.tmp`
    /// (write-then-rename), editor backups. They are never taken.
    public static func isInProgressName(_ name: String) -> Bool {
        name.hasPrefix(".") || name.hasSuffix(".part") || name.hasSuffix(".tmp") || name.hasSuffix("~")
    }

    /// Entries in `incoming/` that are not in-progress names, oldest first: regular files, and
    /// anything else (links, pipes, directories) with its kind, to be rejected.
    public func pendingEntries() throws(SpoolError) -> [Entry] {
        let names = try Self.names(in: incoming, repairing: true)
        let entries = names.filter { !Self.isInProgressName($0) }.compactMap(entry(named:))
        return entries.sorted { ($0.modified, $0.name) < ($1.modified, $1.name) }
    }

    /// The entry `name` of `incoming/` by lstat, nil when it is gone.
    public func entry(named name: String) -> Entry? {
        var info = stat()
        guard lstat(incoming + "/" + name, &info) == 0 else { return nil }
        return Entry(
            name: name,
            size: Int(info.st_size),
            modified: Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9),
            kind: Entry.Kind(mode: info.st_mode, links: Int(info.st_nlink))
        )
    }

    /// Directory entries by readdir(3), so a failure keeps its errno for the error message.
    /// `repairing`: names that are not UTF-8 are renamed (`repairedName`); else skipped.
    static func names(in directory: String, repairing: Bool = false) throws(SpoolError) -> [String] {
        guard let handle = opendir(directory) else { throw SpoolError("list the directory", path: directory) }
        defer { closedir(handle) }
        var names: [String] = []
        var invalid: [[UInt8]] = []
        while let entry = readdir(handle) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            guard let name = String(validating: bytes, as: UTF8.self) else {
                invalid.append(bytes)
                continue
            }
            if name != "." && name != ".." { names.append(name) }
        }
        // Renamed after the listing: an entry renamed during readdir may be listed again.
        if repairing { names += invalid.compactMap { repairedName($0, in: directory) } }
        return names
    }

    /// A name that is not UTF-8 (a Latin-1 "café.yaml") cannot be held in a String, so it could be
    /// neither opened nor answered: it is renamed in place to its bytes with each invalid one as
    /// `%XX` ("caf%E9.yaml"), and processed under that name. Dotfiles (in progress) are left alone.
    static func repairedName(_ bytes: [UInt8], in directory: String) -> String? {
        guard bytes.first != UInt8(ascii: ".") else { return nil }
        var repaired = ""
        var rest = bytes[...]
        while !rest.isEmpty {
            var iterator = rest.makeIterator()
            var decoder = UTF8()
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                repaired.unicodeScalars.append(scalar)
                rest = rest.dropFirst(UTF8.width(scalar))
            case .error, .emptyInput:
                repaired += String(format: "%%%02X", rest[rest.startIndex])
                rest = rest.dropFirst()
            }
        }
        var candidate = repaired
        var n = 1
        var info = stat()
        while lstat(directory + "/" + candidate, &info) == 0 {
            n += 1
            candidate = repaired + "-\(n)"
        }
        let source = Array((directory + "/").utf8) + bytes + [0]
        let renamed = source.withUnsafeBufferPointer { from in
            from.withMemoryRebound(to: CChar.self) { path in
                path.baseAddress.map { rename($0, directory + "/" + candidate) } ?? -1
            }
        }
        return renamed == 0 ? candidate : nil
    }

    /// The directory and an unused name (the stamp, or STAMP-2, …) for a report of
    /// `experiment` whose renditions end in `suffixes`; creates the directory.
    public func reportBase(
        experiment: String,
        stamp: String,
        suffixes: [String]
    ) throws(SpoolError)
        -> (directory: String, base: String)
    {
        let directory = reports + "/" + experiment
        try Self.makeDirectory(directory)
        return (directory, uniqueBase(in: directory, stamp, extensions: suffixes))
    }

    /// Writes every rendition under `directory/base`; returns their paths in the same order. Each
    /// file is durable before one directory sync covers the renames.
    public func writeReport(
        directory: String,
        base: String,
        renditions: [ReportRendition]
    ) throws(SpoolError)
        -> [String]
    {
        var paths: [String] = []
        for (index, rendition) in renditions.enumerated() {
            let path = directory + "/" + base + rendition.suffix
            try Self.writeAtomically(rendition.contents, to: path, syncDirectory: index == renditions.count - 1)
            paths.append(path)
        }
        return paths
    }

    /// Where a processed input goes in `archive/` (an unused name that fits).
    public func archiveTarget(_ name: String, stamp: String) -> String {
        archive + "/" + uniqueBase(in: archive, "\(stamp)-\(name)", extensions: [""])
    }

    /// Where a rejected input and its error file go in `rejected/`.
    public func rejectTargets(_ name: String, stamp: String) -> (input: String, error: String) {
        let base = rejected + "/" + uniqueBase(in: rejected, "\(stamp)-\(name)", extensions: ["", ".error.txt"])
        return (base, base + ".error.txt")
    }

    /// Writes an error file (durably; never through a link).
    public func writeErrorFile(_ explanation: String, to path: String) throws(SpoolError) {
        try Self.writeAtomically(explanation, to: path)
    }

    /// Moves `name` from `incoming/` to `target` (in archive/ or rejected/), durably on both sides.
    public func moveInput(_ name: String, to target: String) throws(SpoolError) {
        try Self.move(incoming + "/" + name, to: target, directory: (target as NSString).deletingLastPathComponent)
    }

    /// Where a companion (a data drop's manifest) goes beside its drop, if it is still in incoming/.
    public func companionTarget(_ name: String, in directory: String, stamp: String) -> String? {
        guard FileManager.default.fileExists(atPath: incoming + "/" + name) else { return nil }
        return directory + "/" + uniqueBase(in: directory, "\(stamp)-\(name)", extensions: [""])
    }

    /// Whether `name` is still in `incoming/` (by lstat: a link counts as itself).
    public func isWaiting(_ name: String) -> Bool {
        var info = stat()
        return lstat(incoming + "/" + name, &info) == 0
    }

    /// `base`, or `base-2`, `base-3`, … so that no existing file is ever replaced.
    func uniqueBase(in directory: String, _ base: String, extensions: [String]) -> String {
        let fitted = Self.fitting(base, reserve: (extensions.map(\.utf8.count).max() ?? 0) + 8)
        var candidate = fitted
        var n = 1
        while extensions.contains(where: { FileManager.default.fileExists(atPath: directory + "/" + candidate + $0) }) {
            n += 1
            candidate = "\(fitted)-\(n)"
        }
        return candidate
    }

    /// `name` shortened to fit a file name (255 bytes) with `reserve` bytes to spare: its start
    /// (the stamp) and its end (the original extension) kept, "…" between, cut on character
    /// boundaries. A name of 235–255 bytes plus the stamp would otherwise make every rename fail
    /// (ENAMETOOLONG) and the input be processed again on every scan.
    static func fitting(_ name: String, reserve: Int) -> String {
        let limit = 255 - reserve
        guard name.utf8.count > limit else { return name }
        let marker = "…"
        var head = ""
        var tail = ""
        let headBudget = (limit - marker.utf8.count) / 2
        let tailBudget = limit - marker.utf8.count - headBudget
        for character in name {
            if head.utf8.count + String(character).utf8.count > headBudget { break }
            head.append(character)
        }
        for character in name.reversed() {
            if tail.utf8.count + String(character).utf8.count > tailBudget { break }
            tail.insert(character, at: tail.startIndex)
        }
        return head + marker + tail
    }

    static func makeDirectory(_ path: String) throws(SpoolError) {
        // No setgid bit in the mode: RestrictSUIDSGID= in the unit makes such a mkdir fail with
        // EPERM (even for an existing directory). Inside the setgid spool that tmpfiles.d creates,
        // new directories inherit the group and the bit from their parent anyway.
        if mkdir(path, 0o775) == 0 {
            // The new entry itself must survive a power cut, or the reports written into it
            // would vanish with it on a file system that does not order metadata (ext4 does).
            syncDirectory((path as NSString).deletingLastPathComponent)
        } else if errno != EEXIST {
            throw SpoolError("create the directory", path: path)
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw SpoolError("use it as a directory", path: path, code: ENOTDIR)
        }
    }

    /// Where `writeAtomically` writes `path` before renaming it into place.
    static func temporaryPath(for path: String) -> String {
        (path as NSString).deletingLastPathComponent + "/." + (path as NSString).lastPathComponent + ".tmp"
    }

    /// Removes what an interrupted write of `paths` may have left: the files, and their temporaries.
    public func removePartial(_ paths: [String]) {
        for path in paths {
            unlink(path)
            unlink(Self.temporaryPath(for: path))
        }
    }

    /// Temporary file in the same directory, fsync, rename over the target, fsync the directory.
    /// `durable: false` skips both syncs (still atomic for readers); `syncDirectory: false` leaves
    /// the directory sync to the caller, who batches renames.
    static func writeAtomically(
        _ text: String,
        to path: String,
        durable: Bool = true,
        syncDirectory syncsDirectory: Bool = true
    ) throws(SpoolError) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = temporaryPath(for: path)
        // Never through whatever already has the name: a stale temporary, or a link planted in a
        // group-writable directory to make the daemon overwrite its target. unlink removes a link
        // itself; O_EXCL | O_NOFOLLOW then refuses anything planted again in between.
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o664)
        guard fd >= 0 else { throw SpoolError("create a file in", path: directory) }
        let bytes = Array(text.utf8)
        var written = 0
        let writeError: Int32? = bytes.withUnsafeBytes { buffer in
            while written < buffer.count, let base = buffer.baseAddress {
                let n = write(fd, base + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += n
            }
            return !durable || fsync(fd) == 0 ? nil : errno
        }
        close(fd)
        if let code = writeError {
            unlink(temporary)
            throw SpoolError("write", path: temporary, code: code)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw SpoolError("rename into place", path: path, code: code)
        }
        if durable && syncsDirectory { syncDirectory(directory) }
    }

    /// Renames `source` to `target` (in `directory`) and makes both sides durable: the new name,
    /// and the old one's removal, so after a power cut the file is in one place, not two or none.
    static func move(_ source: String, to target: String, directory: String) throws(SpoolError) {
        guard rename(source, target) == 0 else { throw SpoolError("move \(source) to", path: target) }
        syncDirectory(directory)
        let origin = (source as NSString).deletingLastPathComponent
        if origin != directory { syncDirectory(origin) }
    }

    /// Makes a rename durable. Best effort: a filesystem without directory fsync still renamed.
    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
