import Yams

/// What a YAML file (a proposal, a manifest, the configuration) may make the reader do. Yams
/// composes aliases into shared nodes, so a 400-byte "billion laughs" file is a small graph
/// that every later walk expands: the tag check and the readers took minutes, and a collection
/// used as a key is expanded by Yams itself while it checks keys for duplicates. So aliases are
/// counted and complex keys found in the text before Yams composes it, and the composed tree's
/// expanded size and depth are counted (stopping at the limit) before anything else walks it.
public enum YAMLBounds {
    /// Aliases (`*name`) one file may use: enough to share a block or two, few enough that the
    /// expansion of nested aliases stays in reach of the node count below before it is walked.
    public static let maxAliases = 64
    /// Values (scalars, lists, mappings) after aliases are expanded: a proposal with a thousand
    /// arm names holds a few thousand.
    public static let maxNodes = 1_000_000
    /// Nesting of lists and mappings after expansion; the deepest file (a manifest's guardrail's
    /// relative loss) nests five.
    public static let maxDepth = 64
    /// Indentation columns, list dashes on a line and open brackets, counted in the text before
    /// Yams (which recurses once per level) reads it.
    public static let maxTextNesting = 256

    /// The text's aliases, nesting and complex keys, before Yams composes it.
    static func scan(_ text: String, file: String) throws(InputError) {
        let b = Array(text.utf8)
        let space = UInt8(ascii: " ")
        let tab = UInt8(ascii: "\t")
        let newline = UInt8(ascii: "\n")
        let ret = UInt8(ascii: "\r")
        var aliases = 0
        var firstAlias = 0
        var complexKey: Int?
        var flow: [UInt8] = []
        var expectingFlowKey = false
        var line = 1
        var indent = 0
        var dashes = 0
        var atLineStart = true
        var previous = newline
        var i = 0
        func tooDeep() -> InputError {
            InputError(
                file: file,
                field: topLevelKey(b, line: line),
                line: line,
                problem: "nests lists and mappings more than \(maxTextNesting) levels deep",
                fix: "write the file flat, as config/ and config/proposals/ show"
            )
        }
        func isBlank(_ c: UInt8) -> Bool { c == space || c == tab || c == newline || c == ret }
        while i < b.count {
            let c = b[i]
            if atLineStart {
                indent = 0
                while i < b.count && b[i] == space {
                    indent += 1
                    i += 1
                }
                dashes = 0
                atLineStart = false
                previous = space
                guard indent <= maxTextNesting else { throw tooDeep() }
                continue
            }
            // Where a token may start: an alias, an anchor, a quote or an indicator only there.
            let tokenStart =
                isBlank(previous) || previous == UInt8(ascii: "[") || previous == UInt8(ascii: "{")
                || previous == UInt8(ascii: ",") || (previous == UInt8(ascii: ":") && !flow.isEmpty)
            let next = i + 1 < b.count ? b[i + 1] : newline
            switch c {
            case newline:
                line += 1
                atLineStart = true
            case let quote where (quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"")) && tokenStart:
                // A quoted scalar: skipped whole, so brackets in a name do not count. An alias
                // inside one is counted anyway below (counting too many is safe).
                var j = i + 1
                while j < b.count {
                    if b[j] == newline { line += 1 }
                    if c == UInt8(ascii: "\"") && b[j] == UInt8(ascii: "\\") {
                        j += 2
                        continue
                    }
                    if b[j] == c {
                        if c == UInt8(ascii: "'") && j + 1 < b.count && b[j + 1] == c {
                            j += 2
                            continue
                        }
                        break
                    }
                    j += 1
                }
                aliases +=
                    b[(i + 1)..<min(j, b.count)].indices.filter { k in
                        b[k] == UInt8(ascii: "*") && k > i + 1 && isBlank(b[k - 1]) && k + 1 < b.count
                            && !isBlank(b[k + 1])
                    }.count
                i = j + 1
                previous = c
                expectingFlowKey = false
                continue
            case UInt8(ascii: "#") where isBlank(previous):
                while i < b.count && b[i] != newline { i += 1 }
                continue
            case UInt8(ascii: "*") where tokenStart && !isBlank(next):
                aliases += 1
                if firstAlias == 0 { firstAlias = line }
                // The alias's name, then: a ':' after it makes it a key.
                var j = i + 1
                while j < b.count, !isBlank(b[j]),
                    ![UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}")].contains(b[j])
                {
                    j += 1
                }
                var k = j
                while k < b.count && (b[k] == space || b[k] == tab) { k += 1 }
                if (k < b.count && b[k] == UInt8(ascii: ":")) || (flow.last == UInt8(ascii: "{") && expectingFlowKey) {
                    complexKey = complexKey ?? line
                }
                i = j
                previous = UInt8(ascii: "a")
                expectingFlowKey = false
                continue
            case UInt8(ascii: "?") where tokenStart && isBlank(next):
                complexKey = complexKey ?? line
            case UInt8(ascii: "-") where tokenStart && isBlank(next) && flow.isEmpty:
                dashes += 1
                guard indent + dashes <= maxTextNesting else { throw tooDeep() }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                if flow.last == UInt8(ascii: "{") && expectingFlowKey { complexKey = complexKey ?? line }
                flow.append(c)
                guard indent + dashes + flow.count <= maxTextNesting else { throw tooDeep() }
                expectingFlowKey = c == UInt8(ascii: "{")
                previous = c
                i += 1
                continue
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if !flow.isEmpty { flow.removeLast() }
                expectingFlowKey = false
            case UInt8(ascii: ",") where !flow.isEmpty:
                expectingFlowKey = flow.last == UInt8(ascii: "{")
                previous = c
                i += 1
                continue
            default:
                if !isBlank(c) { expectingFlowKey = false }
            }
            previous = c
            i += 1
        }
        guard aliases <= maxAliases else {
            throw InputError(
                file: file,
                field: firstAlias == 0 ? nil : topLevelKey(b, line: firstAlias),
                line: firstAlias == 0 ? nil : firstAlias,
                problem:
                    "uses \(aliases) YAML aliases (*name); at most \(maxAliases) are read, since each can repeat a whole block",
                fix: "write the values out instead of referring to them"
            )
        }
        if aliases > 0, let line = complexKey {
            throw InputError(
                file: file,
                field: topLevelKey(b, line: line),
                line: line,
                problem:
                    "uses a key that is an alias, a list or a mapping (with aliases in the file, such a key can expand without end)",
                fix: "write every key as plain text"
            )
        }
    }

    /// The top-level key the text's `line` belongs to (the last unindented `key:` at or before
    /// it), so an error found in the text still names a field; nil when there is none.
    static func topLevelKey(_ b: [UInt8], line target: Int) -> String? {
        var line = 1
        var start = 0
        var key: String?
        var i = 0
        while i <= b.count && line <= target {
            if i == b.count || b[i] == UInt8(ascii: "\n") {
                let text = b[start..<i]
                if let first = text.first, first != UInt8(ascii: " "), first != UInt8(ascii: "#"),
                    first != UInt8(ascii: "-"), let colon = text.firstIndex(of: UInt8(ascii: ":"))
                {
                    let name = InputError.excerpt(String(decoding: b[start..<colon], as: UTF8.self))
                    if !name.isEmpty, name.utf8.count <= 64, !name.contains(" "), !name.contains("{") {
                        key = name
                    }
                }
                line += 1
                start = i + 1
            }
            i += 1
        }
        return key
    }

    /// The composed tree's size and depth with aliases expanded, counted only up to the limits:
    /// the walk stops at `maxNodes`, so it costs at most that however much an alias repeats.
    /// An error names the top-level field it is under (paths are not built per value: that
    /// would cost more than the count).
    static func checkExpansion(_ root: Node, file: String) throws(InputError) {
        var count = 0
        func visit(_ node: Node, depth: Int, path: String) throws(InputError) {
            count += 1
            guard count <= maxNodes else {
                throw InputError(
                    file: file,
                    field: path.isEmpty ? nil : path,
                    line: node.mark?.line,
                    problem: "holds more than \(maxNodes) values once its aliases are expanded",
                    fix: "write the values out instead of referring to them, and keep the file small"
                )
            }
            guard depth <= maxDepth else {
                throw InputError(
                    file: file,
                    field: path.isEmpty ? nil : path,
                    line: node.mark?.line,
                    problem: "nests lists and mappings more than \(maxDepth) levels deep",
                    fix: "write the file flat, as config/ and config/proposals/ show"
                )
            }
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    let field = depth == 0 ? key.string ?? "?" : path
                    try visit(key, depth: depth + 1, path: field)
                    try visit(value, depth: depth + 1, path: field)
                }
            case .sequence(let sequence):
                for item in sequence { try visit(item, depth: depth + 1, path: path) }
            case .scalar, .alias:
                break
            }
        }
        try visit(root, depth: 0, path: "")
    }
}
