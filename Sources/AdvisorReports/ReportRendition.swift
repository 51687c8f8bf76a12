import AdvisorModel

/// One file of a report: how its name ends and what it holds. A report is a list of these
/// (JSON first, then text, and any later rendering), written by the spool as one set, so a new
/// rendering is a new element here and nowhere else.
public struct ReportRendition: Sendable, Hashable {
    /// ".json", ".txt".
    public var suffix: String
    public var contents: String

    public init(suffix: String, contents: String) {
        self.suffix = suffix
        self.contents = contents
    }
}

extension PredictionReport {
    /// Every rendering of a prediction, the JSON first (the one scripts and the journal point to).
    /// Fails rather than write a NaN.
    public static func renditions(_ prediction: Prediction) throws -> [ReportRendition] {
        [
            ReportRendition(suffix: ".json", contents: try json(prediction)),
            ReportRendition(suffix: ".txt", contents: text(prediction)),
        ]
    }
}

extension VerdictReport {
    /// Every rendering of a verdict, the JSON first. Fails rather than write a NaN.
    public static func renditions(_ verdict: PostExperimentVerdict) throws -> [ReportRendition] {
        [
            ReportRendition(suffix: ".json", contents: try json(verdict)),
            ReportRendition(suffix: ".txt", contents: text(verdict)),
        ]
    }
}
