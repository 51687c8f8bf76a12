import AdvisorModel

/// One pass over a JSON file before it is decoded, for what a decoder does not check: the same
/// key twice in an object (a decoder keeps the last, so a second set of numbers could hide
/// behind the first), nesting deeper than the format has (a decoder recurses, and 10^5 levels
/// overflow its stack), numbers that are not finite or too large to compute with, a fraction
/// where the format has a whole number, and control characters in strings. Linear in the file's
/// size; each problem names its field as the file writes it (`policies[0].aipw.gain`).
public struct JSONScan {
    /// What a file of one kind may hold.
    public struct Limits: Sendable {
        /// Objects and arrays inside one another, the outermost counted.
        public var maxDepth: Int
        /// The largest magnitude a number may have (nil: any finite number).
        public var largestMagnitude: Double?
        /// Keys whose numbers are whole numbers (`units`, `best_uniform_arm`).
        public var integerKeys: Set<String>
        /// Keys whose numbers are exempt from `largestMagnitude` (a 64-bit seed).
        public var unboundedKeys: Set<String>
        /// Refuse a string holding a control character (C0, DEL or C1), escaped or not.
        public var refuseControlCharacters: Bool

        public init(
            maxDepth: Int,
            largestMagnitude: Double? = nil,
            integerKeys: Set<String> = [],
            unboundedKeys: Set<String> = [],
            refuseControlCharacters: Bool = false
        ) {
            self.maxDepth = maxDepth
            self.largestMagnitude = largestMagnitude
            self.integerKeys = integerKeys
            self.unboundedKeys = unboundedKeys
            self.refuseControlCharacters = refuseControlCharacters
        }
    }

    /// What is wrong and where: `field` is nil for the file as a whole.
    public struct Problem: Error, Sendable {
        public var field: String?
        public var problem: String
    }

    /// Checks `bytes` against `limits`; throws the first problem.
    public static func check(_ bytes: some Collection<UInt8>, limits: Limits) throws(Problem) {
        var scan = JSONScan(bytes: Array(bytes), limits: limits)
        // A byte-order mark, as an editor on Windows may write, is not part of the value.
        if scan.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { scan.at = 3 }
        scan.skipSpace()
        try scan.value(path: [], key: nil, depth: 1)
        scan.skipSpace()
        guard scan.at == scan.bytes.count else { throw scan.syntax("text after the end of the JSON value") }
    }

    /// Whether `scalar` is a control character a name must not hold (C0, DEL, C1).
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    let bytes: [UInt8]
    let limits: Limits
    var at = 0

    /// One step of a field's path: a key or an index.
    enum Step {
        case key(String)
        case index(Int)
    }

    static func field(_ path: [Step]) -> String? {
        guard !path.isEmpty else { return nil }
        var out = ""
        for step in path {
            switch step {
            case .key(let key): out += out.isEmpty ? key : "." + key
            case .index(let index): out += "[\(index)]"
            }
        }
        return out
    }

    mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
    }

    func syntax(_ what: String) -> Problem {
        var line = 1
        for byte in bytes[..<min(at, bytes.count)] where byte == 0x0A { line += 1 }
        return Problem(field: nil, problem: "is not JSON: \(what) (line \(line))")
    }

    mutating func value(path: [Step], key: String?, depth: Int) throws(Problem) {
        guard at < bytes.count else { throw syntax("the file ends where a value belongs") }
        switch bytes[at] {
        case UInt8(ascii: "{"):
            try enter(path, depth)
            at += 1
            var seen = Set<String>()
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "}") {
                at += 1
                return
            }
            while true {
                skipSpace()
                guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw syntax("a key must be a string") }
                let name = try string(path: path)
                guard seen.insert(name).inserted else {
                    throw Problem(
                        field: Self.field(path + [.key(name)]),
                        problem: "appears twice in one object (a reader would keep one and hide the other)"
                    )
                }
                skipSpace()
                guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw syntax("':' expected after a key") }
                at += 1
                skipSpace()
                try value(path: path + [.key(name)], key: name, depth: depth + 1)
                skipSpace()
                guard at < bytes.count else { throw syntax("the file ends inside an object") }
                if bytes[at] == UInt8(ascii: ",") {
                    at += 1
                } else if bytes[at] == UInt8(ascii: "}") {
                    at += 1
                    return
                } else {
                    throw syntax("',' or '}' expected")
                }
            }
        case UInt8(ascii: "["):
            try enter(path, depth)
            at += 1
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "]") {
                at += 1
                return
            }
            var index = 0
            while true {
                skipSpace()
                // Elements inherit their array's key, so `training_sizes[2]` is checked as one.
                try value(path: path + [.index(index)], key: key, depth: depth + 1)
                index += 1
                skipSpace()
                guard at < bytes.count else { throw syntax("the file ends inside an array") }
                if bytes[at] == UInt8(ascii: ",") {
                    at += 1
                } else if bytes[at] == UInt8(ascii: "]") {
                    at += 1
                    return
                } else {
                    throw syntax("',' or ']' expected")
                }
            }
        case UInt8(ascii: "\""):
            _ = try string(path: path)
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: try number(path: path, key: key)
        }
    }

    func enter(_ path: [Step], _ depth: Int) throws(Problem) {
        guard depth <= limits.maxDepth else {
            throw Problem(
                field: Self.field(path),
                problem: "nests objects and arrays more than \(limits.maxDepth) deep, deeper than the format has"
            )
        }
    }

    mutating func literal(_ word: String) throws(Problem) {
        let expected = Array(word.utf8)
        guard at + expected.count <= bytes.count, Array(bytes[at..<at + expected.count]) == expected else {
            throw syntax("an unknown word")
        }
        at += expected.count
    }

    mutating func number(path: [Step], key: String?) throws(Problem) {
        let start = at
        var whole = true
        while at < bytes.count {
            let byte = bytes[at]
            if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                whole = false
            } else if !(byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || (0x30...0x39).contains(byte)) {
                break
            }
            at += 1
        }
        let text = String(decoding: bytes[start..<at], as: UTF8.self)
        guard !text.isEmpty, let x = Double(text) else { throw syntax("'\(text.prefix(20))' is not a value") }
        let field = Self.field(path)
        guard x.isFinite else {
            throw Problem(field: field, problem: "is \(text.prefix(30)), not a finite number")
        }
        if let key, limits.integerKeys.contains(key), !whole {
            throw Problem(field: field, problem: "is \(text.prefix(30)), not a whole number")
        }
        if let largest = limits.largestMagnitude, !(key.map(limits.unboundedKeys.contains) ?? false), abs(x) > largest {
            throw Problem(
                field: field,
                problem:
                    "is \(text.prefix(30)), larger in magnitude than \(NumberText.shortest(largest)), more than any measurement"
            )
        }
    }

    /// A string's decoded text (escapes resolved), checked for control characters if asked.
    mutating func string(path: [Step]) throws(Problem) -> String {
        at += 1
        var scalars = String.UnicodeScalarView()
        var plainStart = at
        func flush(_ end: Int) {
            scalars.append(contentsOf: String(decoding: bytes[plainStart..<end], as: UTF8.self).unicodeScalars)
        }
        while true {
            guard at < bytes.count else { throw syntax("the file ends inside a string") }
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") {
                flush(at)
                at += 1
                break
            }
            if byte < 0x20 { throw syntax("a raw control character inside a string") }
            guard byte == UInt8(ascii: "\\") else {
                at += 1
                continue
            }
            flush(at)
            at += 1
            guard at < bytes.count else { throw syntax("the file ends inside a string") }
            let escape = bytes[at]
            at += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                guard at + 4 <= bytes.count,
                    let code = UInt32(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16)
                else { throw syntax("a \\u escape without four hex digits") }
                at += 4
                // A lone surrogate stands for itself as U+FFFD; a pair is one character.
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default:
                throw syntax("an unknown escape in a string")
            }
            plainStart = at
        }
        let text = String(scalars)
        if limits.refuseControlCharacters, let bad = text.unicodeScalars.first(where: Self.isControl) {
            throw Problem(
                field: Self.field(path),
                problem:
                    "holds the control character U+\(String(bad.value, radix: 16, uppercase: true)) in \(InputError.excerpt(text))"
            )
        }
        return text
    }
}
