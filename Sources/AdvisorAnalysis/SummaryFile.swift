import AdvisorFormats
import AdvisorModel
import Foundation

/// `NAME.summary.json`: an analysis summary as a file (EstimatingParameters.md, "The analysis
/// summary"). Written by `analyze --summary-out` and by spark/advisor_job.py; read by the
/// daemon and `analyze`, which decide from it as from a data drop. Reading checks what the
/// decision relies on (the format and version, every required field, finite numbers, sizes that
/// add up) and names the field that fails.
public enum SummaryFile {
    public static let suffix = ".summary.json"
    /// A summary holds aggregates only: even 200 arms with replicates stay far below this.
    public static let maxBytes = 64 << 20

    public static func isSummaryFile(_ name: String) -> Bool { name.lowercased().hasSuffix(suffix) }

    /// The summary as JSON, snake_case keys like every report.
    public static func json(_ summary: AnalysisSummary) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(summary), as: UTF8.self) + "\n"
    }

    public static func load(path: String) throws(InputError) -> AnalysisSummary {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw InputError(file: path, field: nil, problem: "cannot be read", fix: "check the file's permissions")
        }
        defer { try? handle.close() }
        let bytes = (try? handle.read(upToCount: maxBytes + 1)) ?? Data()
        guard bytes.count <= maxBytes else {
            throw InputError(
                file: path,
                field: nil,
                problem: "is larger than \(maxBytes >> 20) MiB, more than any summary holds",
                fix: "drop the summary the job wrote (NAME.summary.json), not the data"
            )
        }
        return try parse(bytes, path: path)
    }

    /// The largest magnitude a summary's number may have. Outcomes, gains and their standard
    /// errors are squared and multiplied by z-scores on the way to a verdict: beyond this they
    /// overflow to infinity (1e308 did, and trapped the page that drew it). No measurement in
    /// outcome units, and no count of units, comes near it.
    public static let largestMagnitude = 1e15

    /// The fields a summary writes as whole numbers, so `best_uniform_arm: 0.5` is named as
    /// such rather than failing the decoder as "not valid JSON".
    static let integerKeys: Set<String> = [
        "version", "best_uniform_arm", "rows_read", "seed", "units", "training_units", "holdout_units", "rows_dropped",
        "duplicate_unit_ids", "smallest_cell", "cells_per_arm", "replications", "depth",
    ]

    /// What a summary may hold, checked in one pass before it is decoded: its deepest part (a
    /// tree's rule's condition) is six levels down; numbers finite and bounded, except the
    /// 64-bit seed; no control characters (a name with a newline would forge report lines).
    static let scanLimits = JSONScan.Limits(
        maxDepth: 16,
        largestMagnitude: largestMagnitude,
        integerKeys: integerKeys,
        unboundedKeys: ["seed"],
        refuseControlCharacters: true
    )

    /// Decodes and checks a summary; `path` names the file in errors.
    public static func parse(_ bytes: Data, path: String) throws(InputError) -> AnalysisSummary {
        do {
            try JSONScan.check(bytes, limits: scanLimits)
        } catch {
            throw InputError(
                file: path,
                field: error.field,
                problem: error.problem,
                fix: "drop the summary as the job wrote it; a summary must not be edited by hand"
            )
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        // The format and version first, so a summary from another version is told so, not
        // blamed for a field that version names differently.
        struct Header: Decodable {
            var format: String?
            var version: Int?
        }
        guard let header = try? decoder.decode(Header.self, from: bytes) else {
            throw InputError(
                file: path,
                field: nil,
                problem: "is not a JSON object",
                fix: "drop the summary as the job wrote it (one JSON object)"
            )
        }
        guard header.format == AnalysisSummary.formatName else {
            throw InputError(
                file: path,
                field: "format",
                problem: header.format.map { "is '\(InputError.excerpt($0))'" } ?? "is missing",
                fix:
                    "a summary says \"format\": \"\(AnalysisSummary.formatName)\"; drop only files the job or `analyze --summary-out` wrote"
            )
        }
        guard header.version == AnalysisSummary.currentVersion else {
            throw InputError(
                file: path,
                field: "version",
                problem: header.version.map { "is \($0); this build reads version \(AnalysisSummary.currentVersion)" }
                    ?? "is missing",
                fix: "run the job of the same release as the daemon (spark/advisor_job.py ships with it)"
            )
        }
        let summary: AnalysisSummary
        do {
            summary = try decoder.decode(AnalysisSummary.self, from: bytes)
        } catch let error as DecodingError {
            throw describe(error, path: path)
        } catch {
            throw InputError(file: path, field: nil, problem: "could not be read (\(error))", fix: "write it again")
        }
        try check(summary, path: path)
        return summary
    }

    /// A decoding error as the field it is about, in the file's own (snake_case) names.
    static func describe(_ error: DecodingError, path: String) -> InputError {
        func field(_ codingPath: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            (codingPath + (key.map { [$0] } ?? [])).map { key in
                key.intValue.map { "[\($0)]" } ?? snakeCase(key.stringValue)
            }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return InputError(
                file: path,
                field: field(context.codingPath, key),
                problem: "is missing",
                fix:
                    "every field of version \(AnalysisSummary.currentVersion) is required (EstimatingParameters.md, \"The analysis summary\")"
            )
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return InputError(
                file: path,
                field: field(context.codingPath),
                problem: "has the wrong type (\(context.debugDescription))",
                fix: "give it as the format says: numbers as JSON numbers, names as strings"
            )
        case .dataCorrupted(let context):
            return InputError(
                file: path,
                field: context.codingPath.isEmpty ? nil : field(context.codingPath),
                problem: "is not valid (\(context.debugDescription))",
                fix: "numbers must be finite JSON numbers; write the summary again"
            )
        @unknown default:
            return InputError(file: path, field: nil, problem: "could not be read", fix: "write it again")
        }
    }

    static func snakeCase(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isUppercase {
                out += "_" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// What decoding cannot see: sizes that add up, shares that are shares, numbers that are
    /// finite and in range, names that refer to something.
    static func check(_ s: AnalysisSummary, path: String) throws(InputError) {
        func fail(_ field: String, _ problem: String, _ fix: String) -> InputError {
            InputError(file: path, field: field, problem: problem, fix: fix)
        }
        let regenerate = "write the summary again from the data; a summary must not be edited by hand"
        guard ProposalFile.isUsableExperimentID(s.experiment) else {
            throw fail(
                "experiment",
                "'\(InputError.excerpt(s.experiment))' cannot name a report folder",
                ProposalFile.experimentIDFix
            )
        }
        let arms = s.data.arms
        guard arms.count >= 2 else {
            throw fail("data.arms", "lists \(arms.count) arm(s)", "a test compares at least two arms")
        }
        guard Set(arms.map(\.arm)).count == arms.count else {
            throw fail("data.arms", "names an arm twice", regenerate)
        }
        for (a, arm) in arms.enumerated() where arm.units < 0 {
            throw fail("data.arms[\(a)].units", "is \(arm.units), a negative count", regenerate)
        }
        for (field, count) in [
            ("data.units", s.data.units), ("data.training_units", s.data.trainingUnits),
            ("data.rows_dropped", s.data.rowsDropped), ("data.duplicate_unit_ids", s.data.duplicateUnitIds),
            ("provenance.rows_read", s.provenance.rowsRead), ("estimates.smallest_cell", s.estimates.smallestCell),
            ("policy_choice.units", s.policyChoice.units),
        ] where count < 0 {
            throw fail(field, "is \(count), a negative count", regenerate)
        }
        // Counts are bounded by the scan, but sums are checked for overflow all the same: a
        // trap here would be the worker's death, not an answer.
        var armTotal = 0
        for arm in arms {
            let (sum, overflow) = armTotal.addingReportingOverflow(arm.units)
            guard !overflow else { throw fail("data.arms", "hold more units than can be counted", regenerate) }
            armTotal = sum
        }
        guard armTotal == s.data.units else {
            throw fail("data.units", "is \(s.data.units) but the arms' units add up to \(armTotal)", regenerate)
        }
        let (split, splitOverflow) = s.data.trainingUnits.addingReportingOverflow(s.data.holdoutUnits)
        guard s.data.holdoutUnits > 0, !splitOverflow, split == s.data.units else {
            throw fail(
                "data.holdout_units",
                "training (\(s.data.trainingUnits)) and holdout (\(s.data.holdoutUnits)) units do not add up to the \(s.data.units) units",
                regenerate
            )
        }
        guard s.trainingSizes.count == arms.count else {
            throw fail("training_sizes", "has \(s.trainingSizes.count) entries for \(arms.count) arms", regenerate)
        }
        guard s.trainingSizes.allSatisfy({ $0.isFinite && $0 >= 0 }),
            abs(s.trainingSizes.reduce(0, +) - Double(s.data.trainingUnits)) < 0.5
        else {
            throw fail("training_sizes", "do not add up to data.training_units (\(s.data.trainingUnits))", regenerate)
        }
        guard arms.indices.contains(s.bestUniformArm) else {
            throw fail("best_uniform_arm", "is \(s.bestUniformArm), not an arm's index (0..<\(arms.count))", regenerate)
        }
        guard !s.policies.isEmpty else {
            throw fail("policies", "is empty", "the summary must judge at least one policy")
        }
        let names = arms.map(\.arm)
        for (p, policy) in s.policies.enumerated() {
            let field = "policies[\(p)]"
            guard policy.armShares.map(\.arm) == names else {
                throw fail("\(field).arm_shares", "does not list the arms of data.arms in their order", regenerate)
            }
            let total = policy.armShares.reduce(0) { $0 + $1.share }
            guard policy.armShares.allSatisfy({ $0.share >= 0 && $0.share <= 1 }), abs(total - 1) < 1e-6 else {
                throw fail(
                    "\(field).arm_shares",
                    "are not shares that add up to 1 (they add up to \(total))",
                    regenerate
                )
            }
            for (name, c) in [("aipw", policy.aipw), ("ipw", policy.ipw)] {
                guard [c.policyValue, c.uniformValue, c.gain, c.standardError].allSatisfy(\.isFinite),
                    c.standardError >= 0
                else {
                    throw fail(
                        "\(field).\(name)",
                        "holds a number that is not finite, or a negative standard error",
                        regenerate
                    )
                }
                // The gain is the policy's value less the uniform arm's (summed unit by unit, so
                // equal up to rounding): a gain that says otherwise was not computed, it was written.
                let difference = c.policyValue - c.uniformValue
                let scale = max(abs(c.policyValue), abs(c.uniformValue), abs(c.gain))
                guard abs(c.gain - difference) <= 1e-6 * scale + 1e-12 else {
                    throw fail(
                        "\(field).\(name).gain",
                        "is \(NumberText.shortest(c.gain)), but policy_value − uniform_value is \(NumberText.shortest(difference))",
                        regenerate
                    )
                }
                if let relative = c.relativeGain {
                    guard c.uniformValue > 0, abs(relative - c.gain / c.uniformValue) <= 1e-6 * (abs(relative) + 1e-12)
                    else {
                        throw fail(
                            "\(field).\(name).relative_gain",
                            "is \(NumberText.shortest(relative)), not gain / uniform_value",
                            regenerate
                        )
                    }
                }
            }
            for (k, point) in policy.gainCurve.enumerated() where !(point.standardError >= 0) {
                throw fail("\(field).gain_curve[\(k)].standard_error", "is negative", regenerate)
            }
            for (k, outcome) in policy.outcomes.enumerated() where !(outcome.standardError >= 0) {
                throw fail("\(field).outcomes[\(k)].standard_error", "is negative", regenerate)
            }
        }
        guard s.policies.contains(where: { $0.name == s.policyChoice.policy }) else {
            throw fail(
                "policy_choice.policy",
                "'\(InputError.excerpt(s.policyChoice.policy))' is none of the policies",
                regenerate
            )
        }
        if let threshold = s.threshold, threshold < 0 {
            throw fail(
                "threshold",
                "is \(NumberText.shortest(threshold)); a gain worth personalizing for is not negative",
                "give the manifest's threshold (≥ 0), or leave it out"
            )
        }
        let e = s.estimates
        guard let modelError = e.modelError else {
            throw fail(
                "estimates.model_error",
                "is missing; without it the prediction would silently use another σ_ε",
                regenerate
            )
        }
        guard modelError.predictionError >= 0 else {
            throw fail("estimates.model_error.prediction_error", "is negative", regenerate)
        }
        if let errors = e.standardErrors {
            let named = [
                ("sigma", errors.sigma), ("rho", errors.rho), ("s", errors.s),
                ("prediction_error", errors.predictionError), ("model_error", errors.modelError ?? 0),
            ]
            for (name, value) in named where !(value >= 0) {
                throw fail("estimates.standard_errors.\(name)", "is negative", regenerate)
            }
        }
        for (name, value) in [
            ("uniform_training_standard_error", s.fragility.uniformTrainingStandardError),
            ("uniform_holdout_standard_error", s.fragility.uniformHoldoutStandardError),
        ] where !(value >= 0) {
            throw fail("fragility.\(name)", "is negative", regenerate)
        }
        guard
            [e.sigma, e.rho, e.s, e.predictionError, e.predictionErrorRefined, e.irreducibleNoise, e.sigmaEpsilon]
                .allSatisfy(\.isFinite), e.sigma >= 0, e.s >= 0, (-1...1).contains(e.rho), e.sigmaEpsilon >= 0
        else {
            throw fail(
                "estimates",
                "holds a value that is not finite or out of its range (σ, s, σ_ε ≥ 0; ρ in [−1, 1])",
                regenerate
            )
        }
        guard s.estimateReplicates.allSatisfy({ [$0.sigma, $0.rho, $0.sigmaEpsilon].allSatisfy(\.isFinite) }),
            s.estimateReplicateScale.isFinite, s.estimateReplicateScale > 0
        else {
            throw fail("estimate_replicates", "holds a number that is not finite", regenerate)
        }
        let f = s.fragility
        guard
            [
                f.topPercentShare, f.uniformTrainingMean, f.uniformTrainingStandardError, f.uniformHoldoutMean,
                f.uniformHoldoutStandardError,
            ].allSatisfy(\.isFinite)
        else {
            throw fail("fragility", "holds a number that is not finite", regenerate)
        }
        guard s.data.outcomeSD.isFinite, s.data.outcomeSD >= 0, arms.allSatisfy({ $0.mean.isFinite }) else {
            throw fail("data", "holds an outcome SD or arm mean that is not finite", regenerate)
        }
        for (k, r) in s.estimateReplicates.enumerated() where !(r.sigma >= 0 && r.sigmaEpsilon >= 0 && abs(r.rho) <= 1)
        {
            throw fail(
                "estimate_replicates[\(k)]",
                "holds a negative σ or σ_ε, or a ρ outside [−1, 1]",
                regenerate
            )
        }
        try checkScale(s, fail: fail)
    }

    /// How many outcome SDs a spread, a gain or a standard error may be. Honest ones are a few
    /// at most (σ and s cannot exceed the outcome's own spread); the gain engine's quadrature
    /// resolves s against the noise of the arm means, and at 10^15 outcome SDs (s = 1e15 with an
    /// SD of 0.6) its grid collapsed and the worker trapped.
    public static let largestInOutcomeSDs = 1e6

    /// The smallest outcome SD a summary may state.
    public static let smallestOutcomeSD = 1e-9

    /// Every spread, gain and standard error within `largestInOutcomeSDs` outcome SDs, which
    /// must itself be positive (a constant outcome is refused when the data are read).
    static func checkScale(
        _ s: AnalysisSummary,
        fail: (String, String, String) -> InputError
    ) throws(InputError) {
        let sd = s.data.outcomeSD
        let regenerate = "write the summary again from the data; a summary must not be edited by hand"
        // The engine's quadrature has absolute tolerances: at an outcome SD of 1e-27 its grid
        // collapsed. No measurement varies by less than this in the units it is recorded in.
        guard sd >= smallestOutcomeSD else {
            throw fail(
                "data.outcome_sd",
                "is \(NumberText.shortest(sd)), below \(NumberText.shortest(smallestOutcomeSD)): the outcome barely varies",
                "record the outcome in units in which it varies (a constant outcome cannot be personalized)"
            )
        }
        let e = s.estimates
        var figures: [(String, Double)] = [
            ("estimates.sigma", e.sigma), ("estimates.sigma_uncorrected", e.sigmaUncorrected), ("estimates.s", e.s),
            ("estimates.s_uncorrected", e.sUncorrected), ("estimates.prediction_error", e.predictionError),
            ("estimates.prediction_error_refined", e.predictionErrorRefined),
            ("estimates.irreducible_noise", e.irreducibleNoise),
            ("estimates.model_error.prediction_error", e.modelError?.predictionError ?? 0),
        ]
        if let errors = e.standardErrors {
            figures += [
                ("estimates.standard_errors.sigma", errors.sigma), ("estimates.standard_errors.s", errors.s),
                ("estimates.standard_errors.prediction_error", errors.predictionError),
                ("estimates.standard_errors.model_error", errors.modelError ?? 0),
            ]
        }
        for (k, r) in s.estimateReplicates.enumerated() {
            figures += [
                ("estimate_replicates[\(k)].sigma", r.sigma),
                ("estimate_replicates[\(k)].sigma_epsilon", r.sigmaEpsilon),
            ]
        }
        for (p, policy) in s.policies.enumerated() {
            for (name, c) in [("aipw", policy.aipw), ("ipw", policy.ipw)] {
                figures += [
                    ("policies[\(p)].\(name).gain", c.gain), ("policies[\(p)].\(name).standard_error", c.standardError),
                ]
            }
            for (k, point) in policy.gainCurve.enumerated() {
                figures += [
                    ("policies[\(p)].gain_curve[\(k)].gain", point.gain),
                    ("policies[\(p)].gain_curve[\(k)].standard_error", point.standardError),
                ]
            }
        }
        figures += [
            ("fragility.uniform_training_standard_error", s.fragility.uniformTrainingStandardError),
            ("fragility.uniform_holdout_standard_error", s.fragility.uniformHoldoutStandardError),
        ]
        for (field, value) in figures where !(abs(value) <= largestInOutcomeSDs * sd) {
            throw fail(
                field,
                "is \(NumberText.shortest(value)), more than \(NumberText.shortest(largestInOutcomeSDs)) times the outcome's SD (\(NumberText.shortest(sd)))",
                regenerate
            )
        }
    }
}
