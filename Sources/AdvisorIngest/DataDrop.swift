import AdvisorFormats
import AdvisorModel
import Foundation

/// A data drop read into columns, ready for the analysis.
public struct DataDrop: Sendable {
    public var experiment: String
    public var data: ExperimentData
    /// Covariate names after one-hot encoding of text columns (`region=north`).
    public var covariateNames: [String]
    /// How the covariate columns became the feature matrix's columns, in order.
    public var covariateEncoding: [CovariateEncoding]
    /// Every outcome is 0 or 1.
    public var binaryOutcome: Bool
    public var rowsRead: Int
    /// Rows dropped for a missing arm or outcome, and the first few of their line numbers.
    public var rowsDropped: Int
    public var droppedLines: [Int]
    /// Rows whose unit_id repeats one read earlier (0 without a unit_id column): a unit logged
    /// twice counts twice in every figure, so the verdict warns.
    public var duplicateUnitIDs: Int
    public var bytesRead: Int
    /// Index of the control arm in `data.armNames`, if the manifest names one.
    public var controlArm: Int?
    /// Per guardrail column, how many cells were missing (those rows are among `rowsDropped`).
    public var missingGuardrailCells: [String: Int] = [:]
}

/// One source column of the covariates: a number as it is, or a text column one-hot encoded
/// over its categories (feature `column=category` per category, in this order).
public struct CovariateEncoding: Sendable, Hashable, Codable {
    public var column: String
    /// nil for a numeric column.
    public var categories: [String]?

    public init(column: String, categories: [String]?) {
        self.column = column
        self.categories = categories
    }

    /// The feature matrix columns this source column becomes.
    public var featureNames: [String] {
        categories.map { $0.map { "\(column)=\($0)" } } ?? [column]
    }
}

extension DataDrop {
    /// The experiment id of a drop without one in its manifest: `results/flu-2027.csv.gz` →
    /// `flu-2027`, cleaned to an id's characters.
    public static func experimentID(forDataPath path: String) -> String {
        var name = (path as NSString).lastPathComponent
        for suffix in [".gz", ".csv"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        let cleaned = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "-" })
        // A name no experiment id may have (a leading '.', the report index's) gets a prefix.
        return cleaned.first == "." || cleaned.isEmpty || cleaned == ProposalFile.reportIndexName
            ? "data" + (cleaned.first == "." || cleaned.isEmpty ? "" : "-") + String(cleaned.prefix(120))
            : String(cleaned.prefix(128))
    }
}
