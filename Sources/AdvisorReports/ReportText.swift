import AdvisorModel
import Foundation

/// The small pieces of wording every rendering shares (text report, journal, and any later
/// one), so a label or a percent is written one way everywhere.
public enum ReportText {
    /// "  label ...... value": one row of a report's table, labels padded to 30 columns.
    static func row(_ label: String, _ value: String) -> String {
        "  " + label.padding(toLength: 30, withPad: " ", startingAt: 0) + value
    }

    static func number(_ x: Double) -> String { NumberText.significant(x) }

    /// "(1.2 percentage points)" for gains on a 0–1 scale, where teams think in points.
    static func points(_ x: Double) -> String {
        abs(x) < 1 ? String(format: " (%.2f percentage points)", x * 100) : ""
    }

    /// Characters of a text bar for `value` on a scale whose largest value is `top`: 0 to
    /// `width`, and 0 for a value at or below 0, a scale at or below 0, or anything non-finite.
    /// (With ρ = 1 every gain is 0 up to rounding, and a ratio of two such values is any number,
    /// which `Int(_:)` would trap on.)
    static func barLength(_ value: Double, of top: Double, width: Int) -> Int {
        guard value.isFinite, top.isFinite, value > 0, top > 0 else { return 0 }
        return Int((min(value / top, 1) * Double(width)).rounded())
    }

    /// `s` with every control character (C0, DEL, C1) written visibly (`\n`, `\u{1B}`), so a
    /// name that slipped past its reader cannot start a forged line or send an escape sequence
    /// to the terminal `analyze` prints on. Text without one comes back as it is.
    public static func visible(_ s: String) -> String {
        func control(_ scalar: Unicode.Scalar) -> Bool {
            scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
        }
        guard s.unicodeScalars.contains(where: control) else { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            out += control(scalar) ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return out
    }

    /// A relative gain as a signed percent with one decimal: "+4.2%".
    public static func relativePercent(_ r: Double) -> String {
        String(format: "%+.1f%%", r * 100)
    }

    /// A verdict's raw value as the report's capitals: "not-actionable" → "NOT ACTIONABLE".
    public static func verdictLabel(_ raw: String) -> String {
        raw.uppercased().replacingOccurrences(of: "-", with: " ")
    }

    /// "σ within-arm heterogeneity": a parameter's symbol and what it measures.
    public static func label(_ parameter: ModelParameter) -> String {
        "\(parameter.symbol) \(parameter.label)"
    }
}
