/// The categories of a text covariate, in order of first appearance.
struct CategoryCodes {
    private var codes: [String: Int] = [:]
    private(set) var names: [String] = []

    /// The category a number read before its column turned to text becomes: its text as a file
    /// writes it ("3", "1.2345"), so it meets the same value read later as text. The shortest
    /// text that reads back as the same Float, not a display rounding (which would merge 1.2345
    /// and 1.2346).
    static func name(forNumber x: Float) -> String {
        x == x.rounded() && abs(x) < 16_777_216 ? String(Int(x)) : x.description
    }

    mutating func code(for value: String) -> Int {
        if let c = codes[value] { return c }
        codes[value] = names.count
        names.append(value)
        return names.count - 1
    }
}
