import AdvisorFormats
import AdvisorModel
import Foundation

/// What any reader of a data drop hands over, whatever the file's format: one entry per kept
/// row, the role columns' names (for error messages) and the counts of what was read.
struct DataDropColumns {
    var path: String
    var armNames: [String]
    var arms: [Int]
    var outcomes: [Double]
    /// Per-row assignment probabilities; nil when the file has no propensity column.
    var propensities: [Double]?
    var features: FeatureMatrix
    var covariateNames: [String]
    var covariateEncoding: [CovariateEncoding]
    var armColumn: String
    var outcomeColumn: String
    var rowsRead: Int
    var rowsDropped: Int
    var droppedLines: [Int]
    var duplicateUnitIDs = 0
    /// Per row, Spark's `xxhash64` of its unit id (0 for an empty one); nil without a unit_id
    /// column. The split reads it (TLearnerSplit).
    var unitKeys: [UInt64]? = nil
    var bytesRead: Int
    /// The manifest's guardrail columns, values as read (rows missing any outcome dropped).
    var guardrails: [GuardrailColumn] = []

    struct GuardrailColumn {
        var column: String
        var values: [Double]
        /// Cells left empty (or a missing token): their rows are among `rowsDropped`.
        var missingCells: Int
    }
}

/// The checks a data drop must pass before it is analyzed, and the manifest applied to it
/// (probabilities, control arm, direction, experiment). Independent of CSV, so a second format
/// reads into `DataDropColumns` and shares every check and message.
enum DataDropValidation {
    /// The largest outcome magnitude read, and the smallest SD. XGBoost reads labels as Float
    /// (1e308 failed deep inside it, with its stack trace as the message), and the gain engine's
    /// quadrature has absolute tolerances (outcomes of 1e-28 collapsed its grid and trapped the
    /// worker); an analysis summary is held to the same (SummaryFile).
    static let largestOutcome = 1e15
    static let smallestOutcomeSD = 1e-9

    /// An outcome column within `largestOutcome` in magnitude and varying by `smallestOutcomeSD`.
    static func checkScale(_ values: [Double], column: String, path: String) throws(InputError) {
        var largest = 0.0
        var sum = 0.0
        for y in values {
            largest = max(largest, abs(y))
            sum += y
        }
        guard largest <= largestOutcome else {
            throw InputError(
                file: path,
                field: "column '\(column)'",
                line: nil,
                problem: "holds values as large as \(NumberText.shortest(largest)), beyond ±1e15",
                fix: "record the outcome in units in which it stays below 1e15"
            )
        }
        let mean = sum / Double(max(values.count, 1))
        var squares = 0.0
        for y in values { squares += (y - mean) * (y - mean) }
        let sd = (squares / Double(max(values.count - 1, 1))).squareRoot()
        guard sd >= smallestOutcomeSD else {
            throw InputError(
                file: path,
                field: "column '\(column)'",
                line: nil,
                problem: "varies by an SD of \(NumberText.shortest(sd)), below 1e-9",
                fix: "record the outcome in units in which it varies (multiply it by a power of ten)"
            )
        }
    }

    static func validate(
        _ c: DataDropColumns,
        manifest: DataManifest,
        limits: IngestLimits
    ) throws(InputError)
        -> DataDrop
    {
        let path = c.path
        guard c.rowsRead > 0 else {
            throw InputError(
                file: path,
                field: nil,
                line: nil,
                problem: "the file has a header but no rows",
                fix: "drop the file with its data rows"
            )
        }
        let badShare = Double(c.rowsDropped) / Double(c.rowsRead)
        if badShare > limits.maxBadRowShare {
            throw InputError(
                file: path,
                field: nil,
                line: c.droppedLines.first,
                problem:
                    "\(c.rowsDropped) of \(c.rowsRead) rows (\(NumberText.percent(badShare))) have no arm or a missing outcome"
                    + (c.droppedLines.isEmpty
                        ? "" : " (first at lines \(c.droppedLines.map(String.init).joined(separator: ", ")))")
                    + c.guardrails.filter { $0.missingCells > 0 }.map {
                        "; guardrail '\($0.column)': \($0.missingCells) cells missing"
                    }.joined(),
                fix:
                    "fill in the arm and every outcome of every unit, or raise max_bad_row_share (now \(limits.maxBadRowShare))"
            )
        }
        let armNames = c.armNames
        guard armNames.count >= 2 else {
            throw InputError(
                file: path,
                field: "column '\(c.armColumn)'",
                line: nil,
                problem: "every unit has the same arm ('\(armNames.first ?? "")')",
                fix: "drop the results of a test with at least two arms"
            )
        }
        var counts = Array(repeating: 0, count: armNames.count)
        for a in c.arms { counts[a] += 1 }
        for (a, n) in counts.enumerated() where n < limits.minUnitsPerArm {
            throw InputError(
                file: path,
                field: "column '\(c.armColumn)'",
                line: nil,
                problem: "arm '\(armNames[a])' has \(n) units, fewer than min_units_per_arm (\(limits.minUnitsPerArm))",
                fix: "drop the arm's rows, merge it with a similar arm, or lower min_units_per_arm"
            )
        }
        for guardrail in c.guardrails {
            guard let first = guardrail.values.first, guardrail.values.contains(where: { $0 != first }) else {
                throw InputError(
                    file: path,
                    field: "column '\(guardrail.column)'",
                    line: nil,
                    problem:
                        "the guardrail outcome is the same (\(NumberText.significant(guardrail.values.first ?? 0))) for every unit",
                    fix: "check that the column holds the measured outcome, or drop it from outcomes.guardrails"
                )
            }
        }
        var outcomes = c.outcomes
        guard let first = outcomes.first, outcomes.contains(where: { $0 != first }) else {
            throw InputError(
                file: path,
                field: "column '\(c.outcomeColumn)'",
                line: nil,
                problem: "the outcome is the same (\(NumberText.significant(outcomes.first ?? 0))) for every unit",
                fix: "check that the outcome column holds the measured result"
            )
        }
        try checkScale(outcomes, column: c.outcomeColumn, path: path)
        for guardrail in c.guardrails { try checkScale(guardrail.values, column: guardrail.column, path: path) }
        let propensities: [Double]
        if let given = c.propensities {
            propensities = given
        } else if let given = manifest.assignmentProbabilities {
            for name in armNames where given[name] == nil {
                throw InputError(
                    file: ManifestFile.path(forData: path),
                    field: "assignment_probabilities",
                    line: nil,
                    problem: "arm '\(name)' has no probability",
                    fix: "give a probability for every arm label in the data"
                )
            }
            propensities = c.arms.map { given[armNames[$0]] ?? 0 }
        } else {
            // Equal chances, unless the counts rule them out: more than 6 SDs from an equal split
            // (p < 1e-8 per arm) is an unequal design whose probabilities the drop does not give,
            // and equal weights would bias every IPW and AIPW figure.
            let n = Double(c.arms.count)
            let share = 1 / Double(armNames.count)
            let sd = (n * share * (1 - share)).squareRoot()
            if let worst = counts.indices.max(by: {
                abs(Double(counts[$0]) - n * share) < abs(Double(counts[$1]) - n * share)
            }),
                abs(Double(counts[worst]) - n * share) > 6 * sd
            {
                let sizes = counts.indices.sorted { counts[$0] > counts[$1] }.prefix(6)
                    .map { "'\(armNames[$0])' \(counts[$0])" }.joined(separator: ", ")
                throw InputError(
                    file: path,
                    field: "column '\(c.armColumn)'",
                    line: nil,
                    problem:
                        "the arms' sizes (\(sizes)) are far from equal, but no propensity column or assignment_probabilities says how units were assigned, and equal chances cannot give these counts",
                    fix:
                        "give assignment_probabilities in \((ManifestFile.path(forData: path) as NSString).lastPathComponent) (each arm's share, if that was the design) or a propensity column"
                )
            }
            propensities = Array(repeating: share, count: c.arms.count)
        }
        var controlArm: Int?
        if let control = manifest.controlArm {
            guard let index = armNames.firstIndex(of: control) else {
                throw InputError(
                    file: ManifestFile.path(forData: path),
                    field: "control_arm",
                    line: nil,
                    problem:
                        "'\(InputError.excerpt(control))' is not an arm in the data (arms: \(armNames.prefix(8).joined(separator: ", ")))",
                    fix: "give the control arm's label exactly as in the arm column"
                )
            }
            controlArm = index
        }
        let binary = outcomes.allSatisfy { $0 == 0 || $0 == 1 }
        // Smaller is better: maximize −y, or 1 − y for a 0/1 outcome so it stays 0/1.
        if !manifest.largerIsBetter { outcomes = outcomes.map { binary ? 1 - $0 : -$0 } }
        if let threshold = manifest.threshold {
            var sums = Array(repeating: 0.0, count: armNames.count)
            for (a, y) in zip(c.arms, outcomes) { sums[a] += y }
            let best = sums.indices.map { sums[$0] / Double(max(counts[$0], 1)) }.max() ?? 0
            try ManifestFile.checkThreshold(
                threshold,
                largestOutcome: outcomes.max() ?? 0,
                bestArmMean: best,
                binary: binary,
                file: manifest.file ?? ManifestFile.path(forData: path),
                line: manifest.thresholdLine
            )
        }
        var data = ExperimentData(
            armNames: armNames,
            arm: c.arms,
            outcome: outcomes,
            features: c.features,
            propensity: propensities
        )
        data.controlArm = controlArm
        data.unitKeys = c.unitKeys.map { keys in
            keys.enumerated().map { $1 != 0 ? $1 : ExperimentData.rowKey($0) }
        }
        data.guardrails = zip(manifest.guardrails, c.guardrails).map { spec, column in
            Guardrail(
                column: spec.column,
                values: column.values,
                largerIsBetter: spec.largerIsBetter,
                maxLoss: spec.maxLoss
            )
        }
        return DataDrop(
            experiment: manifest.experiment ?? DataDrop.experimentID(forDataPath: path),
            data: data,
            covariateNames: c.covariateNames,
            covariateEncoding: c.covariateEncoding,
            binaryOutcome: binary,
            rowsRead: c.rowsRead,
            rowsDropped: c.rowsDropped,
            droppedLines: c.droppedLines,
            duplicateUnitIDs: c.duplicateUnitIDs,
            bytesRead: c.bytesRead,
            controlArm: controlArm,
            missingGuardrailCells: Dictionary(uniqueKeysWithValues: c.guardrails.map { ($0.column, $0.missingCells) })
        )
    }
}
