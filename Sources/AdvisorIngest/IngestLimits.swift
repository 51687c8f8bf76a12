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
    /// The text a drop may inflate to (its size when plain): what bounds the reader's memory, since
    /// the columns hold at most about as many bytes as the text they are read from.
    public var maxUncompressedBytes = 8 << 30
    /// A compressed drop that inflates more than this many times over is a bomb, not an export
    /// (CSV text compresses 3–20x); checked once the text passes `ratioCheckBytes`, so a small
    /// file of repeated rows is never mistaken for one.
    public var maxCompressionRatio = 200
    public var ratioCheckBytes = 64 << 20
    /// A longer line is not a row of a unit-level table (it would only grow the line buffer).
    public var maxRowBytes = 1 << 20

    public init() {}
}
