import AdvisorModel
import Foundation

/// Reads `experiment-advisor.yaml`. Every key is optional (its default is in
/// `AdvisorConfiguration`); unknown keys and out-of-range values are errors that name the file,
/// the line, the field and the fix, so a typo never silently falls back to a default.
public enum ConfigurationFile {
    static let topLevelKeys = [
        "spool", "log_level", "rescan_interval_seconds", "settle_seconds", "max_input_bytes", "job_time_limit_seconds",
        "prediction", "analysis",
    ]
    static let predictionKeys = [
        "prior_draws", "lever_draws", "seed", "actionable_probability", "marginal_probability",
        "covariates_sigma_factor", "covariates_rho_shift", "diversify_rho_shift", "diversify_s_factor",
        "prediction_error_exponent", "prediction_error_floor", "sensitivity_points",
    ]

    static let analysisKeys = [
        "holdout_share", "validation_share", "seed", "bootstrap", "estimate_bootstrap", "relative_threshold",
        "confidence",
        "time_limit_seconds",
        "max_data_bytes", "max_bad_row_share", "min_units_per_arm", "max_categories", "boosting",
    ]
    static let boostingKeys = [
        "max_depth", "learning_rate", "subsample", "column_sample", "min_child_weight", "l2_penalty", "max_rounds",
        "early_stopping_rounds", "threads",
    ]

    /// Reads and validates the configuration at `path`.
    public static func load(path: String) throws(InputError) -> AdvisorConfiguration {
        let text = try YAMLReader.text(
            atPath: path,
            fix: "check the path given with --config, or install config/experiment-advisor.yaml there"
        )
        return try parse(text, file: path)
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
        let root = try YAMLReader.document(text, file: file)
        try root.rejectUnknownKeys(topLevelKeys)

        if let spool = try root.string("spool", fix: "give an absolute directory, e.g. /var/spool/experiment-advisor") {
            guard spool.hasPrefix("/") || spool.hasPrefix(".") else {
                throw root.error(
                    "spool",
                    "'\(spool)' is not a directory path",
                    fix: "give an absolute path such as /var/spool/experiment-advisor (or ./spool for a local run)"
                )
            }
            config.spool = spool
        }
        if let name = try root.string("log_level", fix: "use one of \(levelNames)") {
            guard let level = AdvisorConfiguration.LogLevel(rawValue: name) else {
                throw root.error("log_level", "'\(name)' is not a log level", fix: "use one of \(levelNames)")
            }
            config.logLevel = level
        }
        config.rescanIntervalSeconds = try number(
            root,
            "rescan_interval_seconds",
            config.rescanIntervalSeconds,
            in: 1...86_400
        )
        config.settleSeconds = try number(root, "settle_seconds", config.settleSeconds, in: 0...3600)
        config.maxInputBytes = try whole(root, "max_input_bytes", config.maxInputBytes, in: 1...(1 << 36))
        config.jobTimeLimitSeconds = try number(
            root,
            "job_time_limit_seconds",
            config.jobTimeLimitSeconds,
            in: 1...86_400
        )

        if let p = try root.child("prediction") {
            try p.rejectUnknownKeys(predictionKeys)
            var s = config.prediction
            s.priorDraws = try whole(p, "prior_draws", s.priorDraws, in: 100...10_000_000)
            s.leverDraws = try whole(p, "lever_draws", s.leverDraws, in: 50...1_000_000)
            s.seed = UInt64(try whole(p, "seed", Int(s.seed), in: 0...Int.max))
            s.actionableProbability = try number(p, "actionable_probability", s.actionableProbability, in: 0.01...0.99)
            s.marginalProbability = try number(p, "marginal_probability", s.marginalProbability, in: 0.01...0.99)
            guard s.marginalProbability < s.actionableProbability else {
                throw p.error(
                    "marginal_probability",
                    "\(s.marginalProbability) is not below actionable_probability \(s.actionableProbability)",
                    fix: "make marginal_probability smaller than actionable_probability (defaults 0.3 and 0.8)"
                )
            }
            s.covariatesSigmaFactor = try number(p, "covariates_sigma_factor", s.covariatesSigmaFactor, in: 1...10)
            s.covariatesRhoShift = try number(p, "covariates_rho_shift", s.covariatesRhoShift, in: 0...1)
            s.diversifyRhoShift = try number(p, "diversify_rho_shift", s.diversifyRhoShift, in: 0...1)
            s.diversifySFactor = try number(p, "diversify_s_factor", s.diversifySFactor, in: 1...10)
            s.predictionErrorExponent = try number(
                p,
                "prediction_error_exponent",
                s.predictionErrorExponent,
                in: 0.05...2
            )
            s.predictionErrorFloor = try number(p, "prediction_error_floor", s.predictionErrorFloor, in: 0...0.99)
            s.sensitivityPoints = try whole(p, "sensitivity_points", s.sensitivityPoints, in: 3...201)
            config.prediction = s
        }
        if let a = try root.child("analysis") {
            try a.rejectUnknownKeys(analysisKeys)
            var s = config.analysis
            s.holdoutShare = try number(a, "holdout_share", s.holdoutShare, in: 0.05...0.8)
            s.validationShare = try number(a, "validation_share", s.validationShare, in: 0.05...0.5)
            s.seed = UInt64(try whole(a, "seed", Int(s.seed), in: 0...Int.max))
            s.bootstrap = try whole(a, "bootstrap", s.bootstrap, in: 20...100_000)
            s.estimateBootstrap = try whole(a, "estimate_bootstrap", s.estimateBootstrap, in: 0...10_000)
            s.relativeThreshold = try number(a, "relative_threshold", s.relativeThreshold, in: 0...10)
            s.confidence = try number(a, "confidence", s.confidence, in: 0.5...0.999)
            s.timeLimitSeconds = try number(a, "time_limit_seconds", s.timeLimitSeconds, in: 10...604_800)
            config.analysis = s
            var limits = config.ingest
            limits.maxBytes = try whole(a, "max_data_bytes", limits.maxBytes, in: 1...(1 << 40))
            limits.maxBadRowShare = try number(a, "max_bad_row_share", limits.maxBadRowShare, in: 0...1)
            limits.minUnitsPerArm = try whole(a, "min_units_per_arm", limits.minUnitsPerArm, in: 10...1_000_000)
            limits.maxCategories = try whole(a, "max_categories", limits.maxCategories, in: 2...10_000)
            config.ingest = limits
            if let b = try a.child("boosting") {
                try b.rejectUnknownKeys(boostingKeys)
                var t = config.boosting
                t.maxDepth = try whole(b, "max_depth", t.maxDepth, in: 1...16)
                t.learningRate = try number(b, "learning_rate", t.learningRate, in: 0.001...1)
                t.subsample = try number(b, "subsample", t.subsample, in: 0.1...1)
                t.columnSample = try number(b, "column_sample", t.columnSample, in: 0.1...1)
                t.minChildWeight = try number(b, "min_child_weight", t.minChildWeight, in: 0...1000)
                t.l2Penalty = try number(b, "l2_penalty", t.l2Penalty, in: 0...1000)
                t.maxRounds = try whole(b, "max_rounds", t.maxRounds, in: 1...10_000)
                t.earlyStoppingRounds = try whole(b, "early_stopping_rounds", t.earlyStoppingRounds, in: 1...1000)
                t.threads = try whole(b, "threads", t.threads, in: 0...1024)
                config.boosting = t
            }
        }
        return config
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
        guard x == x.rounded(), x >= Double(range.lowerBound), x <= Double(range.upperBound) else {
            throw reader.error(key, "\(NumberText.significant(x)) is not a whole number in range", fix: fix)
        }
        return Int(x)
    }
}
