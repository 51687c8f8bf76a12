import Foundation

/// Arm labels found by their bytes (FNV-1a hash, then a byte comparison): no String per row.
final class ArmTable {
    private var byHash: [UInt64: [Int]] = [:]
    private var bytes: [[UInt8]] = []
    private(set) var names: [String] = []

    @inline(__always)
    static func hash(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in start..<end { h = (h ^ UInt64(b[i])) &* 0x100_0000_01b3 }
        return h
    }

    /// The arm's index, or −1 if new.
    func find(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        guard let candidates = byHash[Self.hash(b, start, end)] else { return -1 }
        for index in candidates where bytes[index].count == end - start {
            var same = true
            for k in 0..<(end - start) where bytes[index][k] != b[start + k] {
                same = false
                break
            }
            if same { return index }
        }
        return -1
    }

    /// Adds a label (`name` when it had quotes to undo) and returns its index.
    func add(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, name: String?) -> Int {
        let index = names.count
        let raw = Array(UnsafeBufferPointer(rebasing: b[start..<end]))
        bytes.append(raw)
        names.append(name ?? String(decoding: raw, as: UTF8.self))
        byHash[Self.hash(b, start, end), default: []].append(index)
        return index
    }
}
