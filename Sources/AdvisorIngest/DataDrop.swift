import AdvisorModel

/// A data drop read into columns, ready for the analysis.
public struct DataDrop: Sendable {
    public var experiment: String
    public var data: ExperimentData
    /// Covariate names after one-hot encoding of text columns (`region=north`).
    public var covariateNames: [String]
    /// Every outcome is 0 or 1.
    public var binaryOutcome: Bool
    public var rowsRead: Int
    /// Rows dropped for a missing arm or outcome, and the first few of their line numbers.
    public var rowsDropped: Int
    public var droppedLines: [Int]
    public var bytesRead: Int
    /// Index of the control arm in `data.armNames`, if the manifest names one.
    public var controlArm: Int?
}
