import AdvisorAnalysis
import AdvisorFormats
import AdvisorModel
import Foundation
import Testing

/// The analysis summary as a file: the verdict decided from it is the analysis's own, and a
/// summary that cannot be trusted is refused naming the field.
@Suite("Analysis summary files")
struct SummaryFileTests {
    static let settings: AnalysisSettings = {
        var settings = AnalysisSettings()
        settings.bootstrap = 100
        settings.estimateBootstrap = 10
        return settings
    }()

    static let prediction: PredictionSettings = {
        var prediction = PredictionSettings()
        prediction.leverDraws = 50
        return prediction
    }()

    /// One analysis in memory (ridge T-learner and the trees: quick), its verdict and summary.
    static func analysis() throws -> (verdict: PostExperimentVerdict, summary: AnalysisSummary) {
        let truth = SyntheticExperiment(sigma: 0.3, rho: 0.2, armMeans: [1, 1.02, 1.04], noise: 0.5)
        let result = try PostExperimentAnalyzer(settings: settings, prediction: prediction).analyze(
            experiment: "summary-test",
            data: truth.generate(units: 6_000, seed: 3),
            covariateNames: (0..<truth.columns).map { "x\($0)" },
            binaryOutcome: false,
            models: [("ridge-t-learner", RidgeOutcomeModel())]
        )
        return (result.verdict, result.summary)
    }

    static func encoded(_ verdict: PostExperimentVerdict) throws -> [String: Any] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        var object = try #require(
            try JSONSerialization.jsonObject(with: encoder.encode(verdict)) as? [String: Any]
        )
        object["timings"] = nil
        return object
    }

    @Test("Decided from its file, a summary gives the analysis's verdict, every figure to the last bit")
    func roundTrip() throws {
        let (verdict, summary) = try Self.analysis()
        let text = try SummaryFile.json(summary)
        let read = try SummaryFile.parse(Data(text.utf8), path: "x.summary.json")
        let again = try PostExperimentAnalysis.verdict(from: read, settings: Self.settings, prediction: Self.prediction)
        let a = try Self.encoded(verdict)
        let b = try Self.encoded(again)
        for key in Set(a.keys).union(b.keys) {
            #expect(
                NSDictionary(dictionary: a).object(forKey: key).map { NSArray(array: [$0]) }
                    == NSDictionary(dictionary: b).object(forKey: key).map { NSArray(array: [$0]) },
                "\(key): \(String(describing: a[key]).prefix(300)) | \(String(describing: b[key]).prefix(300))"
            )
        }
        #expect(again.verdict == verdict.verdict && again.realized.gain == verdict.realized.gain)
        #expect(again.predicted.lower == verdict.predicted.lower && again.predicted.upper == verdict.predicted.upper)
        // Nothing per unit: the file stays small however many units the drop had.
        #expect(text.utf8.count < 200_000, "\(text.utf8.count) bytes")
        // The decision reads the summary's seed, not the reader's, so another configuration
        // decides the same.
        var other = Self.settings
        other.seed = 99
        let elsewhere = try PostExperimentAnalysis.verdict(from: read, settings: other, prediction: Self.prediction)
        #expect(elsewhere.predicted.gain == verdict.predicted.gain)
    }

    /// The summary's JSON object, changed by `edit`, parsed: the error it gives.
    static func error(_ edit: (inout [String: Any]) -> Void) throws -> InputError? {
        let (_, summary) = try Self.analysis()
        var object = try #require(
            try JSONSerialization.jsonObject(with: Data(SummaryFile.json(summary).utf8)) as? [String: Any]
        )
        edit(&object)
        let bytes = try JSONSerialization.data(withJSONObject: object)
        do {
            _ = try SummaryFile.parse(bytes, path: "bad.summary.json")
            return nil
        } catch {
            return error
        }
    }

    static func set(_ object: inout [String: Any], _ path: [String], _ value: Any?) {
        guard let key = path.first else { return }
        if path.count == 1 {
            object[key] = value
            return
        }
        if var inner = object[key] as? [String: Any] {
            set(&inner, Array(path.dropFirst()), value)
            object[key] = inner
        } else if var list = object[key] as? [[String: Any]], let index = Int(path[1]) {
            set(&list[index], Array(path.dropFirst(2)), value)
            object[key] = list
        }
    }

    @Test(
        "A summary that cannot be trusted is refused, naming the field",
        arguments: [
            (["format"], "\"an-html-page\"", "format"),
            (["version"], "2", "version"),
            (["estimates"], nil, "estimates"),
            (["data", "units"], "5", "data.units"),
            (["data", "holdout_units"], "1", "data.holdout_units"),
            (["best_uniform_arm"], "7", "best_uniform_arm"),
            (["policy_choice", "policy"], "\"no-such-policy\"", "policy_choice.policy"),
            (["experiment"], "\"index.html\"", "experiment"),
            (["training_sizes"], "[1.0, 2.0]", "training_sizes"),
            (["estimates", "rho"], "1.5", "estimates"),
            (["policies", "0", "aipw", "standard_error"], "-1.0", "policies[0].aipw"),
            (["policies", "0", "aipw", "gain"], "\"big\"", "policies[0].aipw.gain"),
        ] as [([String], String?, String)]
    )
    func refused(path: [String], json: String?, field: String) throws {
        let value = try json.map { try JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) }
        let error = try #require(try Self.error { Self.set(&$0, path, value) }, "accepted")
        #expect(error.field == field, "\(error)")
        #expect(error.file == "bad.summary.json" && !error.fix.isEmpty)
    }

    @Test("A 0/1 outcome's summary with a threshold no policy could reach is refused, naming it")
    func unreachableThreshold() throws {
        let (_, summary) = try Self.analysis()
        var object = try #require(
            try JSONSerialization.jsonObject(with: Data(SummaryFile.json(summary).utf8)) as? [String: Any]
        )
        Self.set(&object, ["data", "binary_outcome"], true)
        for index in 0..<3 { Self.set(&object, ["data", "arms", "\(index)", "mean"], 0.3) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).summary.json")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        func decide(threshold: Double) throws {
            object["threshold"] = threshold
            try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
            _ = try DataDropAnalysis.decide(summaryPath: path, configuration: AdvisorConfiguration())
        }
        #expect {
            try decide(threshold: 5)
        } throws: { error in
            guard let error = error as? InputError else { return false }
            return error.field == "threshold" && error.file == path && error.fix.contains("did you mean 0.05")
        }
        #expect(throws: Never.self) { try decide(threshold: 0.05) }
    }

    @Test("Shares that do not add up to 1, and a file that is not JSON, are refused too")
    func sharesAndJunk() throws {
        let error = try #require(
            try Self.error { object in
                guard var policies = object["policies"] as? [[String: Any]],
                    var shares = policies[0]["arm_shares"] as? [[String: Any]]
                else { return }
                shares[0]["share"] = 0.9
                policies[0]["arm_shares"] = shares
                object["policies"] = policies
            }
        )
        #expect(error.field == "policies[0].arm_shares" && error.problem.contains("add up to 1"), "\(error)")
        #expect(throws: InputError.self) { try SummaryFile.parse(Data("arm,outcome\n".utf8), path: "x.summary.json") }
        // A number too large for a Double is no number at all.
        let text = try SummaryFile.json(try Self.analysis().summary)
            .replacingOccurrences(of: "\"outcome_sd\" : ", with: "\"outcome_sd\" : 1e999, \"x\" : ")
        #expect(throws: InputError.self) { try SummaryFile.parse(Data(text.utf8), path: "x.summary.json") }
    }

    /// The summary as the analysis wrote it, edited as text: the error it gives.
    static func textError(_ edit: (String) -> String) throws -> InputError? {
        let text = edit(try SummaryFile.json(try Self.analysis().summary))
        do {
            _ = try SummaryFile.parse(Data(text.utf8), path: "bad.summary.json")
            return nil
        } catch {
            return error
        }
    }

    @Test(
        "Hostile numbers are refused naming their field: extremes, fractions for counts, negatives, a forged gain (issue 31)",
        arguments: [
            (["policies", "0", "aipw", "standard_error"], "1e308", "policies[0].aipw.standard_error"),
            (["policies", "0", "aipw", "gain"], "1e308", "policies[0].aipw.gain"),
            (["data", "outcome_sd"], "1e308", "data.outcome_sd"),
            (["estimates", "sigma"], "-1e308", "estimates.sigma"),
            (["estimate_replicate_scale"], "1e308", "estimate_replicate_scale"),
            (["policies", "0", "gain_curve", "1", "gain"], "1e308", "policies[0].gain_curve[1].gain"),
            (["data", "arms", "0", "units"], "9223372036854775000", "data.arms[0].units"),
            (["data", "training_units"], "9223372036854775807", "data.training_units"),
            (["best_uniform_arm"], "0.5", "best_uniform_arm"),
            (["data", "units"], "1.5", "data.units"),
            (["threshold"], "-0.01", "threshold"),
            (["data", "arms", "0", "units"], "-5", "data.arms[0].units"),
            (["policies", "0", "aipw", "gain"], "1000", "policies[0].aipw.gain"),
            (["policies", "0", "ipw", "standard_error"], "-0.5", "policies[0].ipw"),
            (["fragility", "uniform_holdout_standard_error"], "-1", "fragility.uniform_holdout_standard_error"),
            (["estimates", "model_error"], nil, "estimates.model_error"),
            // Within 1e15 but far beyond the outcome's spread: s = 1e15 trapped the gain engine.
            (["estimates", "s"], "1e15", "estimates.s"),
            (["estimates", "sigma"], "1e12", "estimates.sigma"),
            (["policies", "0", "aipw", "standard_error"], "1e15", "policies[0].aipw.standard_error"),
            (["data", "outcome_sd"], "1e-27", "data.outcome_sd"),
            (["data", "outcome_sd"], "0", "data.outcome_sd"),
            (["data", "arms", "1", "arm"], "\"x\\nverdict: personalize FORGED\"", "data.arms[1].arm"),
            (["experiment"], "\"a\\u001b[2J\"", "experiment"),
        ] as [([String], String?, String)]
    )
    func hostile(path: [String], json: String?, field: String) throws {
        let value = try json.map { try JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) }
        let error = try #require(try Self.error { Self.set(&$0, path, value) }, "accepted")
        #expect(error.field == field, "\(error)")
        #expect(
            !error.problem.contains("not valid JSON") && !error.problem.contains("not JSON") && !error.fix.isEmpty,
            "\(error)"
        )
        #expect(!error.description.contains("\n") && !error.description.contains("\u{1B}"), "\(error)")
    }

    @Test("Negative counts that still add up are refused: the first negative count is named")
    func negativeCountsThatAddUp() throws {
        let error = try #require(
            try Self.error { object in
                guard var data = object["data"] as? [String: Any], var arms = data["arms"] as? [[String: Any]],
                    let first = arms[0]["units"] as? Int, let second = arms[1]["units"] as? Int
                else { return }
                arms[0]["units"] = -first
                arms[1]["units"] = second + 2 * first
                data["arms"] = arms
                object["data"] = data
            },
            "accepted"
        )
        #expect(error.field == "data.arms[0].units" && error.problem.contains("negative"), "\(error)")
    }

    @Test("A key given twice is refused naming it (the last would win and a second set of numbers hide)")
    func duplicateKeys() throws {
        let error = try #require(
            try Self.textError {
                $0.replacingOccurrences(
                    of: "\"experiment\" : \"summary-test\"",
                    with: "\"experiment\" : \"summary-test\", \"experiment\" : \"other\""
                )
            },
            "accepted"
        )
        #expect(error.field == "experiment" && error.problem.contains("twice"), "\(error)")
        let nested = try #require(
            try Self.textError {
                $0.replacingOccurrences(of: "\"outcome_sd\" : ", with: "\"outcome_sd\" : 1, \"outcome_sd\" : ")
            },
            "accepted"
        )
        #expect(nested.field == "data.outcome_sd", "\(nested)")
    }

    @Test("Nesting far deeper than the format is refused quickly, without exhausting the stack")
    func deepNesting() throws {
        let depth = 100_000
        let text =
            "{\"format\": \"experiment-advisor/analysis-summary\", \"version\": 1, \"x\": "
            + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        let start = Date()
        var refused: InputError?
        do {
            _ = try SummaryFile.parse(Data(text.utf8), path: "deep.summary.json")
        } catch {
            refused = error
        }
        let error = try #require(refused, "accepted")
        #expect(error.field?.hasPrefix("x") == true && error.problem.contains("deep"), "\(error)")
        #expect(Date().timeIntervalSince(start) < 2)
    }
}
