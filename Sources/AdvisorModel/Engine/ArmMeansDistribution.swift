import Foundation

/// F: the distribution the arm means μ_a are drawn from (or the means themselves).
///
/// The level M never matters for the gain (it shifts the policy and the benchmark alike), so
/// every family is centred at 0 and scaled by the parameter s.
public enum ArmMeansDistribution: Sendable, Hashable, Codable {
    /// μ_a ~ N(M, s²).
    case normal
    /// Paper eq. 8: μ_a = M with probability π, else N(M, s²). s is the slab's SD.
    case spikeAndSlab(spikeProbability: Double)
    /// μ_a = M + s·sqrt((ν−2)/ν)·T_ν: Student-t with ν > 2, scaled so that s stays the SD.
    case studentT(degreesOfFreedom: Double)
    /// Known arm means (from a pilot or a past test). s is ignored; the means are used as they are.
    case list([Double])

    /// Checks the family's own parameter.
    public func validate() throws(ModelError) {
        switch self {
        case .normal:
            return
        case .spikeAndSlab(let pi):
            try ModelError.check(
                "spike_probability",
                pi,
                pi.isFinite && pi >= 0 && pi < 1,
                validRange: "at least 0 and below 1"
            )
        case .studentT(let nu):
            try ModelError.check(
                "degrees_of_freedom",
                nu,
                nu.isFinite && nu > 2,
                validRange: "a number > 2 (so that the arm means have a finite SD)"
            )
        case .list(let means):
            guard means.count >= 2 else {
                throw ModelError.inconsistent("arm_means.values needs at least 2 means, got \(means.count)")
            }
            for (i, mu) in means.enumerated() where !mu.isFinite {
                throw ModelError.invalidParameter(
                    name: "arm_means.values[\(i)]",
                    value: mu,
                    validRange: "a finite number"
                )
            }
        }
    }

    /// The overall SD of the arm means that s implies (for spike-and-slab, sqrt(1 − π)·s).
    public func overallSD(s: Double) -> Double {
        switch self {
        case .normal, .studentT: return s
        case .spikeAndSlab(let pi): return (1 - pi).squareRoot() * s
        case .list(let means): return Self.standardDeviation(means)
        }
    }

    /// Short name used in reports.
    public var name: String {
        switch self {
        case .normal: return "normal"
        case .spikeAndSlab(let pi): return "spike-and-slab (spike probability \(NumberText.shortest(pi)))"
        case .studentT(let nu): return "Student-t (\(NumberText.shortest(nu)) degrees of freedom)"
        case .list(let means): return "the \(means.count) listed arm means"
        }
    }

    /// Population SD (divide by n), the paper's "SD of the arm means".
    static func standardDeviation(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return 0 }
        let mean = x.reduce(0, +) / Double(x.count)
        return (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count)).squareRoot()
    }

    /// One draw of m arm means centred at 0.
    func draw(arms: Int, s: Double, using rng: inout some RandomNumberGenerator) -> [Double] {
        switch self {
        case .normal:
            return (0..<arms).map { _ in s * rng.nextStandardNormal() }
        case .spikeAndSlab(let pi):
            return (0..<arms).map { _ in rng.nextOpenUnit() < pi ? 0 : s * rng.nextStandardNormal() }
        case .studentT(let nu):
            let scale = s * ((nu - 2) / nu).squareRoot()
            return (0..<arms).map { _ in scale * rng.nextStudentT(degreesOfFreedom: nu) }
        case .list(let means):
            return means
        }
    }
}
