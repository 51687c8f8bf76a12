import AdvisorModel
import AdvisorReports
import Foundation
import Testing

@Suite("Configuration file")
struct ConfigurationFileTests {
    static let bundled = repositoryRoot + "/config/experiment-advisor.yaml"

    @Test("The bundled file states every default, and only the defaults")
    func bundledEqualsDefaults() throws {
        let text = try String(contentsOfFile: Self.bundled, encoding: .utf8)
        #expect(try ConfigurationFile.parse(text, file: Self.bundled) == AdvisorConfiguration())
        // Every key the parser knows appears in the bundled file, so each is annotated there.
        for key in [
            "spool", "log_level", "rescan_interval_seconds", "settle_seconds", "max_input_bytes",
            "job_time_limit_seconds", "prior_draws", "lever_draws", "seed", "actionable_probability",
            "marginal_probability", "covariates_sigma_factor", "covariates_rho_shift", "diversify_rho_shift",
            "diversify_s_factor", "prediction_error_exponent", "prediction_error_floor", "sensitivity_points",
            "holdout_share", "validation_share", "bootstrap", "estimate_bootstrap", "relative_threshold", "confidence",
            "time_limit_seconds", "max_data_bytes", "max_bad_row_share", "min_units_per_arm", "max_categories",
            "boosting", "max_depth",
            "learning_rate", "subsample", "column_sample", "min_child_weight", "l2_penalty", "max_rounds",
            "early_stopping_rounds", "threads",
        ] {
            #expect(
                text.contains("\n\(key):") || text.contains("\n  \(key):") || text.contains("\n    \(key):"),
                "\(key) is not in the bundled file"
            )
        }
    }

    @Test("An empty or comment-only file gives the defaults")
    func empty() throws {
        #expect(try ConfigurationFile.parse("", file: "c.yaml") == AdvisorConfiguration())
        #expect(try ConfigurationFile.parse("# nothing\n\n", file: "c.yaml") == AdvisorConfiguration())
    }

    @Test("Settings are read into the configuration")
    func values() throws {
        let config = try ConfigurationFile.parse(
            """
            spool: /srv/spool
            log_level: debug
            rescan_interval_seconds: 5
            prediction:
              prior_draws: 500
              marginal_probability: 0.2
            """,
            file: "c.yaml"
        )
        #expect(config.spool == "/srv/spool")
        #expect(config.logLevel == .debug)
        #expect(config.rescanIntervalSeconds == 5)
        #expect(config.prediction.priorDraws == 500)
        #expect(config.prediction.marginalProbability == 0.2)
        #expect(config.prediction.leverDraws == AdvisorConfiguration().prediction.leverDraws)
    }

    @Test(
        "Bad settings are errors naming the file, line, field and fix",
        arguments: [
            ("log_levle: info", "log_levle", "did you mean 'log_level'"),
            ("log_level: loud", "log_level", "use one of trace, debug"),
            ("spool: relative/path", "spool", "absolute path"),
            ("rescan_interval_seconds: 0", "rescan_interval_seconds", "from 1 to 86400"),
            ("rescan_interval_seconds: fast", "rescan_interval_seconds", "use a number"),
            ("max_input_bytes: 1.5", "max_input_bytes", "whole number"),
            ("prediction:\n  prior_draws: 10", "prediction.prior_draws", "from 100"),
            ("prediction:\n  marginal_probability: 0.9", "prediction.marginal_probability", "smaller than actionable"),
            ("prediction:\n  seeed: 3", "prediction.seeed", "did you mean 'seed'"),
            ("prediction: 3", "prediction", "as a mapping"),
            ("spool: [a, b]", "spool", "absolute directory"),
        ]
    )
    func errors(text: String, field: String, fix: String) {
        #expect {
            _ = try ConfigurationFile.parse(text, file: "/etc/x.yaml")
        } throws: { error in
            guard let error = error as? InputError else { return false }
            return error.file == "/etc/x.yaml" && error.field == field && error.line != nil
                && error.description.contains(fix)
        }
    }

    @Test("A missing or unreadable file says which path and what to do")
    func missing() {
        #expect {
            _ = try ConfigurationFile.load(path: "/nonexistent/experiment-advisor.yaml")
        } throws: { error in
            (error as? InputError)?.description.contains("/nonexistent/experiment-advisor.yaml") == true
                && (error as? InputError)?.fix.contains("--config") == true
        }
    }
}
