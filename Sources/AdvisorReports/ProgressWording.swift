import AdvisorModel
import Foundation

/// The progress line of a running analysis, the same on a terminal (`analyze`) and in the
/// daemon's STATUS= (`systemctl status experiment-advisor`).
public enum ProgressWording {
    static let stages = [
        "reading": "reading the data",
        "split": "splitting the units",
        "outcome_models": "fitting outcome models",
        "guardrail_models": "fitting guardrail models",
        "policy_choice": "choosing the policy",
        "policy_tree": "learning the policy tree",
        "evaluation": "evaluating on the holdout",
        "model_error": "measuring the model's error",
        "estimates": "estimating σ, ρ, s and σ_ε",
        "prediction": "predicting the gain from the estimates",
    ]

    /// "fitting outcome models 7/23", "learning the policy tree (12 models fitted)".
    public static func step(_ p: AnalysisProgress) -> String {
        let name = stages[p.stage] ?? p.stage.replacingOccurrences(of: "_", with: " ")
        if let total = p.total, total > 0 { return "\(name) \(min(p.done, total))/\(total)" }
        return p.done > 0 ? "\(name) (\(p.done) model\(p.done == 1 ? "" : "s") fitted)" : name
    }

    /// "analyzing flu-2027: fitting outcome models 7/23".
    /// One line whatever the name holds (a file name may hold a newline): control characters
    /// become spaces, as the worker's pipe and STATUS= are line-based.
    public static func line(_ what: String, _ p: AnalysisProgress) -> String {
        let name = String(what.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
        return "analyzing \(name): \(step(p))"
    }
}
