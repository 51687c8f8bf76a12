/// Limits on a data drop, from the configuration.
public struct IngestLimits: Sendable, Hashable {
    /// Larger files (as stored, compressed or not) are rejected unread.
    public var maxBytes = 2 << 30
    /// Rows without an arm or an outcome are dropped and counted; above this share of all rows
    /// the file is rejected instead.
    public var maxBadRowShare = 0.01
    /// An arm with fewer units cannot be modelled or evaluated.
    public var minUnitsPerArm = 50
    /// A text column with more distinct values is not a usable covariate.
    public var maxCategories = 64

    public init() {}
}
