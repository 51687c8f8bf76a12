import Dispatch
import Glibc

/// Wakes the spool loop when something may have arrived in `incoming/`.
///
/// inotify is only a wake-up: events coalesce and the queue can overflow, so the loop rescans
/// the directory on every wake-up and never trusts an event to be complete (the dbus-broker
/// dirwatch model). The names from `IN_CLOSE_WRITE` and `IN_MOVED_TO` are passed on because
/// they tell the loop a file is finished and need not settle first; those from `IN_MODIFY`
/// (without a close since) because such a file is still open for writing, and must not be taken
/// however long its writer pauses.
final class SpoolWatcher: @unchecked Sendable {
    // @unchecked: `descriptor` is read only on `queue` (the source's handler) and closed by the
    // source's cancel handler, which Dispatch runs after the last event handler.
    private let descriptor: Int32
    private let source: any DispatchSourceRead
    private let queue = DispatchQueue(label: "experiment-advisor.inotify")

    enum Event: Sendable, Equatable {
        /// Files closed after writing, or renamed in.
        case finished([String])
        /// Files written to and not closed yet: a writer has them open, however long it pauses.
        case changing([String])
        /// The kernel dropped events: anything may have arrived.
        case overflow
        /// The directory itself was removed or moved away: the watch is gone.
        case directoryLost
    }

    init(directory: String, onEvent: @escaping @Sendable (Event) -> Void) throws(SpoolError) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw SpoolError("start watching (inotify_init1)", path: directory) }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MODIFY | IN_ONLYDIR | IN_DELETE_SELF | IN_MOVE_SELF)
        guard inotify_add_watch(fd, directory, mask) >= 0 else {
            let code = errno
            close(fd)
            throw SpoolError("watch the directory (inotify_add_watch)", path: directory, code: code)
        }
        descriptor = fd
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [fd] in
            for event in Self.drain(fd) { onEvent(event) }
        }
        source.setCancelHandler { [fd] in close(fd) }
        source.resume()
    }

    func stop() { source.cancel() }

    deinit { source.cancel() }

    /// Reads until EAGAIN and turns the raw records into events.
    private static func drain(_ fd: Int32) -> [Event] {
        var last: [String: Bool] = [:]  // name → finished (true) or still being written
        var events: [Event] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            events += parse(buffer[0..<count], into: &last)
        }
        let changing = last.filter { !$0.value }.keys.sorted()
        let finished = last.filter(\.value).keys.sorted()
        if !changing.isEmpty { events.insert(.changing(changing), at: 0) }
        if !finished.isEmpty { events.insert(.finished(finished), at: 0) }
        return events
    }

    /// `struct inotify_event { int wd; uint32_t mask, cookie, len; char name[len]; }`.
    /// `last[name]`: whether the name's latest event said finished (a close after writing, a
    /// rename in) rather than written to.
    static func parse(_ bytes: ArraySlice<UInt8>, into last: inout [String: Bool]) -> [Event] {
        let header = MemoryLayout<inotify_event>.size
        var events: [Event] = []
        var offset = bytes.startIndex
        while offset + header <= bytes.endIndex {
            let mask = bytes.loadUInt32(at: offset + 4)
            let length = Int(bytes.loadUInt32(at: offset + 12))
            let nameBytes = bytes[(offset + header)..<min(bytes.endIndex, offset + header + length)]
            let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
            if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                events.append(.overflow)
            } else if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0 {
                events.append(.directoryLost)
            } else if !name.isEmpty {
                last[name] = mask & UInt32(IN_MODIFY) == 0
            }
            offset += header + length
        }
        return events
    }
}

extension ArraySlice<UInt8> {
    /// A little-endian UInt32 at `index` (x86_64 and aarch64, the Linux targets), unaligned.
    fileprivate func loadUInt32(at index: Int) -> UInt32 {
        var value: UInt32 = 0
        for k in (0..<4).reversed() { value = value << 8 | UInt32(self[index + k]) }
        return value
    }
}
