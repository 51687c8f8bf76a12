import AdvisorModel
import Foundation
import Yams

/// Reads proposal files (YAML; JSON is accepted as YAML) into validated `Proposal` values.
/// The format is documented in README.md and `config/proposals/example-minimal.yaml`.
public enum ProposalFile {
    static let topLevelKeys = [
        "experiment", "arms", "baseline", "sample_size", "outcome", "priors", "arm_means", "threshold", "seed",
        "compare_with", "description",
    ]

    /// The largest arm count accepted. The engine is tested at m = 1000; beyond a few thousand
    /// arms no test has the units to learn a per-arm model, and reports would only get slower.
    public static let maximumArms = 5000

    /// Reads and validates the proposal at `path`.
    public static func load(path: String) throws(InputError) -> Proposal {
        let text = try YAMLReader.text(atPath: path, fix: "check that the file exists, is readable, and is a text file")
        return try parse(text, file: path)
    }

    /// Parses and validates proposal text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(InputError) -> Proposal {
        let root = try YAMLReader.document(text, file: file)
        try root.rejectUnknownKeys(topLevelKeys)

        let experimentNode = try root.required("experiment", fix: "add 'experiment: your-test-id'")
        guard let experiment = experimentNode.string?.trimmingCharacters(in: .whitespaces),
            isUsableExperimentID(experiment)
        else {
            throw root.error(
                "experiment",
                "'\(InputError.excerpt(experimentNode.string ?? ""))' is not a usable id",
                fix: experimentIDFix
            )
        }

        let (candidates, names) = try arms(root)
        let baseline = try root.requiredNumber(
            "baseline",
            fix: "add 'baseline: 0.31' (the typical arm's outcome level)"
        )
        let armMeans = try armMeansDistribution(root, arms: candidates)
        let priors = try priorsBlock(root, arms: candidates, armMeans: armMeans)
        let described = try outcome(root, baseline: baseline)
        let outcomeSD = described?.sd
        let sampleSize = try sampleSize(root, arms: candidates)
        if sampleSize != nil && outcomeSD == nil {
            throw root.error(
                "outcome",
                "a sample_size needs the outcome's spread",
                fix: "add 'outcome: {sd: 0.45}' or 'outcome: {binary: {base_rate: 0.3}}'"
            )
        }
        let threshold = try thresholdValue(root)
        var seed: UInt64?
        if let x = try root.number("seed", fix: "use a whole number ≥ 0") {
            guard x >= 0, x == x.rounded(), x < 1.8e19 else {
                throw root.error("seed", "\(x) is not a whole number ≥ 0", fix: "use a whole number such as 42")
            }
            seed = UInt64(x)
        }
        let proposal = Proposal(
            experiment: experiment,
            armCandidates: candidates,
            armNames: names,
            baseline: baseline,
            sampleSize: sampleSize,
            outcomeSD: outcomeSD,
            binaryOutcome: described?.binary,
            priors: priors,
            armMeans: armMeans,
            threshold: threshold,
            seed: seed,
            comparison: try comparison(root)
        )
        try ProposalPlausibility.check(proposal, root: root, rate: described?.rate)
        if described?.binary == true { try ProposalPlausibility.checkThreshold(proposal, root: root) }
        return proposal
    }

    // MARK: - Fields

    static func arms(_ root: YAMLReader) throws(InputError) -> ([Int], [String]?) {
        let fix = "write 'arms: 8', 'arms: [4, 8, 12]' (candidate counts) or a list of ≥ 2 arm names"
        let node = try root.required("arms", fix: fix)
        switch node {
        case .scalar(_):
            guard let m = node.int, m >= 2, m <= maximumArms else {
                throw root.error(
                    "arms",
                    "'\(InputError.excerpt(node.string ?? ""))' is not an arm count from 2 to \(maximumArms)",
                    fix: fix
                )
            }
            return ([m], nil)
        case .sequence(let items):
            let values = Array(items)
            if !values.isEmpty, values.allSatisfy({ $0.int != nil }) {
                let counts = values.compactMap(\.int)
                guard counts.allSatisfy({ $0 >= 2 && $0 <= maximumArms }) else {
                    throw root.error("arms", "every candidate arm count must be from 2 to \(maximumArms)", fix: fix)
                }
                var unique: [Int] = []
                for count in counts where !unique.contains(count) { unique.append(count) }
                return (unique, nil)
            }
            let names = values.compactMap(\.string)
            guard names.count == values.count, names.count >= 2 else {
                throw root.error("arms", "a list of arms needs at least 2 names", fix: fix)
            }
            // A name with a newline or an escape sequence would forge lines in the reports, or
            // clear the reader's terminal: refused here, where it comes in.
            if let bad = names.firstIndex(where: { $0.unicodeScalars.contains(where: JSONScan.isControl) }) {
                throw root.error(
                    "arms",
                    "the arm name '\(InputError.excerpt(names[bad]))' holds a control character (a newline, tab or escape)",
                    fix: "name each arm with printable characters only"
                )
            }
            var seen: Set<String> = []
            let repeated = names.filter { !seen.insert($0).inserted }
            if let first = repeated.first {
                throw root.error(
                    "arms",
                    "the arm name '\(InputError.excerpt(first))' appears more than once",
                    fix: "give each arm a distinct name (or rename the second '\(InputError.excerpt(first))')"
                )
            }
            return ([names.count], names)
        default:
            throw root.error("arms", "expected a number or a list, found \(YAMLReader.kind(node))", fix: fix)
        }
    }

    static func armMeansDistribution(_ root: YAMLReader, arms: [Int]) throws(InputError) -> ArmMeansDistribution {
        guard let block = try root.child("arm_means") else { return .normal }
        let fix = "use distribution: normal, spike-and-slab, t or list"
        try block.rejectUnknownKeys(["distribution", "spike_probability", "degrees_of_freedom", "values"])
        let name = try block.string("distribution", fix: fix) ?? "normal"
        switch name {
        case "normal":
            return .normal
        case "spike-and-slab", "spike_and_slab":
            let pi = try block.number("spike_probability", fix: "give a probability in [0, 1), e.g. 0.9") ?? -1
            guard pi >= 0 && pi < 1 else {
                throw block.error(
                    "spike_probability",
                    block.has("spike_probability") ? "\(pi) is outside [0, 1)" : "missing",
                    fix: "give the probability that an arm's mean is exactly the baseline, in [0, 1), e.g. 0.9"
                )
            }
            return .spikeAndSlab(spikeProbability: pi)
        case "t", "student-t":
            let nu = try block.number("degrees_of_freedom", fix: "give a number > 2, e.g. 4") ?? 0
            guard nu > 2 else {
                throw block.error(
                    "degrees_of_freedom",
                    block.has("degrees_of_freedom") ? "\(nu) is not above 2" : "missing",
                    fix: "give degrees of freedom > 2 (smaller means heavier tails; s must stay a finite SD)"
                )
            }
            return .studentT(degreesOfFreedom: nu)
        case "list":
            guard case .sequence(let items)? = block.value("values") else {
                throw block.error("values", "missing or not a list", fix: "list one mean per arm: values: [0.30, 0.31]")
            }
            let values = items.compactMap(\.float)
            guard values.count == items.count, values.allSatisfy(\.isFinite) else {
                throw block.error("values", "every value must be a finite number", fix: "list numbers only")
            }
            guard arms.count == 1, values.count == arms[0] else {
                throw block.error(
                    "values",
                    "lists \(values.count) means for \(arms.map(String.init).joined(separator: "/")) arms",
                    fix: "give exactly one mean per arm and a single arm count"
                )
            }
            return .list(values)
        default:
            let hint =
                nearest(name, in: ["normal", "spike-and-slab", "t", "list"]).map { "did you mean '\($0)'? " } ?? ""
            throw block.error("distribution", "unknown distribution '\(name)'", fix: hint + fix)
        }
    }

    static func priorsBlock(
        _ root: YAMLReader,
        arms: [Int],
        armMeans: ArmMeansDistribution
    ) throws(InputError) -> Proposal.Priors {
        guard let block = try root.child("priors") else {
            throw root.error("priors", "missing", fix: "add priors for sigma, rho, s and prediction_error")
        }
        try block.rejectUnknownKeys(["sigma", "rho", "s", "prediction_error"])
        // ρ must be valid for every candidate arm count, so the largest count sets its floor.
        let rhoFloor = ModelParameters.lowestRho(arms: arms.max() ?? 2)
        let sigma = try PriorField.read(block, "sigma", kind: .positiveScale)
        let rho = try PriorField.read(block, "rho", kind: .correlation(lowest: rhoFloor))
        let s: Prior
        if case .list = armMeans, !block.has("s") {
            s = .fixed(0)
        } else {
            s = try PriorField.read(block, "s", kind: .nonNegative)
        }
        let eps = try PriorField.read(block, "prediction_error", kind: .nonNegativeScale)
        return Proposal.Priors(sigma: sigma, rho: rho, s: s, predictionError: eps)
    }

    /// The outcome block: its SD, and whether it is a 0/1 outcome (a rate, read in points) with
    /// its base rate.
    static func outcome(
        _ root: YAMLReader,
        baseline: Double
    ) throws(InputError) -> (sd: Double, binary: Bool, rate: Double?)? {
        guard let block = try root.child("outcome") else { return nil }
        try block.rejectUnknownKeys(["sd", "binary"])
        let fix = "write 'outcome: {sd: 0.45}' or 'outcome: {binary: {base_rate: 0.3}}'"
        if block.has("sd") && block.has("binary") {
            throw block.error("sd", "give either sd or binary, not both", fix: fix)
        }
        if let sd = try block.number("sd", fix: fix) {
            guard sd > 0 else { throw block.error("sd", "\(sd) is not above 0", fix: "give the outcome's SD (> 0)") }
            return (sd, false, nil)
        }
        guard let node = block.value("binary") else { throw block.error("sd", "missing", fix: fix) }
        var rate: Double?
        if case Node.mapping = node, let rates = try block.child("binary") {
            try rates.rejectUnknownKeys(["base_rate"])
            rate = try rates.number("base_rate", fix: "give the share of 1s, in (0, 1)")
        } else if node.bool == true {
            rate = baseline
        } else {
            rate = node.float
        }
        guard let p = rate, p > 0, p < 1 else {
            throw block.error(
                "binary",
                "the base rate must be strictly between 0 and 1",
                fix: "write 'binary: {base_rate: 0.3}' (or 'binary: true' to use the baseline as the rate)"
            )
        }
        // A 0/1 outcome's typical arm level is a rate too.
        guard (0...1).contains(baseline) else {
            throw root.error(
                "baseline",
                "\(NumberText.significant(baseline)) is not a rate, but the outcome is binary",
                fix:
                    "give the typical arm's share of 1s, in [0, 1] (e.g. 'baseline: 0.31'), or describe the outcome by its sd"
            )
        }
        return ((p * (1 - p)).squareRoot(), true, p)
    }

    static func sampleSize(_ root: YAMLReader, arms: [Int]) throws(InputError) -> Proposal.SampleSize? {
        guard let node = root.value("sample_size") else { return nil }
        let fix = "write 'sample_size: 20000' (total), '{per_arm: 1000}', or one number per arm"
        func checked(_ n: Double, _ field: String) throws(InputError) -> Double {
            guard n >= 2, n.isFinite else {
                throw root.error(field, "\(n) units is too few", fix: "give at least 2 units per arm")
            }
            return n
        }
        /// Units are counted: 75000.5 is a typo, not a design.
        func whole(_ n: Double, _ field: String) throws(InputError) -> Double {
            guard n == n.rounded() else {
                throw root.error(
                    field,
                    "\(n) is not a whole number of units",
                    fix: "give a whole number of units, e.g. \(Int(n.rounded(.down)))"
                )
            }
            return n
        }
        switch node {
        case .scalar(_):
            guard
                let n = try root.number("sample_size", fix: fix).map({ (n: Double) throws(InputError) in
                    try whole(n, "sample_size")
                })
            else {
                throw root.error("sample_size", "missing", fix: fix)
            }
            guard n >= 2 * Double(arms.max() ?? 2) else {
                throw root.error(
                    "sample_size",
                    "\(Int(n)) units cannot fill \(arms.max() ?? 2) arms with 2 units each",
                    fix: "give the total number of units in the test"
                )
            }
            return .total(n)
        case .mapping(_):
            guard let block = try root.child("sample_size") else { return nil }
            try block.rejectUnknownKeys(["total", "per_arm"])
            if let n = try block.number("total", fix: fix) {
                _ = try whole(n, "sample_size.total")
                return .total(try checked(n / Double(arms.max() ?? 2), "sample_size.total") * Double(arms.max() ?? 2))
            }
            if let n = try block.number("per_arm", fix: fix) {
                return .perArm(try checked(try whole(n, "sample_size.per_arm"), "sample_size.per_arm"))
            }
            throw root.error("sample_size", "needs 'total' or 'per_arm'", fix: fix)
        case .sequence(let items):
            let sizes = items.compactMap(\.float)
            guard sizes.count == items.count, arms.count == 1, sizes.count == arms[0] else {
                throw root.error("sample_size", "a list must give one size per arm (\(arms[0]) arms)", fix: fix)
            }
            for n in sizes { _ = try checked(try whole(n, "sample_size"), "sample_size") }
            if let smallest = sizes.min(), let largest = sizes.max(), largest > SampleDesign.maximumSizeRatio * smallest
            {
                throw root.error(
                    "sample_size",
                    "the largest arm (\(Int(largest))) has more than 1000 times the units of the smallest (\(Int(smallest)))",
                    fix: "give arm sizes within 1000:1 of each other, or predict the arms that share a size separately"
                )
            }
            return .eachArm(sizes)
        default:
            throw root.error("sample_size", "expected a number, a mapping or a list", fix: fix)
        }
    }

    static func thresholdValue(_ root: YAMLReader) throws(InputError) -> Proposal.Threshold {
        let fix = "write 'threshold: 0.005' (outcome units) or 'threshold: {relative: 0.02}' (share of baseline)"
        guard let node = root.value("threshold") else {
            throw root.error("threshold", "missing", fix: fix)
        }
        if case Node.mapping = node, let block = try root.child("threshold") {
            try block.rejectUnknownKeys(["absolute", "relative"])
            if let x = try block.number("absolute", fix: fix) {
                guard x >= 0 else { throw block.error("absolute", "\(x) is negative", fix: "use a gain ≥ 0") }
                return .absolute(x)
            }
            if let r = try block.number("relative", fix: fix) {
                guard r >= 0 else { throw block.error("relative", "\(r) is negative", fix: "use a share ≥ 0") }
                // A share: 5 would be a gain of five times the baseline, nearly always "5%" meant.
                guard r <= 1 else {
                    throw block.error(
                        "relative",
                        "\(NumberText.shortest(r)) is a share of the baseline, so it asks for a gain of \(NumberText.percent(r)) of the baseline",
                        fix:
                            "did you mean \(NumberText.shortest(r / 100)) for \(NumberText.shortest(r))%? A relative threshold is a share: 0.05 is 5%"
                    )
                }
                return .relative(r)
            }
            throw root.error("threshold", "needs 'absolute' or 'relative'", fix: fix)
        }
        guard let x = try root.number("threshold", fix: fix) else { throw root.error("threshold", "missing", fix: fix) }
        guard x >= 0 else { throw root.error("threshold", "\(x) is negative", fix: "use a gain ≥ 0") }
        return .absolute(x)
    }

    static func comparison(_ root: YAMLReader) throws(InputError) -> Proposal.Comparison? {
        guard let block = try root.child("compare_with") else { return nil }
        try block.rejectUnknownKeys(["label", "sigma", "rho", "s", "prediction_error", "arms"])
        let fix = "give numbers for sigma, rho, s, prediction_error and arms of the study to compare with"
        let p = ModelParameters(
            sigma: try block.requiredNumber("sigma", fix: fix),
            rho: try block.requiredNumber("rho", fix: fix),
            s: try block.requiredNumber("s", fix: fix),
            predictionError: try block.number("prediction_error", fix: fix) ?? 0,
            arms: Int(try block.requiredNumber("arms", fix: fix))
        )
        do {
            try p.validate()
        } catch {
            throw InputError(
                file: root.file,
                field: "compare_with",
                line: block.line,
                problem: error.description,
                fix: fix
            )
        }
        let label = try block.string("label", fix: "give a short name") ?? "comparison"
        guard !label.unicodeScalars.contains(where: JSONScan.isControl) else {
            throw InputError(
                file: root.file,
                field: "compare_with.label",
                line: block.line,
                problem: "'\(InputError.excerpt(label))' holds a control character (a newline, tab or escape)",
                fix: "give a short name of printable characters"
            )
        }
        return Proposal.Comparison(label: label, parameters: p)
    }
}

extension ProposalFile {
    /// The `experiment` id of a file that may be invalid, so a rejection can still be tagged
    /// with it in the journal; nil when the file has no usable id.
    public static func experimentHint(atPath path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let root = try? YAMLReader.document(text, file: path),
            let id = root.value("experiment")?.string?.trimmingCharacters(in: .whitespaces),
            isUsableExperimentID(id)
        else { return nil }
        return id
    }

    /// Experiment ids name a report folder: letters, digits, '-', '_', '.', not starting with '.'.
    /// The report index's name in `reports/`, beside the experiments' folders: no experiment
    /// may take it.
    public static let reportIndexName = "index.html"

    public static let experimentIDFix =
        "use up to 128 ASCII letters, digits, '-', '_' or '.', not starting with '.' and not '\(reportIndexName)' (it names the report folder)"

    public static func isUsableExperimentID(_ id: String) -> Bool {
        !id.isEmpty && id.first != "." && id.count <= 128 && id != reportIndexName
            && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}
