import AdvisorModel

/// One file of a report: how its name ends after the stamp and what it holds. A report is a list
/// of these (JSON first, then text, HTML, a policy file, any later rendering), written by the spool as
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
    /// How the names of a prediction's renditions end, in `renditions`' order.
    public static let suffixes = ["-prediction.json", "-prediction.txt", "-prediction.html"]

    /// Every rendering of a prediction, the JSON first (the one scripts and the journal point to).
    /// Fails rather than write a NaN.
    public static func renditions(_ prediction: Prediction) throws -> [ReportRendition] {
        [
            ReportRendition(suffix: suffixes[0], contents: try json(prediction)),
            ReportRendition(suffix: suffixes[1], contents: text(prediction)),
            ReportRendition(suffix: suffixes[2], contents: html(prediction)),
        ]
    }
}

extension VerdictReport {
    /// How the names of a verdict's renditions end, in `renditions`' order (the policy file's
    /// last, when there is one).
    public static let suffixes = [
        "-verdict.json", "-verdict.txt", "-verdict.html", "-next-proposal.yaml", policyFileSuffix,
    ]
    /// The policy file's: the JSON names its path, so the caller builds it before rendering.
    public static let policyFileSuffix = "-policy.json"

    /// Every rendering of a verdict, the JSON first, the next test's proposal, and the policy
    /// file (`policyFile`: its contents and the path the JSON names). Fails rather than write a NaN.
    public static func renditions(
        _ verdict: PostExperimentVerdict,
        policyFile: (contents: String, path: String)?
    )
        throws -> [ReportRendition]
    {
        [
            ReportRendition(suffix: suffixes[0], contents: try json(verdict, policyFile: policyFile?.path)),
            ReportRendition(suffix: suffixes[1], contents: text(verdict)),
            ReportRendition(suffix: suffixes[2], contents: html(verdict)),
            ReportRendition(suffix: suffixes[3], contents: NextProposalFile.yaml(verdict)),
        ] + (policyFile.map { [ReportRendition(suffix: policyFileSuffix, contents: $0.contents)] } ?? [])
    }
}
