import AdvisorModel
@testable import AdvisorReports
import Foundation
import Testing

/// Invariants of a prediction report, over random valid proposals (fixed seeds), not only the
/// bundled ones: every rendition tells one story, DO THIS follows from WHY and from the levers,
/// the arm curve's "best" is its optimum, and no figure is NaN.
///
/// Each proposal uses 200 prior draws: the invariants do not depend on the draw count. CI runs
/// 48 proposals (about a minute of a debug build's CPU); `INVARIANT_PROPOSALS=1000 swift test
/// --filter PredictionInvariant` runs as many as asked (benchmarks/invariants.sh).
@Suite("Prediction invariants over generated proposals")
struct PredictionInvariantTests {
    /// One random valid proposal: arm count, family of arm means, priors of every family, a
    /// sample size of every kind (or none), a 0/1 or continuous outcome, either threshold.
    static func proposal(_ index: Int) -> Proposal {
        var rng = SplitMix64.stream(index, of: 0xC0FFEE)
        func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * rng.nextOpenUnit() }
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        let arms = pick([2, 3, 4, 5, 8, 12, 20, 40])
        let twoCandidates = rng.nextOpenUnit() < 0.2
        let binary = rng.nextOpenUnit() < 0.5
        let baseline = binary ? uniform(0.02, 0.8) : uniform(-5, 50)
        let outcomeSD = binary ? (baseline * (1 - baseline)).squareRoot() : uniform(0.5, 20)
        // Heterogeneity and arm spread as shares of the outcome's spread, as real ones are.
        let sigma = outcomeSD * uniform(0.05, 0.6)
        let s = outcomeSD * uniform(0.005, 0.1)
        func prior(_ centre: Double) -> Prior {
            switch rng.next() % 4 {
            case 0: return .fixed(centre)
            case 1: return .uniform(min: centre * 0.5, max: centre * 1.5)
            case 2: return .truncatedNormal(mean: centre, sd: centre * 0.3, min: nil, max: nil)
            default: return .logNormal(median: centre, logSD: 0.4)
            }
        }
        let rho: Prior =
            switch rng.next() % 3 {
            case 0: .fixed(uniform(0, 0.95))
            case 1: .beta(alpha: uniform(1, 8), beta: uniform(1, 8))
            default: .uniform(min: 0.1, max: 0.9)
            }
        let sPrior: Prior = rng.nextOpenUnit() < 0.5 ? .fixed(s) : .uniform(min: s * 0.5, max: s * 1.5)
        let means: ArmMeansDistribution =
            switch rng.next() % 5 {
            case 0: .spikeAndSlab(spikeProbability: pick([0.01, 0.5, 0.9, 0.99]))
            case 1: .studentT(degreesOfFreedom: pick([2.2, 4, 10]))
            case 2: .list((0..<arms).map { _ in baseline + s * uniform(-2, 2) })
            default: .normal
            }
        let size: Proposal.SampleSize? =
            switch rng.next() % 4 {
            case 0: nil
            case 1: .perArm(pick([200, 2000, 20_000]))
            case 2 where !twoCandidates: .eachArm((0..<arms).map { _ in uniform(500, 3000).rounded() })
            default: .total(pick([2000, 20_000, 200_000]))
            }
        return Proposal(
            experiment: "generated-\(index)",
            armCandidates: twoCandidates ? [arms, arms * 2] : [arms],
            baseline: baseline,
            sampleSize: size,
            outcomeSD: size == nil && rng.nextOpenUnit() < 0.5 ? nil : outcomeSD,
            binaryOutcome: binary ? true : nil,
            priors: .init(sigma: prior(sigma), rho: rho, s: sPrior, predictionError: prior(sigma * uniform(0.1, 1.5))),
            armMeans: means,
            threshold: rng.nextOpenUnit() < 0.5 ? .relative(uniform(0.005, 0.1)) : .absolute(s * uniform(0.05, 2)),
            seed: UInt64(index)
        )
    }

    static let settings: PredictionSettings = {
        var settings = PredictionSettings()
        settings.priorDraws = 200
        settings.timeBudgetSeconds = 600
        return settings
    }()

    static let count = Int(ProcessInfo.processInfo.environment["INVARIANT_PROPOSALS"] ?? "") ?? 48

    @Test("Every rendition tells one story and every sentence holds", arguments: 0..<8)
    func invariants(batch: Int) throws {
        for index in stride(from: batch, to: Self.count, by: 8) {
            let proposal = Self.proposal(index)
            let p = try Predictor(settings: Self.settings).predict(proposal)
            try Self.check(p, index)
        }
    }

    static func check(_ p: Prediction, _ index: Int) throws {
        let context = "proposal \(index)"
        let json = try PredictionReport.json(p)
        let text = PredictionReport.text(p)
        let html = PredictionReport.html(p)
        for (name, rendition) in [("JSON", json), ("text", text), ("HTML", html)] {
            #expect(
                rendition.range(of: #"(?i)\b(-?nan|-?inf(inity)?)\b"#, options: .regularExpression) == nil,
                "\(context): NaN or infinity in the \(name)"
            )
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])

        // The headline figures are the same in the three renditions, at the shown precision.
        let gain = try #require(object["gain"] as? [String: Any])
        let mean = try #require(gain["mean"] as? Double)
        // JSONSerialization may read the last digit of a double differently.
        #expect(abs(mean - p.gain.mean) <= 1e-12 * max(abs(mean), 1e-300), "\(context)")
        let shownMean = NumberText.significant(p.gain.mean)
        #expect(text.contains("Predicted gain (mean)         \(shownMean)"), "\(context): text gain")
        #expect(html.contains(shownMean), "\(context): HTML gain")
        #expect(object["verdict"] as? String == p.verdict.rawValue)
        for sentence in [PredictionWording.headline(p), PredictionWording.action(p), PredictionWording.why(p)] {
            #expect(text.contains(sentence), "\(context): text lacks '\(sentence)'")
            #expect(html.contains(SVGChart.escape(sentence)), "\(context): HTML lacks '\(sentence)'")
            #expect(json.contains(Self.jsonEscaped(sentence)), "\(context): JSON lacks '\(sentence)'")
        }

        // The gain distribution is ordered and the verdict follows from its chance.
        let g = p.gain
        #expect(g.p05 <= g.p50 && g.p50 <= g.p95, "\(context): quantiles out of order")
        #expect((0...1).contains(g.probabilityActionable))
        let settings = Self.settings
        let expected: Verdict =
            g.probabilityActionable >= settings.actionableProbability
            ? .actionable : g.probabilityActionable >= settings.marginalProbability ? .marginal : .notActionable
        #expect(p.verdict == expected, "\(context): verdict \(p.verdict) for chance \(g.probabilityActionable)")
        #expect(g.histogram.reduce(0) { $0 + $1.count } == (g.histogram.isEmpty ? 0 : g.draws))
        for bin in g.histogram {
            #expect(
                !(bin.lower < p.threshold - 1e-12 * abs(p.threshold)
                    && bin.upper > p.threshold + 1e-12 * abs(p.threshold)),
                "\(context): a bar straddles the threshold"
            )
        }

        // Levers are ranked by what the team would deploy; DO THIS is the first one, and only
        // when it clearly raises that value.
        let deployed = p.levers.map(\.deployedValueAfter)
        #expect(deployed == deployed.sorted(by: >), "\(context): levers not ranked by deployed value")
        if case .applyLever = p.recommendation.nextStep {
            let lever = try #require(p.levers.first)
            #expect(PredictionWording.action(p).lowercased().contains(PredictionWording.change(lever).lowercased()))
            #expect(lever.deployedValueAfter - lever.deployedValueNow > 2 * lever.deployedChangeSE, "\(context)")
            #expect(lever.gainAfter > lever.gainNow, "\(context): recommended lever lowers the gain")
            if case .armCount = lever.kind {
                #expect(PredictionWording.why(p).contains("arms"), "\(context): WHY of an arm-count lever")
            }
        }

        // A candidate arm count's gain is the curve's at that count, and the proposed one's the headline.
        for candidate in p.candidates {
            if let point = p.armCurve.first(where: { $0.arms == candidate.arms }) {
                #expect(abs(point.gain - candidate.gainMean) <= 1e-12 * max(abs(point.gain), 1e-300), "\(context)")
            }
            if candidate.arms == p.parameters.armCandidates.first {
                #expect(abs(candidate.gainMean - p.gain.mean) <= 1e-9 * max(abs(p.gain.mean), 1e-300), "\(context)")
            }
        }

        // The arm curve's best is its optimum and lies inside it; the lever names the same count.
        if !p.armCurve.isEmpty {
            let largest = try #require(p.armCurve.map(\.gain).max())
            let curveArms = p.armCurve.map(\.arms)
            #expect(curveArms == curveArms.sorted() && curveArms.first == 2)
            let armLever = p.levers.first { if case .armCount = $0.kind { true } else { false } }
            // A curve still rising at the most arms tried recommends no count, and says why.
            let risingNote = p.notes.contains { if case .armCurveStillRising = $0 { true } else { false } }
            #expect(risingNote == p.armCurve.isStillRising, "\(context)")
            if p.armCurve.isStillRising { #expect(armLever == nil, "\(context): a count from a rising curve") }
            if let armLever, case .armCount(let best, _, let tried, _, _, _) = armLever.kind {
                let point = try #require(p.armCurve.first { $0.arms == best }, "\(context): best not on the curve")
                #expect(point.gain >= largest - 0.005 * abs(largest) - 1e-15, "\(context): best is not the optimum")
                #expect(tried == curveArms.last)
                // The text, the chart and the lever mark the same best count.
                #expect(best == p.armCurve.bestArmCount, "\(context)")
                if best != p.parameters.armCandidates.first {
                    #expect(html.contains("best (\(best))"), "\(context): the chart marks another best")
                    #expect(
                        text.contains("\(String(format: "%4d", best)) ") && text.contains("<- best"),
                        "\(context): the text marks another best"
                    )
                }
                // Not stopped at a grid edge while still rising: either past the best by a
                // doubling, or flat over the last doubling, or at the largest count tried.
                let top = try #require(p.armCurve.last)
                let half = p.armCurve.last { $0.arms <= top.arms / 2 } ?? p.armCurve[0]
                let peaked = best <= top.arms / 2
                let flat = top.gain - half.gain < 0.005 * abs(largest)
                #expect(peaked || flat, "\(context): an arm count recommended from a curve still rising at \(top.arms)")
            }
        }
    }

    /// `s` as the report's JSONEncoder writes it inside a string (quotes and backslashes escaped).
    static func jsonEscaped(_ s: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(s)) ?? Data()
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}
