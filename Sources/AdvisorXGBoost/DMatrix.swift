import CXGBoost

/// XGBoost's data matrix, owned: freed when this object goes. Not `Sendable` on purpose: the
/// handle is used by one synchronous computation and never shared.
final class DMatrix {
    let handle: DMatrixHandle
    let rows: Int

    /// Row-major `values` (rows × columns); NaN marks a missing value, as XGBoost expects.
    init(values: [Float], rows: Int, columns: Int, labels: [Float]? = nil) throws(XGBoostError) {
        precondition(values.count == rows * columns, "feature buffer does not match its shape")
        var created: DMatrixHandle?
        try xgbCall("XGDMatrixCreateFromMat") {
            values.withUnsafeBufferPointer {
                XGDMatrixCreateFromMat($0.baseAddress, bst_ulong(rows), bst_ulong(columns), .nan, &created)
            }
        }
        guard let created else { throw XGBoostError(call: "XGDMatrixCreateFromMat", message: "no matrix returned") }
        handle = created
        self.rows = rows
        if let labels {
            precondition(labels.count == rows, "one label per row")
            try xgbCall("XGDMatrixSetFloatInfo") {
                labels.withUnsafeBufferPointer {
                    XGDMatrixSetFloatInfo(created, "label", $0.baseAddress, bst_ulong(rows))
                }
            }
        }
    }

    deinit { XGDMatrixFree(handle) }
}
