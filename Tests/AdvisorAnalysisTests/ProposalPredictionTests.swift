import AdvisorAnalysis
import AdvisorFormats
import AdvisorModel
import Testing

@Suite("Proposal to prediction")
struct ProposalPredictionTests {
    static func proposal(rho: Prior = .fixed(0.5), arms: Int = 4) -> Proposal {
        Proposal(
            experiment: "p",
            armCandidates: [arms],
            baseline: 0.3,
            priors: .init(sigma: .fixed(0.2), rho: rho, s: .fixed(0.01), predictionError: .fixed(0.1)),
            threshold: .absolute(0.01)
        )
    }

    @Test(
        "A value the model rejects names its field, so the error file says where to look",
        arguments: [(Prior.fixed(1.5), "priors.rho"), (Prior.fixed(-0.9), "priors.rho")]
    )
    func modelErrorNamesTheField(rho: Prior, field: String) {
        #expect {
            _ = try ProposalPrediction.predict(
                Self.proposal(rho: rho),
                path: "/x/p.yaml",
                settings: PredictionSettings()
            )
        } throws: { error in
            guard let error = error as? InputError else { return false }
            return error.file == "/x/p.yaml" && error.field == field && error.problem.contains("rho")
                && error.fix.contains(field)
        }
    }

    @Test("A valid proposal predicts as the predictor does")
    func valid() throws {
        let viaUseCase = try ProposalPrediction.predict(Self.proposal(), path: "p.yaml", settings: PredictionSettings())
        #expect(viaUseCase == (try Predictor().predict(Self.proposal())))
    }
}
