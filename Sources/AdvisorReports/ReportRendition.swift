import AdvisorModel

/// One file of a report: how its name ends after the stamp and what it holds. A report is a list
/// of these (JSON first, then text, a policy file, any later rendering), written by the spool as
/// one set, so a new rendering is a new element here and nowhere else.
public struct ReportRendition: Sendable, Hashable {
    /// "-prediction.json", "-verdict.txt", "-policy.json".
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
            ReportRendition(suffix: "-prediction.json", contents: try json(prediction)),
            ReportRendition(suffix: "-prediction.txt", contents: text(prediction)),
        ]
    }
}

extension VerdictReport {
    /// Every rendering of a verdict, the JSON first, and the policy file (`policyFile`: its
    /// contents and the path the JSON names). Fails rather than write a NaN.
    public static func renditions(
        _ verdict: PostExperimentVerdict,
        policyFile: (contents: String, path: String)?
    )
        throws -> [ReportRendition]
    {
        [
            ReportRendition(suffix: "-verdict.json", contents: try json(verdict, policyFile: policyFile?.path)),
            ReportRendition(suffix: "-verdict.txt", contents: text(verdict)),
        ] + (policyFile.map { [ReportRendition(suffix: "-policy.json", contents: $0.contents)] } ?? [])
    }
}
