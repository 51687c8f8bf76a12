import AdvisorFormats
import AdvisorIngest
import AdvisorModel
import AdvisorXGBoost
import Foundation

/// One setting of `experiment-advisor.yaml`: its dotted key, what it accepts and where it goes.
/// `ConfigurationFile.keys` lists every setting once; the parser, the bundled file's test and
/// the error messages all read that list.
public struct ConfigurationKey {
    public enum Kind {
        case number(WritableKeyPath<AdvisorConfiguration, Double>, ClosedRange<Double>)
        case whole(WritableKeyPath<AdvisorConfiguration, Int>, ClosedRange<Int>)
        case seed(WritableKeyPath<AdvisorConfiguration, UInt64>)
        case flag(WritableKeyPath<AdvisorConfiguration, Bool>)
        /// A directory path (the spool, the state directory), with an example for the error.
        case directory(WritableKeyPath<AdvisorConfiguration, String>, example: String)
        case logLevel
    }

    /// "analysis.boosting.max_depth".
    public let path: String
    public let kind: Kind

    /// The section ("analysis.boosting", "" at the top) and the key within it.
    public var section: String { path.split(separator: ".").dropLast().joined(separator: ".") }
    public var name: String { String(path.split(separator: ".").last ?? "") }

    init(_ path: String, _ kind: Kind) {
        self.path = path
        self.kind = kind
    }
}

/// Reads `experiment-advisor.yaml`. Every key is optional (its default is in
/// `AdvisorConfiguration`); unknown keys and out-of-range values are errors that name the file,
/// the line, the field and the fix, so a typo never silently falls back to a default.
public enum ConfigurationFile {
    /// Every setting, section by section. Computed (key paths are not `Sendable`); cheap.
    public static var keys: [ConfigurationKey] {
        [
            .init("spool", .directory(\.spool, example: "/var/spool/experiment-advisor")),
            .init("state_directory", .directory(\.stateDirectory, example: "/var/lib/experiment-advisor")),
            .init("log_level", .logLevel),
            .init("rescan_interval_seconds", .number(\.rescanIntervalSeconds, 1...86_400)),
            .init("settle_seconds", .number(\.settleSeconds, 0...3600)),
            .init("manifest_wait_seconds", .number(\.manifestWaitSeconds, 1...604_800)),
            .init("max_input_bytes", .whole(\.maxInputBytes, 1...(1 << 36))),
            .init("job_time_limit_seconds", .number(\.jobTimeLimitSeconds, 1...86_400)),
            .init("max_attempts", .whole(\.maxAttempts, 1...10)),

            .init("worker.memory_limit_bytes", .whole(\.worker.memoryLimitBytes, (64 << 20)...(1 << 44))),
            .init("worker.cpu_seconds", .whole(\.worker.cpuSeconds, 1...2_592_000)),
            .init("worker.output_limit_bytes", .whole(\.worker.outputLimitBytes, (1 << 20)...(1 << 42))),

            .init("prediction.prior_draws", .whole(\.prediction.priorDraws, 100...10_000_000)),
            .init("prediction.lever_draws", .whole(\.prediction.leverDraws, 50...1_000_000)),
            .init("prediction.seed", .seed(\.prediction.seed)),
            .init("prediction.actionable_probability", .number(\.prediction.actionableProbability, 0.01...0.99)),
            .init("prediction.marginal_probability", .number(\.prediction.marginalProbability, 0.01...0.99)),
            .init("prediction.covariates_sigma_factor", .number(\.prediction.covariatesSigmaFactor, 1...10)),
            .init("prediction.covariates_rho_shift", .number(\.prediction.covariatesRhoShift, 0...1)),
            .init("prediction.diversify_rho_shift", .number(\.prediction.diversifyRhoShift, 0...1)),
            .init("prediction.diversify_s_factor", .number(\.prediction.diversifySFactor, 1...10)),
            .init("prediction.prediction_error_exponent", .number(\.prediction.predictionErrorExponent, 0.05...2)),
            .init("prediction.prediction_error_floor", .number(\.prediction.predictionErrorFloor, 0...0.99)),
            .init("prediction.sensitivity_points", .whole(\.prediction.sensitivityPoints, 3...201)),
            .init("prediction.time_budget_seconds", .number(\.prediction.timeBudgetSeconds, 0.1...3600)),

            .init("analysis.holdout_share", .number(\.analysis.holdoutShare, 0.05...0.8)),
            .init("analysis.validation_share", .number(\.analysis.validationShare, 0.05...0.5)),
            .init("analysis.seed", .seed(\.analysis.seed)),
            .init("analysis.bootstrap", .whole(\.analysis.bootstrap, 20...100_000)),
            .init("analysis.estimate_bootstrap", .whole(\.analysis.estimateBootstrap, 0...10_000)),
            .init("analysis.relative_threshold", .number(\.analysis.relativeThreshold, 0...10)),
            .init("analysis.confidence", .number(\.analysis.confidence, 0.5...0.999)),
            .init("analysis.time_limit_seconds", .number(\.analysis.timeLimitSeconds, 10...604_800)),
            .init("analysis.max_data_bytes", .whole(\.ingest.maxBytes, 1...(1 << 40))),
            .init("analysis.max_bad_row_share", .number(\.ingest.maxBadRowShare, 0...1)),
            .init("analysis.min_units_per_arm", .whole(\.ingest.minUnitsPerArm, 10...1_000_000)),
            .init("analysis.max_categories", .whole(\.ingest.maxCategories, 2...10_000)),
            .init("analysis.max_uncompressed_bytes", .whole(\.ingest.maxUncompressedBytes, 1...(1 << 42))),
            .init("analysis.max_compression_ratio", .whole(\.ingest.maxCompressionRatio, 2...100_000)),
            .init("analysis.max_row_bytes", .whole(\.ingest.maxRowBytes, 1024...(1 << 30))),

            .init("analysis.policy_tree.depth", .whole(\.analysis.policyTree.depth, 0...3)),
            .init("analysis.policy_tree.bins", .whole(\.analysis.policyTree.bins, 2...1024)),
            .init("analysis.policy_tree.exact", .flag(\.analysis.policyTree.exact)),
            .init("analysis.policy_tree.min_leaf_size", .whole(\.analysis.policyTree.minLeafSize, 1...1_000_000)),
            .init("analysis.policy_tree.folds", .whole(\.analysis.policyTree.folds, 2...20)),
            .init("analysis.policy_tree.max_units", .whole(\.analysis.policyTreeUnits, 1000...10_000_000)),

            .init("analysis.boosting.max_depth", .whole(\.boosting.maxDepth, 1...16)),
            .init("analysis.boosting.learning_rate", .number(\.boosting.learningRate, 0.001...1)),
            .init("analysis.boosting.subsample", .number(\.boosting.subsample, 0.1...1)),
            .init("analysis.boosting.column_sample", .number(\.boosting.columnSample, 0.1...1)),
            .init("analysis.boosting.min_child_weight", .number(\.boosting.minChildWeight, 0...1000)),
            .init("analysis.boosting.l2_penalty", .number(\.boosting.l2Penalty, 0...1000)),
            .init("analysis.boosting.max_rounds", .whole(\.boosting.maxRounds, 1...10_000)),
            .init("analysis.boosting.early_stopping_rounds", .whole(\.boosting.earlyStoppingRounds, 1...1000)),
            .init("analysis.boosting.threads", .whole(\.boosting.threads, 0...1024)),
        ]
    }

    /// The sections, parents first.
    static let sections = ["", "worker", "prediction", "analysis", "analysis.policy_tree", "analysis.boosting"]

    /// Reads and validates the configuration at `path`.
    public static func load(path: String) throws(InputError) -> AdvisorConfiguration {
        try loadWithText(path: path).configuration
    }

    /// Reads and validates the configuration at `path`, and returns the text it was read from
    /// (the daemon hands that very text to its workers).
    public static func loadWithText(
        path: String
    ) throws(InputError) -> (configuration: AdvisorConfiguration, text: String) {
        let text = try YAMLReader.text(
            atPath: path,
            fix: "check the path given with --config, or install config/experiment-advisor.yaml there"
        )
        return (try parse(text, file: path), text)
    }

    /// Parses and validates configuration text; `file` names it in errors. A file holding only
    /// comments gives the defaults.
    public static func parse(_ text: String, file: String) throws(InputError) -> AdvisorConfiguration {
        var config = AdvisorConfiguration()
        let onlyComments = text.split(separator: "\n").allSatisfy {
            let line = $0.trimmingCharacters(in: .whitespaces)
            return line.isEmpty || line.hasPrefix("#")
        }
        if onlyComments { return config }
        var readers = ["": try YAMLReader.document(text, file: file)]
        let keys = keys
        for section in sections {
            guard let reader = readers[section] else { continue }
            let children = sections.filter { parent(of: $0) == section && !$0.isEmpty }
            try reader.rejectUnknownKeys(keys.filter { $0.section == section }.map(\.name) + children.map(leaf))
            for key in keys where key.section == section {
                try read(key, from: reader, into: &config)
            }
            for child in children {
                if let nested = try reader.child(leaf(child)) { readers[child] = nested }
            }
            if section == "prediction", config.prediction.marginalProbability >= config.prediction.actionableProbability
            {
                let s = config.prediction
                throw reader.error(
                    "marginal_probability",
                    "\(s.marginalProbability) is not below actionable_probability \(s.actionableProbability)",
                    fix: "make marginal_probability smaller than actionable_probability (defaults 0.3 and 0.8)"
                )
            }
        }
        return config
    }

    static func parent(of section: String) -> String {
        section.split(separator: ".").dropLast().joined(separator: ".")
    }

    static func leaf(_ section: String) -> String {
        String(section.split(separator: ".").last ?? "")
    }

    static func read(
        _ key: ConfigurationKey,
        from reader: YAMLReader,
        into config: inout AdvisorConfiguration
    )
        throws(InputError)
    {
        let name = key.name
        switch key.kind {
        case .number(let path, let range):
            config[keyPath: path] = try number(reader, name, config[keyPath: path], in: range)
        case .whole(let path, let range):
            config[keyPath: path] = try whole(reader, name, config[keyPath: path], in: range)
        case .seed(let path):
            config[keyPath: path] = UInt64(try whole(reader, name, Int(config[keyPath: path]), in: 0...Int.max))
        case .flag(let path):
            config[keyPath: path] = try reader.flag(name, fix: "write true or false") ?? config[keyPath: path]
        case .directory(let path, let example):
            guard let directory = try reader.string(name, fix: "give an absolute directory, e.g. \(example)") else {
                return
            }
            guard directory.hasPrefix("/") || directory.hasPrefix(".") else {
                throw reader.error(
                    name,
                    "'\(directory)' is not a directory path",
                    fix: "give an absolute path such as \(example) (or a path starting with ./ for a local run)"
                )
            }
            config[keyPath: path] = directory
        case .logLevel:
            guard let text = try reader.string(name, fix: "use one of \(levelNames)") else { return }
            guard let level = AdvisorConfiguration.LogLevel(rawValue: text) else {
                throw reader.error(name, "'\(text)' is not a log level", fix: "use one of \(levelNames)")
            }
            config.logLevel = level
        }
    }

    static var levelNames: String {
        AdvisorConfiguration.LogLevel.allCases.map(\.rawValue).joined(separator: ", ")
    }

    static func number(
        _ reader: YAMLReader,
        _ key: String,
        _ current: Double,
        in range: ClosedRange<Double>
    ) throws(InputError) -> Double {
        let fix =
            "use a number from \(NumberText.significant(range.lowerBound)) to \(NumberText.significant(range.upperBound))"
        guard let x = try reader.number(key, fix: fix) else { return current }
        guard range.contains(x) else {
            throw reader.error(key, "\(NumberText.significant(x)) is out of range", fix: fix)
        }
        return x
    }

    static func whole(
        _ reader: YAMLReader,
        _ key: String,
        _ current: Int,
        in range: ClosedRange<Int>
    ) throws(InputError) -> Int {
        let fix = "use a whole number from \(range.lowerBound) to \(range.upperBound)"
        guard let x = try reader.number(key, fix: fix) else { return current }
        // Int(exactly:) rather than a range check on the Double: 2^63 passes `<= Double(Int.max)`
        // (which rounds up to it) and would trap in Int(_:).
        guard let value = Int(exactly: x), range.contains(value) else {
            throw reader.error(key, "\(NumberText.significant(x)) is not a whole number in range", fix: fix)
        }
        return value
    }
}
