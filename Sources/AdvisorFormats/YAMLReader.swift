import Foundation
import Yams

/// A read-only walk over a YAML mapping that knows where it is (file, dotted path, line) so
/// every error it throws names the file, the field and the fix.
///
/// Yams decodes to Codable too, but its errors carry neither line numbers nor the nearest valid
/// field name, and JSON is YAML, so one walker serves both formats.
public struct YAMLReader {
    let file: String
    let path: String
    let node: Node
    private let pairs: [(key: String, value: Node, line: Int?)]

    init(file: String, path: String, node: Node) throws(InputError) {
        self.file = file
        self.path = path
        self.node = node
        guard case .mapping(let mapping) = node else {
            throw InputError(
                file: file,
                field: path.isEmpty ? nil : path,
                line: node.mark?.line,
                problem: "expected a mapping of 'key: value' lines, found \(Self.kind(node))",
                fix: path.isEmpty
                    ? "write the proposal as YAML keys (see config/proposals/)" : "write \(path) as a mapping"
            )
        }
        var pairs: [(String, Node, Int?)] = []
        // A set, not a search of the pairs so far: 50,000 distinct keys took minutes that way.
        var seen = Set<String>()
        for (key, value) in mapping {
            let name = key.string ?? ""
            if !seen.insert(name).inserted {
                throw InputError(
                    file: file,
                    field: Self.join(path, name),
                    line: key.mark?.line,
                    problem: "the key appears twice",
                    fix: "keep one '\(name)' entry"
                )
            }
            pairs.append((name, value, key.mark?.line))
        }
        self.pairs = pairs
    }

    /// The UTF-8 text of `path`, or an error naming the file with `fix` (proposals, manifests
    /// and the configuration all start here).
    public static func text(atPath path: String, fix: String) throws(InputError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw InputError(
                file: path,
                field: nil,
                problem: "cannot be read as UTF-8 text (\(error.localizedDescription))",
                fix: fix
            )
        }
    }

    /// Parses `text` (YAML or JSON) into a reader over its top-level mapping, within
    /// `YAMLBounds`: aliases and nesting are counted in the text first, and the composed tree's
    /// expanded size before anything walks it.
    public static func document(_ text: String, file: String) throws(InputError) -> YAMLReader {
        try YAMLBounds.scan(text, file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            let message = String(describing: error)
            // Yams rejects duplicate keys while parsing; say which key and how to fix it.
            if let range = message.range(of: "duplicated key(s): '") {
                let key = message[range.upperBound...].prefix { $0 != "'" }
                throw InputError(
                    file: file,
                    field: String(key),
                    problem: "the key appears twice",
                    fix: "keep one '\(key)' entry"
                )
            }
            throw InputError(
                file: file,
                field: nil,
                line: nil,
                problem: "not valid YAML or JSON (\(message))",
                fix: "check indentation and quoting near the place the parser names"
            )
        }
        guard let root else {
            throw InputError(
                file: file,
                field: nil,
                problem: "the file is empty",
                fix: "write a proposal (see config/proposals/example-minimal.yaml)"
            )
        }
        try YAMLBounds.checkExpansion(root, file: file)
        try rejectTags(root, file: file, path: "")
        return try YAMLReader(file: file, path: "", node: root)
    }

    /// The core schema's tags; anything else (`!!python/object`, `!custom`) is refused by name
    /// rather than read as whatever shape it happens to have.
    static let coreTags: Set<String> = ["str", "int", "float", "bool", "null", "map", "seq"].reduce(into: []) {
        $0.insert("tag:yaml.org,2002:" + $1)
    }

    static func rejectTags(_ node: Node, file: String, path: String) throws(InputError) {
        let name = node.tag.rawValue
        if !coreTags.contains(name) && name != "?" && name != "!" && !name.isEmpty {
            let shown = name.hasPrefix("tag:yaml.org,2002:") ? "!!" + name.dropFirst("tag:yaml.org,2002:".count) : name
            throw InputError(
                file: file,
                field: path.isEmpty ? nil : path,
                line: node.mark.map { $0.line },
                problem: "the YAML tag '\(shown)' is not allowed",
                fix: "remove the tag: these files hold plain numbers, text, lists and mappings"
            )
        }
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                try rejectTags(value, file: file, path: join(path, key.string ?? "?"))
            }
        case .sequence(let sequence):
            for (index, item) in sequence.enumerated() { try rejectTags(item, file: file, path: "\(path)[\(index)]") }
        case .scalar, .alias:
            break
        }
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    static func kind(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return "the value '\(InputError.excerpt(s.string))'"
        case .mapping(_): return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    public var line: Int? { node.mark?.line }
    public var keys: [String] { pairs.map(\.key) }

    public func field(_ key: String) -> String { Self.join(path, key) }

    func value(_ key: String) -> Node? { pairs.first { $0.key == key }?.value }

    public func has(_ key: String) -> Bool { value(key) != nil }

    /// Rejects keys outside `allowed`, suggesting the nearest valid one.
    public func rejectUnknownKeys(_ allowed: [String]) throws(InputError) {
        for pair in pairs where !allowed.contains(pair.key) {
            let hint = nearest(pair.key, in: allowed).map { "did you mean '\($0)'? " } ?? ""
            throw InputError(
                file: file,
                field: field(pair.key),
                line: pair.line,
                problem: "unknown field",
                fix: "\(hint)valid fields here are: \(allowed.joined(separator: ", "))"
            )
        }
    }

    public func error(_ key: String, _ problem: String, fix: String) -> InputError {
        InputError(file: file, field: field(key), line: value(key)?.mark?.line ?? line, problem: problem, fix: fix)
    }

    func required(_ key: String, fix: String) throws(InputError) -> Node {
        guard let node = value(key) else {
            throw InputError(file: file, field: field(key), line: line, problem: "missing", fix: fix)
        }
        return node
    }

    /// A finite number.
    public func number(_ key: String, fix: String) throws(InputError) -> Double? {
        guard let node = value(key) else { return nil }
        guard case Node.scalar = node, let x = node.float, node.bool == nil || node.int != nil else {
            throw error(key, "expected a number, found \(Self.kind(node))", fix: fix)
        }
        guard x.isFinite else { throw error(key, "\(node.string ?? "value") is not a finite number", fix: fix) }
        return x
    }

    /// true or false (YAML's booleans).
    public func flag(_ key: String, fix: String) throws(InputError) -> Bool? {
        guard let node = value(key) else { return nil }
        guard case Node.scalar = node, let flag = node.bool else {
            throw error(
                key,
                "expected true or false, found \(node.string.map { "'\($0)'" } ?? Self.kind(node))",
                fix: fix
            )
        }
        return flag
    }

    public func requiredNumber(_ key: String, fix: String) throws(InputError) -> Double {
        _ = try required(key, fix: fix)
        guard let x = try number(key, fix: fix) else { throw error(key, "missing", fix: fix) }
        return x
    }

    public func string(_ key: String, fix: String) throws(InputError) -> String? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let scalar) = node else {
            throw error(key, "expected text, found \(Self.kind(node))", fix: fix)
        }
        return scalar.string
    }

    public func child(_ key: String) throws(InputError) -> YAMLReader? {
        guard let node = value(key) else { return nil }
        return try YAMLReader(file: file, path: field(key), node: node)
    }
}
