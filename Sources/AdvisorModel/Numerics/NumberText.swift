import Foundation

/// How numbers are written for people, in every layer's messages and reports alike. A leaf of
/// pure functions in the core because every layer writes numbers (the model's errors, the
/// readers' errors, the reports): one rendering each, never two that drift.
public enum NumberText {
    /// A plain number as people write it in an input file: no trailing zeros, no exponent unless
    /// needed ("0.1", "1.25", "1e-07"), so an error quotes a value as the file had it.
    public static func shortest(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        var text = c("%.6g", x)
        if text.contains("e") { return text }
        while text.contains(".") && (text.hasSuffix("0") || text.hasSuffix(".")) { text.removeLast() }
        return text
    }

    /// Four significant digits and no exponent: enough for a decision, and readable by someone
    /// who does not read scientific notation. "n/a" for a non-finite value (never "nan").
    public static func significant(_ x: Double) -> String {
        guard x.isFinite else { return "n/a" }
        if x == 0 { return "0" }
        if abs(x) >= 1e4 { return c("%.0f", x) }
        if abs(x) >= 1e-4 { return c("%.4g", x) }
        var text = c("%.10f", x)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    /// A probability as a whole percent ("83%"), with "<1%" and ">99%" at the ends so that a
    /// small but real chance never reads as 0% or 100%.
    public static func percent(_ p: Double) -> String {
        if p > 0 && p < 0.01 { return "<1%" }
        if p < 1 && p > 0.99 { return ">99%" }
        return c("%.0f", p * 100) + "%"
    }

    /// C's printf formatting of one number, which Foundation's `String(format:)` matches for
    /// these conversions at about a tenth of the cost on Linux (it shows in a 500-row index).
    static func c(_ format: String, _ x: Double) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer -> String in
            guard let base = buffer.baseAddress else { return String(format: format, x) }
            let n = withVaList([x]) { vsnprintf(base, 64, format, $0) }
            guard n >= 0 && n < 64 else { return String(format: format, x) }
            return String(cString: base)
        }
    }
}
