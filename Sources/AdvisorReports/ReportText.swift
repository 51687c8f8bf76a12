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
        abs(x) < 1 ? String(format: " (%.2f percentage points if the outcome is a rate)", x * 100) : ""
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
