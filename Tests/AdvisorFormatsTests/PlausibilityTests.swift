import AdvisorFormats
import AdvisorModel
import Foundation
import Testing

/// Priors impossible for the outcome are errors at the door, naming the field and the fix
/// (ProposalPlausibility; README, "Proposal format").
@Suite("Plausibility at the door")
struct PlausibilityTests {
    /// The issue's report: a 5% rate with priors written in percentage points.
    static let pointsProposal = """
        experiment: points
        arms: 4
        baseline: 0.05
        sample_size: 20000
        outcome:
          binary: {base_rate: 0.05}
        priors:
          sigma: 3
          rho: 0.3
          s: 0.5
          prediction_error: 2
        threshold: {relative: 0.05}
        """

    /// Parses `text`; returns the error message (nil when it parsed).
    static func message(_ text: String) -> String? {
        do {
            _ = try ProposalFile.parse(text, file: "p.yaml")
            return nil
        } catch {
            return error.description
        }
    }

    static func expectError(_ text: String, mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        guard let message = message(text) else {
            Issue.record("accepted:\n\(text)", sourceLocation: sourceLocation)
            return
        }
        for part in mentions + ["p.yaml", "Fix:"] where !message.contains(part) {
            Issue.record("'\(part)' missing from: \(message)", sourceLocation: sourceLocation)
        }
    }

    @Test("σ in percentage points on a 5% rate names priors.sigma, the bound √(p(1−p)) and 0.03")
    func sigmaInPoints() {
        Self.expectError(
            Self.pointsProposal,
            mentions: ["priors.sigma", "3 is above 0.2179", "√(p(1−p)) at base rate p = 0.05", "did you mean 0.03"]
        )
    }

    @Test("σ_ε above twice a rate's SD, and s above it, each name their field")
    func predictionErrorAndS() {
        let eps = Self.pointsProposal.replacingOccurrences(of: "sigma: 3", with: "sigma: 0.03")
        Self.expectError(
            eps,
            mentions: ["priors.prediction_error", "2 is above 0.4359", "2·√(p(1−p))", "did you mean 0.02"]
        )
        let s = eps.replacingOccurrences(of: "prediction_error: 2", with: "prediction_error: 0.02")
        Self.expectError(s, mentions: ["priors.s", "arm means' SD 0.5 is above 0.2179", "did you mean 0.005"])
        let fixed = s.replacingOccurrences(of: "s: 0.5", with: "s: 0.005")
        #expect(Self.message(fixed) == nil, "\(Self.message(fixed) ?? "")")
    }

    @Test("A prior whose centre is inside the bound may reach past it in its tail")
    func tailAllowed() {
        let text = Self.pointsProposal
            .replacingOccurrences(of: "sigma: 3", with: "sigma: {distribution: log-normal, median: 0.15, log_sd: 0.6}")
            .replacingOccurrences(of: "s: 0.5", with: "s: 0.005")
            .replacingOccurrences(of: "prediction_error: 2", with: "prediction_error: 0.1")
        #expect(Self.message(text) == nil, "\(Self.message(text) ?? "")")
        let centre = text.replacingOccurrences(of: "median: 0.15", with: "median: 0.3")
        Self.expectError(centre, mentions: ["priors.sigma", "its centre 0.3 is above 0.2179"])
    }

    @Test("A relative threshold above 1 asks whether 5 meant 5%")
    func relativeThreshold() {
        let text = Self.pointsProposal
            .replacingOccurrences(of: "sigma: 3", with: "sigma: 0.03")
            .replacingOccurrences(of: "s: 0.5", with: "s: 0.005")
            .replacingOccurrences(of: "prediction_error: 2", with: "prediction_error: 0.02")
            .replacingOccurrences(of: "relative: 0.05", with: "relative: 5")
        Self.expectError(text, mentions: ["threshold.relative", "500%", "did you mean 0.05 for 5%?"])
        // Also without an outcome: a share above 1 is a typo whatever the outcome.
        let continuous = text.replacingOccurrences(of: "binary: {base_rate: 0.05}", with: "sd: 1")
        Self.expectError(continuous, mentions: ["threshold.relative", "did you mean 0.05 for 5%?"])
    }

    @Test("An absolute threshold a rate cannot reach asks whether it meant points")
    func absoluteThreshold() {
        let base = Self.pointsProposal
            .replacingOccurrences(of: "sigma: 3", with: "sigma: 0.03")
            .replacingOccurrences(of: "s: 0.5", with: "s: 0.005")
            .replacingOccurrences(of: "prediction_error: 2", with: "prediction_error: 0.02")
        Self.expectError(
            base.replacingOccurrences(of: "threshold: {relative: 0.05}", with: "threshold: 5"),
            mentions: ["field 'threshold'", "a gain of 5", "rate above 1", "did you mean 0.05"]
        )
        Self.expectError(
            base.replacingOccurrences(of: "threshold: {relative: 0.05}", with: "threshold: {absolute: 0.99}"),
            mentions: ["threshold.absolute", "the most any policy can gain is 0.95"]
        )
    }

    @Test("The best of many arms must stay a rate")
    func bestArm() {
        let text = """
            experiment: top
            arms: 20
            baseline: 0.9
            outcome: {binary: true}
            priors: {sigma: 0.1, rho: 0.3, s: 0.1, prediction_error: 0.02}
            threshold: 0.005
            """
        Self.expectError(text, mentions: ["priors.s", "the best of 20 arms", "above 1", "at most 0.05355"])
        // Each candidate count is held to it: 2 arms pass, 20 do not.
        Self.expectError(
            text.replacingOccurrences(of: "arms: 20", with: "arms: [2, 20]"),
            mentions: ["the best of 20 arms"]
        )
        #expect(Self.message(text.replacingOccurrences(of: "arms: 20", with: "arms: 2")) == nil)
    }

    @Test("A gain whose prior mass mostly lifts the rate past 1 names priors.sigma")
    func gainOutsideRange() {
        let text = """
            experiment: wide
            arms: 20
            baseline: 0.5
            outcome: {binary: true}
            priors: {sigma: 0.45, rho: 0, s: 0.01, prediction_error: 0}
            threshold: 0.005
            """
        Self.expectError(text, mentions: ["priors.sigma", "passes 1 in 100% of prior draws at 20 arms", "raise rho"])
        #expect(Self.message(text.replacingOccurrences(of: "rho: 0,", with: "rho: 0.9,")) == nil)
    }

    @Test("Listed arm means of a 0/1 outcome are rates")
    func listedMeans() {
        let text = """
            experiment: listed
            arms: 3
            baseline: 0.3
            outcome: {binary: true}
            arm_means: {distribution: list, values: [0.3, 0.31, 31]}
            priors: {sigma: 0.1, rho: 0.3, prediction_error: 0.1}
            threshold: 0.005
            """
        Self.expectError(text, mentions: ["arm_means.values", "31 is not a rate"])
        #expect(Self.message(text.replacingOccurrences(of: ", 31]", with: ", 0.32]")) == nil)
    }

    @Test("Without an outcome, σ above a baseline in [0, 1] asks what the outcome is")
    func noOutcome() {
        let text = """
            experiment: bare
            arms: 4
            baseline: 0.05
            priors: {sigma: 0.5, rho: 0.3, s: 0.01, prediction_error: 0.1}
            threshold: 0.005
            """
        Self.expectError(
            text,
            mentions: ["priors.sigma", "larger than the baseline 0.05", "outcome: {binary: true}", "outcome: {sd: X}"]
        )
        // Saying what it is settles it: a continuous outcome with that spread is possible.
        #expect(
            Self.message(text.replacingOccurrences(of: "baseline: 0.05", with: "baseline: 0.05\noutcome: {sd: 1}"))
                == nil
        )
        // A baseline that is not a rate says nothing about σ.
        #expect(Self.message(text.replacingOccurrences(of: "baseline: 0.05", with: "baseline: 12")) == nil)
    }

    @Test("With outcome.sd, σ cannot pass the outcome's SD nor σ_ε twice it")
    func continuousOutcome() {
        let text = """
            experiment: revenue
            arms: 4
            baseline: 12
            outcome: {sd: 9}
            priors: {sigma: {distribution: normal, mean: 12, sd: 2}, rho: 0.3, s: 0.4, prediction_error: 1}
            threshold: {relative: 0.02}
            """
        Self.expectError(text, mentions: ["priors.sigma", "its centre 12 is above 9", "outcome.sd", "at most 9"])
        let eps = text.replacingOccurrences(of: "mean: 12", with: "mean: 2")
            .replacingOccurrences(of: "prediction_error: 1", with: "prediction_error: 20")
        Self.expectError(eps, mentions: ["priors.prediction_error", "20 is above 18"])
        #expect(
            Self.message(eps.replacingOccurrences(of: "prediction_error: 20", with: "prediction_error: 1.5")) == nil
        )
    }

    @Test("Every bundled proposal and fixture passes the door")
    func bundled() throws {
        let folder = RepositoryFile.path("config/proposals")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }
        #expect(names.count >= 4)
        for name in names + ["../../Tests/Fixtures/penn-geisinger.json", "../../benchmarks/penn-geisinger-priors.yaml"]
        {
            #expect(throws: Never.self, "\(name)") { try ProposalFile.load(path: folder + "/" + name) }
        }
    }

    /// Random 0/1 proposals (fixed seed): σ, s or σ_ε centred just past its bound is refused
    /// naming that field, and just inside it (with room for the gain) is accepted.
    @Test("Random rates: just past a bound is refused by name, just inside is accepted")
    func randomRates() {
        var rng = SplitMix64(seed: 24)
        for _ in 0..<200 {
            let p = 0.02 + 0.96 * rng.nextOpenUnit()
            let sd = (p * (1 - p)).squareRoot()
            let arms = 2 + rng.nextIndex(below: 6)
            let inside = 0.3 + 0.6 * rng.nextOpenUnit()
            func proposal(sigma: Double, s: Double, eps: Double) -> String {
                """
                experiment: r
                arms: \(arms)
                baseline: \(p)
                outcome: {binary: {base_rate: \(p)}}
                priors: {sigma: \(sigma), rho: 0.95, s: \(s), prediction_error: \(eps)}
                threshold: {relative: 0.01}
                """
            }
            let ok = proposal(sigma: inside * sd, s: 0.001 * sd, eps: inside * 2 * sd)
            #expect(Self.message(ok) == nil, "\(Self.message(ok) ?? "")")
            let past = 1.05 + rng.nextOpenUnit()
            #expect(Self.message(proposal(sigma: past * sd, s: 0.001 * sd, eps: 0))?.contains("priors.sigma") == true)
            #expect(Self.message(proposal(sigma: 0.1 * sd, s: past * sd, eps: 0))?.contains("priors.s'") == true)
            #expect(
                Self.message(proposal(sigma: 0.1 * sd, s: 0, eps: past * 2 * sd))?.contains("priors.prediction_error")
                    == true
            )
        }
    }
}
