import AdvisorModel

/// A problem with an input file, said so that a person can fix it: which file, which field
/// (and line), what is wrong, and what to do.
public struct InputError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// Dotted path of the field, e.g. `priors.rho.max`; nil for whole-file problems.
    public var field: String?
    public var line: Int?
    public var problem: String
    public var fix: String

    public init(file: String, field: String?, line: Int? = nil, problem: String, fix: String) {
        self.file = file
        self.field = field
        self.line = line
        self.problem = problem
        self.fix = fix
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        let subject = field.map { "field '\($0)': " } ?? ""
        return "\(location): \(subject)\(problem). Fix: \(fix)"
    }
}

extension InputError {
    /// A value from the file as an error may quote it: at most 60 characters (a 1 MiB cell must
    /// not become a 1 MiB error file), control characters escaped (a quoted newline or escape
    /// sequence must not forge lines in the error file or the journal).
    public static func excerpt(_ value: String) -> String {
        var shown = ""
        var count = 0
        for scalar in value.unicodeScalars {
            if count == 60 { return shown + "…" }
            shown += scalar.properties.generalCategory == .control ? scalar.escaped(asASCII: true) : String(scalar)
            count += 1
        }
        return shown
    }
}

/// Levenshtein distance, for "did you mean" suggestions on unknown field names. A dozen lines
/// by hand: no package on this machine offers string distances.
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a)
    let y = Array(b)
    guard !x.isEmpty else { return y.count }
    guard !y.isEmpty else { return x.count }
    var previous = Array(0...y.count)
    for i in 1...x.count {
        var current = [i] + Array(repeating: 0, count: y.count)
        for j in 1...y.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[y.count]
}

/// The closest of `candidates` to `name`, if it is close enough to be a plausible typo.
func nearest(_ name: String, in candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(name.lowercased(), $0)) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(2, name.count / 3) ? best.0 : nil
}
