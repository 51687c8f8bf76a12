import AdvisorAnalysis
import AdvisorModel
import Foundation
import Testing

/// Hostile analysis summaries through the built daemon (issue 31): each dropped into a fresh
/// spool and answered by `serve --once`, then the daemon started again over the same spool with
/// an ordinary proposal, which it must answer. Before the fix, a summary whose gain over its
/// standard error overflowed was archived, and every start then trapped rendering the index.
@Suite("Hostile summaries through serve", .serialized)
struct HostileSummaryTests {
    /// A consistent summary from a quick analysis, as a JSON object to edit.
    static func summaryObject() throws -> [String: Any] {
        var settings = AnalysisSettings()
        settings.bootstrap = 100
        settings.estimateBootstrap = 5
        let (_, _, summary) = try PostExperimentAnalyzer(settings: settings).analyze(
            experiment: "hostile",
            data: richExperiment.generate(units: 6_000, seed: 5),
            covariateNames: (0..<richExperiment.columns).map { "x\($0)" },
            binaryOutcome: false,
            models: [("ridge-t-learner", RidgeOutcomeModel())]
        )
        return try #require(
            try JSONSerialization.jsonObject(with: Data(SummaryFile.json(summary).utf8)) as? [String: Any]
        )
    }

    /// Every policy's AIPW comparison changed by `edit` (the chosen one among them).
    static func editComparisons(_ object: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        guard var policies = object["policies"] as? [[String: Any]] else { return }
        for k in policies.indices {
            guard var aipw = policies[k]["aipw"] as? [String: Any] else { continue }
            edit(&aipw)
            policies[k]["aipw"] = aipw
        }
        object["policies"] = policies
    }

    enum Hostile: String, CaseIterable, Sendable {
        /// Consistent, but its gain over its standard error overflows (the index's trap).
        case tinyStandardError
        case hugeGain
        case hugeOutcomeSD
        case hugeSigma
        /// Within 1e15, but 10^15 outcome SDs: the gain engine's grid collapsed (a worker trap).
        case armSpreadBeyondOutcome
        case forgedGain
        case newlineInArm
        case fractionalArmIndex
        case duplicateKey

        func text(from base: [String: Any]) throws -> String {
            var object = base
            switch self {
            case .tinyStandardError:
                HostileSummaryTests.editComparisons(&object) { $0["standard_error"] = Double.leastNonzeroMagnitude }
            case .hugeGain:
                HostileSummaryTests.editComparisons(&object) {
                    $0["gain"] = 1e308
                    $0["policy_value"] = 1e308
                }
            case .hugeOutcomeSD:
                var data = object["data"] as? [String: Any] ?? [:]
                data["outcome_sd"] = 1e308
                object["data"] = data
            case .hugeSigma:
                var estimates = object["estimates"] as? [String: Any] ?? [:]
                estimates["sigma"] = 1e308
                object["estimates"] = estimates
            case .armSpreadBeyondOutcome:
                var estimates = object["estimates"] as? [String: Any] ?? [:]
                estimates["s"] = 1e15
                object["estimates"] = estimates
            case .forgedGain:
                HostileSummaryTests.editComparisons(&object) { $0["gain"] = 1000.0 }
            case .newlineInArm:
                var data = object["data"] as? [String: Any] ?? [:]
                var arms = data["arms"] as? [[String: Any]] ?? []
                arms[0]["arm"] = "x\nverdict: personalize FORGED"
                data["arms"] = arms
                object["data"] = data
            case .fractionalArmIndex:
                object["best_uniform_arm"] = 0.5
            case .duplicateKey:
                break
            }
            var text = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            if self == .duplicateKey {
                text = text.replacingOccurrences(
                    of: "\"experiment\":",
                    with: "\"experiment\":\"decoy\",\"experiment\":"
                )
            }
            return text
        }
    }

    static let quickConfig = "prediction: {prior_draws: 400, lever_draws: 100}\n"

    static func serveOnce(_ root: String) throws -> (status: Int32?, stderr: String) {
        let daemon = try AdvisorProcess(
            arguments: [
                "serve", "--once", "--config", root + "/advisor.yaml", "--spool", root + "/spool", "--state-dir",
                root + "/state", "--log-target", "stderr",
            ],
            directory: root
        )
        return (daemon.waitForExit(120), daemon.stderr)
    }

    @Test("Each hostile summary is answered or refused naming its field; the next start answers a proposal")
    func hostileThenProposal() throws {
        let base = try Self.summaryObject()
        for hostile in Hostile.allCases {
            let root = try makeTemporaryDirectory()
            defer { removeDirectory(root) }
            let incoming = root + "/spool/incoming"
            try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)
            try Self.quickConfig.write(toFile: root + "/advisor.yaml", atomically: true, encoding: .utf8)
            try place(try hostile.text(from: base), as: "\(hostile.rawValue).summary.json", into: incoming)

            let first = try Self.serveOnce(root)
            #expect(first.status == 0, "\(hostile): \(first.stderr)")
            #expect(files(in: incoming).isEmpty, "\(hostile) left unanswered")
            let errors = files(in: root + "/spool/rejected").filter { $0.hasSuffix(".error.txt") }
            if hostile == .tinyStandardError {
                // Nothing wrong with its numbers one by one: answered, and the index drawn.
                #expect(hasReport(in: root + "/spool/reports/hostile", kind: "verdict"), "\(first.stderr)")
            } else {
                let error = try String(
                    contentsOfFile: root + "/spool/rejected/" + (try #require(errors.first, "\(hostile) accepted")),
                    encoding: .utf8
                )
                #expect(error.contains("field:"), "\(hostile): \(error)")
                #expect(!error.contains("a defect in experiment-advisor"), "\(hostile): \(error)")
            }

            try place(try exampleProposal(experiment: "after-\(hostile.rawValue)"), as: "next.yaml", into: incoming)
            let second = try Self.serveOnce(root)
            #expect(second.status == 0, "\(hostile), second start: \(second.stderr)")
            #expect(hasReport(in: root + "/spool/reports/after-\(hostile.rawValue)"), "\(hostile): \(second.stderr)")
            #expect(FileManager.default.fileExists(atPath: root + "/spool/reports/index.html"))
        }
    }
}
