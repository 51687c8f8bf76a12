import Foundation

/// How numbers are written for people, in recommendations and reports alike.
public enum NumberText {
    /// Four significant digits and no exponent: enough for a decision, and readable by someone
    /// who does not read scientific notation. "n/a" for a non-finite value (never "nan").
    public static func significant(_ x: Double) -> String {
        guard x.isFinite else { return "n/a" }
        if x == 0 { return "0" }
        if abs(x) >= 1e4 { return String(format: "%.0f", x) }
        if abs(x) >= 1e-4 { return String(format: "%.4g", x) }
        var text = String(format: "%.10f", x)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    /// A probability as a whole percent ("83%"), with "<1%" and ">99%" at the ends so that a
    /// small but real chance never reads as 0% or 100%.
    public static func percent(_ p: Double) -> String {
        if p > 0 && p < 0.01 { return "<1%" }
        if p < 1 && p > 0.99 { return ">99%" }
        return String(format: "%.0f%%", p * 100)
    }
}
