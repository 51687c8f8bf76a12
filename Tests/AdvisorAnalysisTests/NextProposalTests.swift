import AdvisorAnalysis
import AdvisorFormats
import AdvisorModel
import AdvisorReports
import Foundation
import Testing

/// The verdict's next proposal is a valid proposal file whose prediction, read back through the
/// same reader and predictor as any dropped proposal, agrees with the verdict's own prediction.
@Suite("The next test's proposal")
struct NextProposalTests {
    @Test("Read back unchanged, it predicts what the verdict predicted (within its 90% interval)")
    func roundTrip() throws {
        var settings = AnalysisSettings()
        settings.bootstrap = 100
        settings.estimateBootstrap = 20
        let truth = SyntheticExperiment(sigma: 0.3, rho: 0.3, armMeans: [1, 1.02, 1.04, 1.06], noise: 0.5)
        let data = truth.generate(units: 12_000, seed: 4)
        let v = try PostExperimentAnalyzer(settings: settings).analyze(
            experiment: "follow-up",
            data: data,
            covariateNames: (0..<truth.columns).map { "x\($0)" },
            binaryOutcome: false,
            models: [("ridge-t-learner", RidgeOutcomeModel())]
        ).verdict
        let yaml = NextProposalFile.yaml(v)
        let proposal = try ProposalFile.parse(yaml, file: "follow-up-next-proposal.yaml")
        #expect(proposal.armNames == data.armNames)
        #expect(
            proposal.sampleSize == .eachArm(v.nextProposal.sampleSize?.unitsPerArm(arms: 4).map { $0.rounded() } ?? [])
        )
        guard case .truncatedNormal(let mean, let sd, _, _) = proposal.priors.sigma else {
            Issue.record("σ's prior is not a distribution: \(proposal.priors.sigma)")
            return
        }
        #expect(abs(mean - v.estimates.sigma) < 1e-5 * v.estimates.sigma)
        #expect(abs(sd - (v.estimates.standardErrors?.sigma ?? 0)) < 1e-5 * sd)
        let prediction = try ProposalPrediction.predict(
            proposal,
            path: "follow-up-next-proposal.yaml",
            settings: PredictionSettings()
        )
        #expect(
            prediction.gain.mean >= v.predicted.lower && prediction.gain.mean <= v.predicted.upper,
            "\(prediction.gain.mean) outside [\(v.predicted.lower), \(v.predicted.upper)]"
        )
        #expect(yaml.contains("# What would change the gain"))
    }

    @Test("Arm names that YAML would misread are quoted")
    func quoting() throws {
        #expect(
            NextProposalFile.yaml(try Self.verdictWithArms(["yes", "a: b", "\"q\""])).contains(
                #"arms: ["yes", "a: b", "\"q\""]"#
            )
        )
    }

    static func verdictWithArms(_ names: [String]) throws -> PostExperimentVerdict {
        var settings = AnalysisSettings()
        settings.bootstrap = 20
        settings.estimateBootstrap = 0
        settings.policyTree.depth = 0
        var data = SyntheticExperiment(sigma: 0.3, rho: 0.3, armMeans: [1, 1, 1], noise: 0.5).generate(
            units: 3_000,
            seed: 1
        )
        data.armNames = names
        var prediction = PredictionSettings()
        prediction.leverDraws = 20
        let v = try PostExperimentAnalyzer(settings: settings, prediction: prediction).analyze(
            experiment: "names",
            data: data,
            covariateNames: (0..<data.features.columns).map { "x\($0)" },
            binaryOutcome: false,
            models: [("ridge-t-learner", RidgeOutcomeModel())]
        ).verdict
        // And the file reads back with the same names.
        #expect(try ProposalFile.parse(NextProposalFile.yaml(v), file: "n.yaml").armNames == names)
        return v
    }
}
