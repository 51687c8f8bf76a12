import AdvisorFormats
import AdvisorModel
import Foundation

/// A proposal from file to prediction: the use case `experiment-advisor predict` and the daemon
/// share, so both say the same thing about the same file.
public enum ProposalPrediction {
    /// Reads and predicts `path`. A value the model rejects is an input error naming the
    /// parameter's field (`priors.rho`), not the whole file. `shouldStop` is polled between draws.
    public static func run(
        path: String,
        settings: PredictionSettings,
        shouldStop: @Sendable () -> Bool = { false }
    ) throws(InputError) -> Prediction {
        let proposal = try ProposalFile.load(path: path)
        return try predict(proposal, path: path, settings: settings, shouldStop: shouldStop)
    }

    /// Predicts a proposal already read from `path`.
    public static func predict(
        _ proposal: Proposal,
        path: String,
        settings: PredictionSettings,
        shouldStop: @Sendable () -> Bool = { false }
    ) throws(InputError) -> Prediction {
        do {
            return try Predictor(settings: settings).predict(proposal, shouldStop: shouldStop)
        } catch .stopped {
            throw InputError(
                file: path,
                field: nil,
                problem: "the prediction was stopped before it finished",
                fix: "drop the file again; if it hit job_time_limit_seconds, raise that or lower prediction.prior_draws"
            )
        } catch {
            throw inputError(error, file: path)
        }
    }

    /// A model error as the proposal's author can act on it: the field that holds the value,
    /// the problem, and what to change.
    static func inputError(_ error: ModelError, file: String) -> InputError {
        switch error {
        case .invalidParameter(let name, _, _):
            let field = ModelParameter(rawValue: name).map { $0 == .arms ? "arms" : "priors.\($0.key)" } ?? name
            return InputError(
                file: file,
                field: field,
                problem: error.description,
                fix: "change \(field) so every value its prior can take is in the valid range"
            )
        case .inconsistent, .stopped:
            return InputError(
                file: file,
                field: nil,
                problem: error.description,
                fix: "change the priors or design so the model's inputs are valid"
            )
        }
    }
}
