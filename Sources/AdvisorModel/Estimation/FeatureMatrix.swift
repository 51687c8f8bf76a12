/// Covariates as a dense row-major Float matrix (rows = units); NaN marks a missing value.
/// Float, not Double: it is what XGBoost takes, and halves the memory of a large drop.
public struct FeatureMatrix: Sendable {
    public var values: [Float]
    public var rows: Int
    public var columns: Int

    public init(values: [Float], rows: Int, columns: Int) {
        precondition(values.count == rows * columns, "feature buffer does not match its shape")
        self.values = values
        self.rows = rows
        self.columns = columns
    }

    /// The rows at `indices`, in that order.
    public func rows(_ indices: [Int]) -> FeatureMatrix {
        var out: [Float] = []
        out.reserveCapacity(indices.count * columns)
        for i in indices { out += values[(i * columns)..<((i + 1) * columns)] }
        return FeatureMatrix(values: out, rows: indices.count, columns: columns)
    }

    public subscript(row: Int, column: Int) -> Float { values[row * columns + column] }
}
