import Foundation

/// The byte spans of the current row's fields, in fixed raw storage: the parser writes 10+
/// spans per row through the `let` pointers, so no array uniqueness or exclusivity check runs
/// per field. Rows with more fields than `capacity` are counted but not stored (they are errors).
final class FieldSpans {
    static let capacity = 4096
    var count = 0
    let starts = UnsafeMutablePointer<Int>.allocate(capacity: FieldSpans.capacity)
    let ends = UnsafeMutablePointer<Int>.allocate(capacity: FieldSpans.capacity)
    let quoted = UnsafeMutablePointer<Bool>.allocate(capacity: FieldSpans.capacity)
    /// For the fast path: each column's role (a covariate slot ≥ 0, or one of the roles
    /// below), and the row's covariate values by slot.
    let kinds = UnsafeMutablePointer<Int>.allocate(capacity: FieldSpans.capacity)
    let values = UnsafeMutablePointer<Float>.allocate(capacity: FieldSpans.capacity)
    /// 10⁰ … 10²² in raw storage: a global array costs a lazy-initialization check per number.
    let powersOfTen = UnsafeMutablePointer<Double>.allocate(capacity: 23)
    static let skipRole = -1, armRole = -2, outcomeRole = -3, propensityRole = -4, unitRole = -5

    init() {
        kinds.initialize(repeating: FieldSpans.skipRole, count: FieldSpans.capacity)
        values.initialize(repeating: 0, count: FieldSpans.capacity)
        for k in 0...22 { (powersOfTen + k).initialize(to: DecimalParser.exactPowersOfTen[k]) }
    }

    deinit {
        starts.deallocate()
        ends.deallocate()
        quoted.deallocate()
        kinds.deallocate()
        values.deallocate()
        powersOfTen.deallocate()
    }

    /// The field's span without its surrounding quotes.
    @inline(__always)
    func content(_ k: Int) -> (Int, Int) {
        quoted[k] && ends[k] - starts[k] >= 2 ? (starts[k] + 1, ends[k] - 1) : (starts[k], ends[k])
    }
}
