import CXGBoost

/// A failed XGBoost call, with XGBoost's own message.
public struct XGBoostError: Error, Sendable, CustomStringConvertible {
    /// The C function that failed, e.g. `XGBoosterUpdateOneIter`.
    public var call: String
    public var message: String

    public var description: String { "XGBoost \(call) failed: \(message)" }
}

/// Runs one C call and turns a non-zero status into `XGBoostError`. XGBoost keeps its last
/// error in thread-local storage, so it is read here, in the same synchronous call on the same
/// thread; an `await` in between could read another thread's error (or none).
func xgbCall(_ name: String, _ body: () -> Int32) throws(XGBoostError) {
    if body() != 0 {
        let message = XGBGetLastError().map { String(cString: $0) } ?? "no message"
        // Its first line: XGBoost appends a stack trace, which would fill an error file and
        // break the one-line error a person reads (and a journal entry) into dozens.
        let firstLine = message.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? message
        throw XGBoostError(call: name, message: firstLine)
    }
}
