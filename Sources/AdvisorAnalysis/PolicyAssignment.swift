import AdvisorFormats
import AdvisorIngest
import AdvisorModel
import Foundation

/// New units through a policy file: `experiment-advisor assign`. Rows are read and assigned in
/// batches, so memory stays bounded whatever the file's size (a batch of rows and the policy).
public enum PolicyAssignment {
    /// What an assignment did, for the summary on standard error.
    public struct Summary: Sendable, Hashable {
        public var units = 0
        /// Units per arm, in the policy's arm order.
        public var perArm: [Int]
        /// Units that got the fallback arm, and why (a category the policy never saw, by column).
        public var fallback = 0
        public var unseenCategories: [String: Int] = [:]
    }

    /// Rows per batch: large enough that a T-learner's per-batch model calls cost little.
    static let batchRows = 65_536

    /// Feature values per batch, at most: a policy file's covariates set the row's width (a
    /// forged one with 10^6 categories would make a 65,536-row batch 260 GB), so wide rows make
    /// smaller batches (256 MiB of Float).
    static let batchValues = 1 << 26

    /// The largest score a model may give a unit. Beyond it, adding the guardrail terms or
    /// comparing arms may overflow to ±inf or NaN, and the argmax reads NaN as "keep the first
    /// arm": a unit silently sent to arm 0. No outcome has such values; a forged model does.
    public static let largestScore = 1e100

    /// A model's score that is not finite or beyond `largestScore`, for the batch's `row`.
    struct UnusableScore: Error {
        var field: String
        var row: Int
        var score: Double
    }

    /// One model of a policy file, its every score checked (`UnusableScore`).
    struct CheckedModel: FittedOutcomeModel {
        var model: any FittedOutcomeModel
        /// The model's place in the policy file (`models[2]`).
        var field: String

        func predict(_ features: FeatureMatrix) throws -> [Double] {
            let scores = try model.predict(features)
            if let row = scores.firstIndex(where: { !($0.magnitude <= PolicyAssignment.largestScore) }) {
                throw UnusableScore(field: field, row: row, score: scores[row])
            }
            return scores
        }
    }

    /// Assigns every unit of `dataPath`; `emit` receives each unit's id and arm name, in file
    /// order. The units are read as `analyze` read the drop: the same missing-value tokens (the
    /// built-in ones, the policy file's and `manifest`'s) and the same id column (`manifest`'s
    /// `columns.unit_id`, else the one the policy file records, else `unit_id`). An id column
    /// the manifest or the policy names must be there; only without one is a unit's id its row
    /// number from 1. A uniform policy reads no covariate.
    public static func run(
        policy file: PolicyFile,
        policyPath: String,
        dataPath: String,
        manifest: DataManifest? = nil,
        emit: (String, String) -> Void
    ) throws(InputError) -> Summary {
        let policy = try file.policy(file: policyPath)
        let reader = try CSVRowReader(path: dataPath)
        guard let header = try reader.next()?.map({ $0.trimmingCharacters(in: .whitespaces) }) else {
            throw InputError(
                file: dataPath,
                field: nil,
                problem: "the file is empty",
                fix: "drop the units with a header row"
            )
        }
        // Where each source column is; a column the policy reads must be there.
        let covariates = file.kind == "uniform" ? [] : file.covariates
        var columns: [Int] = []
        for encoding in covariates {
            guard let index = header.firstIndex(of: encoding.column) else {
                throw InputError(
                    file: dataPath,
                    field: "column '\(encoding.column)'",
                    line: 1,
                    problem: "the policy reads this column and the file has none",
                    fix:
                        "give the units' covariates under the names the policy was learned with (\(file.covariates.map(\.column).joined(separator: ", ")))"
                )
            }
            columns.append(index)
        }
        let unitColumn = try idColumn(header, policy: file, dataPath: dataPath, manifest)
        let width = covariates.reduce(0) { $0 + $1.featureNames.count }
        let rowsPerBatch = max(1, min(batchRows, batchValues / max(width, 1)))
        let missing = Set(file.missingValues + DataManifest.builtInMissingValues + (manifest?.missingValues ?? []))
        // A category listed twice (a hand-edited file) keeps its first position, never a trap.
        let categoryIndex = covariates.map { encoding in
            encoding.categories.map {
                Dictionary($0.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            }
        }
        guard let fallback = file.arms.firstIndex(of: file.fallbackArm) else {
            throw InputError(
                file: policyPath,
                field: "fallback_arm",
                problem: "'\(file.fallbackArm)' is not one of the file's arms",
                fix: "use the policy file the analysis wrote, unchanged"
            )
        }
        var summary = Summary(perArm: Array(repeating: 0, count: file.arms.count))
        var values: [Float] = []
        var ids: [String] = []
        var unscorable: [Bool] = []
        func flush() throws(InputError) {
            guard !ids.isEmpty else { return }
            let arms: [Int]
            do {
                arms = try policy.assign(FeatureMatrix(values: values, rows: ids.count, columns: width))
            } catch let error as UnusableScore {
                throw InputError(
                    file: policyPath,
                    field: error.field,
                    problem:
                        "gives unit '\(InputError.excerpt(ids[error.row]))' of \(dataPath) the score \(NumberText.shortest(error.score)), which cannot be compared (not finite, or beyond ±\(NumberText.shortest(largestScore)))",
                    fix: "use the policy file the analysis wrote, unchanged, and check that unit's covariates"
                )
            } catch {
                throw InputError(
                    file: policyPath,
                    field: "models",
                    problem: "the policy's models could not score the units (\(error))",
                    fix: "use the policy file the analysis wrote, unchanged"
                )
            }
            for (k, id) in ids.enumerated() {
                let arm = unscorable[k] ? fallback : arms[k]
                summary.perArm[arm] += 1
                emit(id, file.arms[arm])
            }
            summary.units += ids.count
            values.removeAll(keepingCapacity: true)
            ids.removeAll(keepingCapacity: true)
            unscorable.removeAll(keepingCapacity: true)
        }
        var row = 0
        while let fields = try reader.next() {
            row += 1
            if fields.count == 1 && fields[0].isEmpty { continue }  // a blank line
            let line = reader.rowLine
            guard fields.count == header.count else {
                throw InputError(
                    file: dataPath,
                    field: nil,
                    line: line,
                    problem: "this row has \(fields.count) fields, the header \(header.count)",
                    fix: "give every row the header's columns"
                )
            }
            var cannotScore = false
            for (slot, encoding) in covariates.enumerated() {
                let text = fields[columns[slot]].trimmingCharacters(in: .whitespaces)
                if let index = categoryIndex[slot], let categories = encoding.categories {
                    if missing.contains(text) {
                        values += Array(repeating: .nan, count: categories.count)
                    } else if let hot = index[text] {
                        values += (0..<categories.count).map { $0 == hot ? 1 : 0 }
                    } else {
                        values += Array(repeating: .nan, count: categories.count)
                        cannotScore = true
                        summary.unseenCategories[encoding.column, default: 0] += 1
                    }
                } else if missing.contains(text) {
                    values.append(.nan)
                } else if let x = Double(text), x.isFinite, Float(x).isFinite {
                    values.append(Float(x))
                } else if let x = Double(text), x.isFinite {
                    // Models read Float: 1e300 would become inf, and every score with it.
                    throw InputError(
                        file: dataPath,
                        field: "column '\(encoding.column)'",
                        line: line,
                        problem: "'\(InputError.excerpt(text))' is beyond ±3.4e38, the largest value the models read",
                        fix: "give the value in the units the policy was learned with"
                    )
                } else {
                    throw InputError(
                        file: dataPath,
                        field: "column '\(encoding.column)'",
                        line: line,
                        problem:
                            "'\(InputError.excerpt(text))' is not a number (the policy learned this column as numbers)",
                        fix: "give a number, or leave the cell empty for a missing value"
                    )
                }
            }
            if cannotScore { summary.fallback += 1 }
            unscorable.append(cannotScore)
            if let unitColumn {
                let id = fields[unitColumn].trimmingCharacters(in: .whitespaces)
                guard !id.isEmpty else {
                    throw InputError(
                        file: dataPath,
                        field: "column '\(header[unitColumn])'",
                        line: line,
                        problem: "this unit has no id, so its assignment could not be joined to it",
                        fix: "give every unit its id in '\(header[unitColumn])'"
                    )
                }
                ids.append(id)
            } else {
                ids.append(String(row))
            }
            if ids.count == rowsPerBatch { try flush() }
        }
        try flush()
        return summary
    }

    /// The id column's index in `header`; nil (row numbers) only when neither the manifest nor
    /// the policy file names one and there is no `unit_id` column.
    static func idColumn(
        _ header: [String],
        policy file: PolicyFile,
        dataPath: String,
        _ manifest: DataManifest?
    ) throws(InputError) -> Int? {
        let defaultName = DataManifest().unitIDColumn
        let named: (column: String, by: String)? =
            if let manifest, manifest.unitIDColumn != defaultName {
                (manifest.unitIDColumn, "the manifest's columns.unit_id (\(manifest.file ?? "--manifest"))")
            } else if let recorded = file.unitIdColumn {
                (recorded, "the policy file's unit_id_column, where the analyzed units had their ids")
            } else {
                nil
            }
        guard let named else { return header.firstIndex(of: defaultName) }
        guard let index = header.firstIndex(of: named.column) else {
            throw InputError(
                file: dataPath,
                field: "column '\(named.column)'",
                line: 1,
                problem:
                    "there is no column '\(named.column)', which holds the units' ids by \(named.by); row numbers in its place would join each arm to the wrong unit",
                fix:
                    "add the '\(named.column)' column with each unit's id, or give --manifest a manifest whose columns.unit_id names the file's id column"
            )
        }
        return index
    }
}
