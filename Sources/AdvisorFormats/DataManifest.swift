import AdvisorModel
import Foundation
import Yams

/// What a team says about a data drop, in an optional `NAME.manifest.yaml` beside `NAME.csv`:
/// the experiment, which columns play which role, the control arm, the assignment
/// probabilities, and whether a larger outcome is better. Every field is optional.
public struct DataManifest: Sendable, Hashable {
    /// Defaults to the data file's stem.
    public var experiment: String?
    public var armColumn = "arm"
    public var outcomeColumn = "outcome"
    public var unitIDColumn = "unit_id"
    public var propensityColumn = "propensity"
    /// Columns that are neither roles nor covariates (e.g. timestamps).
    public var ignoredColumns: [String] = []
    /// Cells that mean "missing" in this export besides the built-in ones
    /// (`builtInMissingValues`): `.`, `-999`, `missing`.
    public var missingValues: [String] = []

    /// How spreadsheets, pandas and R write a missing value: the one list every reader of units
    /// uses (`analyze`'s CSV reader and `assign`), so a unit one reads the other reads alike.
    /// Each token but the empty one is at most 4 bytes and starts with N, n or # (the CSV
    /// reader's fast check relies on it; a test holds it).
    public static let builtInMissingValues = [
        "", "NA", "N/A", "NaN", "nan", "NAN", "null", "NULL", "Null", "None", "#N/A",
    ]
    public var controlArm: String?
    /// Assignment probability per arm label; nil: from the propensity column, else equal.
    public var assignmentProbabilities: [String: Double]?
    /// False for outcomes where less is better (costs, churn): the analysis then maximizes −y.
    public var largerIsBetter = true
    /// The gain worth personalizing for, in outcome units; nil: the configured default.
    public var threshold: Double?
    /// The threshold's line in the manifest, for the check against the data (`checkThreshold`).
    public var thresholdLine: Int?
    /// The file it was read from (errors found once the data are read name it).
    public var file: String?
    /// Outcomes a rollout must not make worse (`outcomes.guardrails`), in the manifest's order.
    public var guardrails: [GuardrailSpec] = []

    public init() {}

    /// A guardrail as the manifest names it; the reader fills in its values.
    public struct GuardrailSpec: Sendable, Hashable {
        public var column: String
        public var largerIsBetter: Bool
        public var maxLoss: MaxLoss

        public init(column: String, largerIsBetter: Bool, maxLoss: MaxLoss) {
            self.column = column
            self.largerIsBetter = largerIsBetter
            self.maxLoss = maxLoss
        }
    }
}

/// Reads `NAME.manifest.yaml`. Errors name the file, line, field and fix, as for proposals.
public enum ManifestFile {
    static let keys = [
        "experiment", "columns", "ignore_columns", "missing_values", "control_arm", "assignment_probabilities",
        "larger_is_better",
        "threshold", "description", "outcomes",
    ]
    static let columnKeys = ["arm", "outcome", "unit_id", "propensity"]

    /// The manifest path for a data file: `flu.csv` and `flu.csv.gz` both pair with `flu.manifest.yaml`.
    public static func path(forData path: String) -> String {
        var stem = path
        for suffix in [".gz", ".csv"] where stem.hasSuffix(suffix) { stem.removeLast(suffix.count) }
        return stem + ".manifest.yaml"
    }

    /// A manifest is a few lines; a larger file is not read (a 1.5 GB one took 2.9 GB to parse).
    public static let maxBytes = 1 << 20

    /// Whether something (even a dangling link) has the manifest's name beside the data.
    public static func exists(atPath path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    public static func load(path: String) throws(InputError) -> DataManifest {
        var info = stat()
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                throw InputError(
                    file: path,
                    field: nil,
                    problem: "the manifest is not a regular file (a link, a pipe or a directory) and was not read",
                    fix:
                        "drop the manifest itself, written elsewhere and renamed into incoming/ (links are never followed)"
                )
            }
            guard Int(info.st_size) <= maxBytes else {
                throw InputError(
                    file: path,
                    field: nil,
                    problem: "the manifest has \(info.st_size) bytes, more than a manifest needs (\(maxBytes))",
                    fix: "keep the manifest to its keys (see README: data drops); the data go in the CSV"
                )
            }
        }
        let text = try YAMLReader.text(atPath: path, fix: "write the manifest as YAML text (see README: data drops)")
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(InputError) -> DataManifest {
        var manifest = DataManifest()
        manifest.file = file
        let root = try YAMLReader.document(text, file: file)
        try root.rejectUnknownKeys(keys)
        if let id = try root.string("experiment", fix: "use letters, digits, '-', '_' or '.'") {
            guard ProposalFile.isUsableExperimentID(id) else {
                throw root.error(
                    "experiment",
                    "'\(InputError.excerpt(id))' is not a usable id",
                    fix: ProposalFile.experimentIDFix
                )
            }
            manifest.experiment = id
        }
        if let columns = try root.child("columns") {
            try columns.rejectUnknownKeys(columnKeys)
            let fix = "give the column's name as it appears in the CSV header"
            manifest.armColumn = try columns.string("arm", fix: fix) ?? manifest.armColumn
            manifest.outcomeColumn = try columns.string("outcome", fix: fix) ?? manifest.outcomeColumn
            manifest.unitIDColumn = try columns.string("unit_id", fix: fix) ?? manifest.unitIDColumn
            manifest.propensityColumn = try columns.string("propensity", fix: fix) ?? manifest.propensityColumn
        }
        if let node = root.value("ignore_columns") {
            guard case .sequence(let items) = node, items.allSatisfy({ $0.string != nil }) else {
                throw root.error(
                    "ignore_columns",
                    "expected a list of column names",
                    fix: "write [created_at, region_code]"
                )
            }
            manifest.ignoredColumns = items.compactMap(\.string)
        }
        if let node = root.value("missing_values") {
            guard case .sequence(let items) = node, !items.isEmpty, items.allSatisfy({ $0.string != nil }) else {
                throw root.error(
                    "missing_values",
                    "expected a list of the cells that mean missing",
                    fix: "write e.g. [\".\", \"-999\", missing] (quote tokens YAML would read otherwise)"
                )
            }
            let tokens = items.compactMap(\.string).map { $0.trimmingCharacters(in: .whitespaces) }
            if let bad = tokens.first(where: { $0.isEmpty || $0.utf8.count > 64 }) {
                throw root.error(
                    "missing_values",
                    "'\(InputError.excerpt(bad))' is \(bad.isEmpty ? "empty (empty cells are missing already)" : "longer than 64 bytes")",
                    fix: "list short tokens such as \".\" or -999"
                )
            }
            manifest.missingValues = tokens
        }
        manifest.controlArm = try root.string("control_arm", fix: "give the control arm's label as in the arm column")
        if let node = root.value("assignment_probabilities") {
            let fix = "write one probability per arm label, e.g. {control: 0.5, nudge-a: 0.25, nudge-b: 0.25}"
            let block = try YAMLReader(file: file, path: "assignment_probabilities", node: node)
            var probabilities: [String: Double] = [:]
            for key in block.keys {
                guard let p = try block.number(key, fix: fix), p > 0, p <= 1 else {
                    throw block.error(key, "is not a probability in (0, 1]", fix: fix)
                }
                probabilities[key] = p
            }
            let total = probabilities.values.reduce(0, +)
            guard abs(total - 1) < 1e-6 else {
                throw root.error("assignment_probabilities", "the probabilities add up to \(total), not 1", fix: fix)
            }
            manifest.assignmentProbabilities = probabilities
        }
        if let node = root.value("larger_is_better") {
            guard let flag = node.bool else {
                throw root.error(
                    "larger_is_better",
                    "expected true or false",
                    fix: "write 'larger_is_better: false' for costs"
                )
            }
            manifest.largerIsBetter = flag
        }
        try parseOutcomes(root, into: &manifest)
        let thresholdFix =
            "give a gain in outcome units, e.g. 0.005 (a manifest takes no {relative: r}: multiply r by the best arm's value)"
        if let threshold = try root.number("threshold", fix: thresholdFix) {
            guard threshold >= 0 else { throw root.error("threshold", "must not be negative", fix: thresholdFix) }
            manifest.threshold = threshold
            manifest.thresholdLine = root.value("threshold")?.mark?.line
        }
        return manifest
    }

    /// A threshold (a manifest's, or a summary's that came from one) against the data: no
    /// policy can average more than the largest outcome, so a gain above that minus the best
    /// arm's mean can never be reached, and the verdict could only ever say "ship".
    /// `largestOutcome` and `bestArmMean` are in the analysis's direction (1 − y, −y when
    /// smaller is better).
    public static func checkThreshold(
        _ threshold: Double,
        largestOutcome: Double,
        bestArmMean: Double,
        binary: Bool,
        file: String,
        line: Int?
    ) throws(InputError) {
        let room = largestOutcome - bestArmMean
        guard threshold > room else { return }
        let show = NumberText.significant
        let meant =
            binary && threshold >= 1 && threshold / 100 <= room
            ? "did you mean \(show(threshold / 100)) (\(show(threshold)) percentage points)? " : ""
        throw InputError(
            file: file,
            field: "threshold",
            line: line,
            problem:
                "a gain of \(show(threshold)) over the best arm (\(show(bestArmMean))) would need a policy averaging above the largest outcome in the data (\(show(largestOutcome))): no policy can gain more than \(show(room))",
            fix:
                "\(meant)give the gain worth personalizing for in the outcome's units\(binary ? " (a 0/1 outcome's are shares: 0.005 is half a percentage point)" : ""), below \(show(room))"
        )
    }

    /// `outcomes: {primary: revenue, guardrails: [{column, larger_is_better, max_loss}]}`.
    static func parseOutcomes(_ root: YAMLReader, into manifest: inout DataManifest) throws(InputError) {
        guard let outcomes = try root.child("outcomes") else { return }
        try outcomes.rejectUnknownKeys(["primary", "guardrails"])
        if let primary = try outcomes.string(
            "primary",
            fix: "give the primary outcome's column name as in the CSV header"
        ) {
            if root.has("columns"), let columns = try root.child("columns"),
                let named = try columns.string("outcome", fix: ""), named != primary
            {
                throw outcomes.error(
                    "primary",
                    "'\(InputError.excerpt(primary))' differs from columns.outcome ('\(InputError.excerpt(named))')",
                    fix: "name the primary outcome in one place: outcomes.primary"
                )
            }
            manifest.outcomeColumn = primary
        }
        guard let node = outcomes.value("guardrails") else { return }
        let example = "write e.g. guardrails: [{column: unsubscribed, larger_is_better: false, max_loss: 0.002}]"
        guard case .sequence(let items) = node else {
            throw outcomes.error("guardrails", "expected a list of guardrails", fix: example)
        }
        let roles = [manifest.armColumn, manifest.unitIDColumn, manifest.propensityColumn]
        for (index, item) in items.enumerated() {
            let entry = try YAMLReader(file: outcomes.file, path: outcomes.field("guardrails[\(index)]"), node: item)
            try entry.rejectUnknownKeys(["column", "larger_is_better", "max_loss"])
            guard let column = try entry.string("column", fix: example), !column.isEmpty else {
                throw entry.error("column", "missing", fix: "name the guardrail's column as in the CSV header")
            }
            if column == manifest.outcomeColumn {
                throw entry.error(
                    "column",
                    "'\(InputError.excerpt(column))' is the primary outcome; a guardrail must be another column",
                    fix: "list only the outcomes that must not get worse besides the primary one"
                )
            }
            if roles.contains(column) || manifest.ignoredColumns.contains(column) {
                throw entry.error(
                    "column",
                    "'\(InputError.excerpt(column))' is the arm, unit_id or propensity column, or ignored",
                    fix: "name a measured outcome column"
                )
            }
            if manifest.guardrails.contains(where: { $0.column == column }) {
                throw entry.error("column", "'\(InputError.excerpt(column))' is listed twice", fix: "keep one entry")
            }
            let larger = try entry.flag("larger_is_better", fix: "write larger_is_better: false for churn or costs")
            let lossFix = "write max_loss: 0.002 (in the outcome's units) or max_loss: {relative: 0.05} (5%)"
            let maxLoss: MaxLoss
            switch entry.value("max_loss") {
            case nil:
                throw entry.error("max_loss", "missing: how much worse the guardrail may get", fix: lossFix)
            case .some(.mapping):
                guard let relative = try entry.child("max_loss") else {
                    throw entry.error("max_loss", "missing", fix: lossFix)
                }
                try relative.rejectUnknownKeys(["relative"])
                guard let share = try relative.number("relative", fix: lossFix) else {
                    throw entry.error("max_loss", "a mapping without 'relative'", fix: lossFix)
                }
                guard share >= 0 else { throw relative.error("relative", "must not be negative", fix: lossFix) }
                maxLoss = .relative(share)
            case .some:
                guard let x = try entry.number("max_loss", fix: lossFix) else {
                    throw entry.error("max_loss", "missing", fix: lossFix)
                }
                guard x >= 0 else { throw entry.error("max_loss", "must not be negative", fix: lossFix) }
                maxLoss = .absolute(x)
            }
            manifest.guardrails.append(.init(column: column, largerIsBetter: larger ?? true, maxLoss: maxLoss))
        }
    }
}
