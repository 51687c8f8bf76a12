import Foundation

/// The population parameters of the gain model, in the paper's notation (GainFromPersonalization.md).
///
/// Gains and SDs are in the outcome's own units (a vaccination rate gain of 5.7 points is 0.057).
public struct ModelParameters: Sendable, Hashable, Codable {
    /// σ: SD across people of the covariate-explained part of the outcome, within one arm.
    public var sigma: Double
    /// ρ: correlation of one person's outcomes across two arms (equicorrelated).
    public var rho: Double
    /// s: SD of the arm means (for spike-and-slab means, the SD of the slab).
    public var s: Double
    /// σ_ε: SD of the learned outcome model's error, per person and arm.
    public var predictionError: Double
    /// m: number of arms, control included.
    public var arms: Int

    public init(sigma: Double, rho: Double, s: Double, predictionError: Double = 0, arms: Int) {
        self.sigma = sigma
        self.rho = rho
        self.s = s
        self.predictionError = predictionError
        self.arms = arms
    }

    /// τ = σ·sqrt(1 − ρ): the SD of the person-and-arm specific part of the outcome, the only part
    /// of the heterogeneity that can change which arm is best for a person.
    public var tau: Double { sigma * max(0, 1 - rho).squareRoot() }

    /// The lowest correlation for which an equicorrelated m×m matrix is positive semi-definite.
    public static func lowestRho(arms: Int) -> Double { -1 / Double(max(arms, 2) - 1) }

    /// Checks every parameter's valid range; the engine never sees an invalid value, so it never
    /// returns NaN.
    public func validate() throws(ModelError) {
        try ModelError.check("sigma", sigma, sigma.isFinite && sigma > 0, validRange: "a finite number > 0")
        try ModelError.check("s", s, s.isFinite && s >= 0, validRange: "a finite number ≥ 0")
        try ModelError.check(
            "prediction_error",
            predictionError,
            predictionError.isFinite && predictionError >= 0,
            validRange: "a finite number ≥ 0"
        )
        guard arms >= 2 else {
            throw ModelError.invalidParameter(
                name: "arms",
                value: Double(arms),
                validRange: "a whole number ≥ 2 (control included)"
            )
        }
        let lowest = Self.lowestRho(arms: arms)
        // A hair of slack for values computed as −1/(m−1) elsewhere.
        try ModelError.check(
            "rho",
            rho,
            rho.isFinite && rho >= lowest - 1e-12 && rho <= 1,
            validRange: "between \(NumberText.shortest(lowest)) (= −1/(m−1) for m = \(arms)) and 1"
        )
    }
}

/// A problem with the inputs of the model. Each case says what is wrong and what is valid.
public enum ModelError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A parameter outside its valid range.
    case invalidParameter(name: String, value: Double, validRange: String)
    /// Some other inconsistency in the inputs.
    case inconsistent(String)
    /// The caller asked the computation to stop (shutdown, time limit) before it finished.
    case stopped

    public var description: String {
        switch self {
        case .stopped:
            return "the computation was stopped before it finished"
        case let .invalidParameter(name, value, validRange):
            return "\(name) = \(NumberText.shortest(value)) is invalid: it must be \(validRange)"
        case let .inconsistent(message):
            return message
        }
    }

    /// The message is built only on failure: validation runs once per prior draw.
    static func check(
        _ name: String,
        _ value: Double,
        _ ok: Bool,
        validRange: @autoclosure () -> String
    ) throws(ModelError) {
        if !ok { throw ModelError.invalidParameter(name: name, value: value, validRange: validRange()) }
    }
}
