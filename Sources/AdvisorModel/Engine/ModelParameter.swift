/// The model's parameters by name: one place for the key a file or report uses, the paper's
/// symbol and a label, so no layer spells "sigma" or "prediction_error" on its own and a typo
/// no longer compiles into a `default:` branch.
public enum ModelParameter: String, Sendable, Hashable, Codable, CaseIterable {
    case sigma
    case rho
    case s
    case predictionError = "prediction_error"
    /// m, the arm count (control included).
    case arms

    /// The four continuous parameters the priors, levers and sensitivity curves move.
    public static let continuous: [ModelParameter] = [.sigma, .rho, .s, .predictionError]

    /// The key in proposal files, reports and error messages.
    public var key: String { rawValue }

    /// The paper's symbol.
    public var symbol: String {
        switch self {
        case .sigma: "σ"
        case .rho: "ρ"
        case .s: "s"
        case .predictionError: "σ_ε"
        case .arms: "m"
        }
    }

    /// What it measures, in a few words.
    public var label: String {
        switch self {
        case .sigma: "within-arm heterogeneity"
        case .rho: "cross-arm correlation"
        case .s: "variation in arm means"
        case .predictionError: "prediction error"
        case .arms: "arms"
        }
    }

    /// The parameter's value in `p`.
    public func value(in p: ModelParameters) -> Double {
        switch self {
        case .sigma: p.sigma
        case .rho: p.rho
        case .s: p.s
        case .predictionError: p.predictionError
        case .arms: Double(p.arms)
        }
    }

    /// Sets the parameter in `p` (an arm count is rounded to the nearest whole number).
    public func set(_ value: Double, in p: inout ModelParameters) {
        switch self {
        case .sigma: p.sigma = value
        case .rho: p.rho = value
        case .s: p.s = value
        case .predictionError: p.predictionError = value
        case .arms: p.arms = Int(value.rounded())
        }
    }

    /// Whether a larger value means more gain from personalization (the paper's comparative
    /// statics): more heterogeneity and more arms help; more correlation, more spread in the arm
    /// means and more prediction error hurt.
    public var gainRisesWithValue: Bool {
        switch self {
        case .sigma, .arms: true
        case .rho, .s, .predictionError: false
        }
    }
}
