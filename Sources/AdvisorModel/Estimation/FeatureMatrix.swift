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
        let width = columns
        let out = [Float](unsafeUninitializedCapacity: indices.count * width) { buffer, count in
            values.withUnsafeBufferPointer { source in
                guard let from = source.baseAddress, let to = buffer.baseAddress else { return }
                // An element loop, not a memmove call per row: rows are a few dozen bytes.
                for (r, i) in indices.enumerated() {
                    for c in 0..<width { to[r * width + c] = from[i * width + c] }
                }
            }
            count = indices.count * width
        }
        return FeatureMatrix(values: out, rows: indices.count, columns: width)
    }

    public subscript(row: Int, column: Int) -> Float { values[row * columns + column] }
}
