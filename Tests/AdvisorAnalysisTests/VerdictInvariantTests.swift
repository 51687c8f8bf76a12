import AdvisorModel
import AdvisorReports
import AdvisorXGBoost
import Foundation
import Testing

/// Sentences that hold on every verdict, checked on the text, the HTML and the JSON of verdicts
/// made as `analyze` makes them (the XGBoost and the ridge T-learner, the trees): several seeds
/// and arm counts, each kind of verdict, with and without guardrails.
@Suite("Every verdict's report holds together")
struct VerdictInvariantTests {
    struct Case: Sendable, CustomStringConvertible {
        var label: String
        var truth: SyntheticExperiment
        var units: Int
        var seed: UInt64
        var description: String { label }
    }

    static let cases: [Case] = {
        var guarded = SyntheticExperiment(sigma: 0.4, rho: 0.1, armMeans: [1, 1.02, 1.04], noise: 0.5)
        guarded.guardrails = [
            SyntheticGuardrail(
                column: "unsubscribed",
                armMeans: [0, 0, 0],
                sigma: 0.3,
                correlation: 0.8,
                noise: 0.3,
                largerIsBetter: false,
                maxLoss: .absolute(0.02)
            )
        ]
        return [
            Case(
                label: "4 arms, strong signal",
                truth: SyntheticExperiment(sigma: 0.3, rho: 0.3, armMeans: [0.3, 0.31, 0.32, 0.33], noise: 0.6),
                units: 8_000,
                seed: 1
            ),
            Case(
                label: "2 arms, weak signal",
                truth: SyntheticExperiment(sigma: 0.03, rho: 0.5, armMeans: [1, 1.01], noise: 1),
                units: 4_000,
                seed: 2
            ),
            Case(
                label: "3 arms, no heterogeneity",
                truth: SyntheticExperiment(sigma: 0.001, rho: 0, armMeans: [0.2, 0.25, 0.3], noise: 0.3),
                units: 6_000,
                seed: 3
            ),
            Case(
                label: "5 arms, binary outcome",
                truth: SyntheticExperiment(
                    sigma: 0.1,
                    rho: 0.5,
                    armMeans: [0.3, 0.3, 0.32, 0.31, 0.3],
                    noise: 0,
                    binary: true
                ),
                units: 6_000,
                seed: 4
            ),
            Case(label: "3 arms, a conflicting guardrail", truth: guarded, units: 6_000, seed: 4),
            Case(label: "3 arms, a conflicting guardrail, another seed", truth: guarded, units: 6_000, seed: 9),
        ]
    }()

    static func verdict(_ c: Case) throws -> PostExperimentVerdict {
        var settings = AnalysisSettings()
        settings.bootstrap = 60
        settings.estimateBootstrap = 6
        var prediction = PredictionSettings()
        prediction.leverDraws = 40
        var boosting = BoostingParameters()
        boosting.objective = c.truth.binary ? .logistic : .squaredError
        return try PostExperimentAnalyzer(settings: settings, prediction: prediction).analyze(
            experiment: "invariants",
            data: c.truth.generate(units: c.units, seed: c.seed),
            covariateNames: (0..<c.truth.columns).map { "x\($0)" },
            binaryOutcome: c.truth.binary,
            models: [
                ("xgboost-t-learner", BoostedTreesOutcomeModel(parameters: boosting)),
                ("ridge-t-learner", RidgeOutcomeModel()),
            ]
        ).verdict
    }

    @Test("Every invariant on the text, the HTML and the JSON", arguments: cases)
    func invariants(_ c: Case) throws {
        let v = try Self.verdict(c)
        let text = VerdictReport.text(v)
        let html = VerdictReport.html(v)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(VerdictReport.json(v).utf8)) as? [String: Any]
        )
        Self.samePolicy(v, text: text, html: html, json: json)
        Self.labels(v, text: text, json: json)
        Self.partsWithinWholes(text + "\n" + html)
        Self.oneInstruction(v, text: text, html: html, json: json)
        Self.assignment(v, html: html)
        Self.minimalRules(text: text, html: html, json: json)
        Self.oneGuardrailWeight(v, text: text, html: html, json: json)
    }

    /// As the page escapes text (SVGChart.escape).
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    /// The prediction is set beside the realized gain of the policy the verdict is about.
    static func samePolicy(_ v: PostExperimentVerdict, text: String, html: String, json: [String: Any]) {
        let predicted = json["predicted"] as? [String: Any] ?? [:]
        let realized = json["realized"] as? [String: Any] ?? [:]
        #expect(predicted["policy"] as? String == v.policy)
        #expect(predicted["realized_gain"] as? Double == realized["gain"] as? Double, "the same figure, read alike")
        #expect(text.contains("for the \(v.policy) policy, with σ_ε"))
        #expect(text.contains("The \(v.policy) policy's realized gain"))
        #expect(html.contains(escape("realized (\(v.policy))")))
        #expect(!v.policies.contains { $0.name != v.policy && text.contains("for the \($0.name) policy, with σ_ε") })
    }

    /// σ_ε labels hold a σ_ε; the JSON's obvious key holds the σ_ε the text shows.
    static func labels(_ v: PostExperimentVerdict, text: String, json: [String: Any]) {
        let n = NumberText.significant
        let e = v.estimates
        let estimates = json["estimates"] as? [String: Any] ?? [:]
        // JSONSerialization reads the last digit back a little off: equal to 1e-12.
        func same(_ key: String, _ x: Double) -> Bool { abs((estimates[key] as? Double ?? .nan) - x) <= 1e-12 * abs(x) }
        #expect(same("prediction_error", e.sigmaEpsilon))
        #expect(same("prediction_error_paper", e.predictionError))
        #expect(text.contains("σ_ε prediction error          \(n(e.sigmaEpsilon))"))
        #expect(text.contains("with σ_ε \(n(e.sigmaEpsilon)) (the models' error)"))
        #expect(text.contains("with the paper's σ_ε \(n(e.predictionError))"))
        #expect(text.contains("with the within-cell σ_ε \(n(e.predictionErrorRefined))"))
    }

    /// "… gains A of the B …": A is never larger than B.
    static func partsWithinWholes(_ report: String) {
        let pattern = /gains (-?[0-9.e+-]+) of the (-?[0-9.e+-]+)/
        for match in report.matches(of: pattern) {
            let part = Double(match.output.1) ?? .nan
            let whole = Double(match.output.2) ?? .nan
            #expect(part <= whole, "\(match.output.0)")
        }
    }

    /// DO THIS is one sentence, the same in every rendition, consistent with the verdict, and
    /// never a second instruction about the next test.
    static func oneInstruction(_ v: PostExperimentVerdict, text: String, html: String, json: [String: Any]) {
        let action = VerdictWording.action(v)
        #expect(json["action"] as? String == action)
        #expect(text.contains("DO THIS: \(action)\n"))
        #expect(html.contains(escape(action)))
        #expect(!action.lowercased().contains("next test"))
        let sentences = action.split(separator: ". ").count
        #expect(sentences == 1, "\(action)")
        switch v.verdict {
        case .personalize: #expect(action.hasPrefix("Deploy the \(v.policy) policy"))
        case .shipUniform, .inconclusive:
            #expect(action.contains("ship '\(v.bestUniformArm)'") || action.hasPrefix("Ship '\(v.bestUniformArm)'"))
            #expect(!action.hasPrefix("Deploy"))
        }
    }

    /// "What the recommended policy assigns" shows what the verdict recommends.
    static func assignment(_ v: PostExperimentVerdict, html: String) {
        guard let heading = html.range(of: "<h2>What the recommended policy assigns</h2>") else {
            Issue.record("no assignment section")
            return
        }
        let rest = html[heading.upperBound...]
        let section = rest.range(of: "<h2>").map { rest[..<$0.lowerBound] } ?? rest
        if v.verdict == .personalize {
            #expect(section.contains(escape("the \(v.policy) policy sends to each arm")))
        } else {
            #expect(section.contains(escape("Everyone gets '\(v.bestUniformArm)'")))
            #expect(!section.contains("sends to each arm"))
        }
    }

    /// No tree rule repeats a bound another implies ("x <= 4 and x <= 2").
    static func minimalRules(text: String, html: String, json: [String: Any]) {
        func check(_ conditions: [(String, String)], _ where_: String) {
            var seen: Set<String> = []
            for (covariate, op) in conditions where op != "missing" {
                let key = covariate + (op == "==" || op == "!=" ? "=" : op)
                #expect(seen.insert(key).inserted, "\(where_): \(covariate) \(op) twice")
            }
        }
        for policy in json["policies"] as? [[String: Any]] ?? [] {
            for rule in policy["rules"] as? [[String: Any]] ?? [] {
                let conditions = (rule["conditions"] as? [[String: Any]] ?? []).map {
                    ($0["covariate"] as? String ?? "", $0["op"] as? String ?? "")
                }
                check(conditions, "JSON rule")
            }
        }
        let pattern = /(\w+) (<=|>|=|!=) \S+/
        let page = html.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        for line in (text + "\n" + page).split(separator: "\n") {
            for ruleText in line.components(separatedBy: "<li>") where ruleText.contains("→") {
                let when = ruleText.components(separatedBy: "→")[0]
                let conditions = when.components(separatedBy: " and ").compactMap { part in
                    part.firstMatch(of: pattern).map { (String($0.output.1), String($0.output.2)) }
                }
                check(conditions, "rule '\(when)'")
            }
        }
    }

    /// The guardrail weight a policy was learned with is the trade-off's used κ, quoted alike.
    static func oneGuardrailWeight(_ v: PostExperimentVerdict, text: String, html: String, json: [String: Any]) {
        guard let used = v.tradeoff.first(where: \.chosen) else { return }
        let weight = NumberText.significant(used.weight)
        let tradeoff = json["tradeoff"] as? [[String: Any]] ?? []
        #expect(tradeoff.contains { $0["chosen"] as? Bool == true && $0["weight"] as? Double == used.weight })
        #expect(text.contains("    \(weight.padding(toLength: 14, withPad: " ", startingAt: 0))"))
        #expect(html.contains(">\(weight) (used)<"))
        #expect(!text.contains("guardrail weights"))
        for line in text.split(separator: "\n") where line.contains("learned with guardrail weight") {
            #expect(line.contains("learned with guardrail weight \(weight) "), "\(line)")
        }
    }
}
