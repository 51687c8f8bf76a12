import Dispatch
import Foundation

/// The paper's Algorithms 1 and 2, step by step: n simulated individuals per replication.
///
/// It is the slow reference the exact engine is tested against, so it deliberately shares no
/// derivation with it: it builds the full m×m covariance matrix Σ, factors it (Cholesky), draws
/// every individual's potential outcomes, adds prediction error, and picks the uniform arm from
/// the simulated Ŷ means exactly as the paper's step 6 says.
public struct LiteralSimulator: Sendable {
    /// The outcome of a simulation run.
    public struct Result: Sendable, Hashable, Codable {
        /// Mean of the per-replication gains V_t − V_u.
        public var meanGain: Double
        /// Monte Carlo standard error of `meanGain` (SD of the replications over sqrt(R)).
        public var standardError: Double
        public var replications: Int
        public var individuals: Int
    }

    public var parameters: ModelParameters
    public var means: ArmMeansDistribution
    public var individuals: Int
    public var replications: Int
    public var seed: UInt64

    public init(
        parameters: ModelParameters,
        means: ArmMeansDistribution = .normal,
        individuals: Int,
        replications: Int,
        seed: UInt64
    ) {
        self.parameters = parameters
        self.means = means
        self.individuals = individuals
        self.replications = replications
        self.seed = seed
    }

    /// Runs every replication; replication r uses its own stream of `seed`, so results do not
    /// depend on how the work is split.
    public func run() throws(ModelError) -> Result {
        try parameters.validate()
        try means.validate()
        guard individuals >= 1 else {
            throw ModelError.invalidParameter(name: "individuals", value: Double(individuals), validRange: "at least 1")
        }
        guard replications >= 2 else {
            throw ModelError.invalidParameter(
                name: "replications",
                value: Double(replications),
                validRange: "at least 2 (for a standard error)"
            )
        }
        if case .list(let values) = means, values.count != parameters.arms {
            throw ModelError.inconsistent("arm_means lists \(values.count) means but arms = \(parameters.arms)")
        }
        let factor = Self.choleskyOfEquicorrelation(arms: parameters.arms, sigma: parameters.sigma, rho: parameters.rho)
        // Replications are independent and each owns its seeded stream, so they run on every
        // core and the result is identical to a serial run.
        let gains = UnsafeMutableBufferPointer<Double>.allocate(capacity: replications)
        defer { gains.deallocate() }
        nonisolated(unsafe) let output = gains
        let count = replications
        DispatchQueue.concurrentPerform(iterations: count) { r in
            var rng = SplitMix64.stream(r, of: seed)
            output[r] = replication(factor: factor, using: &rng)
        }
        var sum = 0.0
        var sumSquares = 0.0
        for g in gains {
            sum += g
            sumSquares += g * g
        }
        let n = Double(replications)
        let mean = sum / n
        let variance = max(0, (sumSquares - n * mean * mean) / (n - 1))
        return Result(
            meanGain: mean,
            standardError: (variance / n).squareRoot(),
            replications: replications,
            individuals: individuals
        )
    }

    /// One replication of Algorithm 2 (Algorithm 1 when σ_ε = 0).
    func replication(factor: [Double], using rng: inout SplitMix64) -> Double {
        let m = parameters.arms
        // Step 1: the arm means.
        let mu = means.draw(arms: m, s: parameters.s, using: &rng)
        var z = [Double](repeating: 0, count: m)
        var noise = [Double](repeating: 0, count: m)
        var sumY = [Double](repeating: 0, count: m)
        var sumPredicted = [Double](repeating: 0, count: m)
        var policyTotal = 0.0
        let eps = parameters.predictionError
        // Raw buffers: this loop runs n·m²/2 times and is what the benchmark measures.
        factor.withUnsafeBufferPointer { l in
            sumY.withUnsafeMutableBufferPointer { sumY in
                sumPredicted.withUnsafeMutableBufferPointer { sumPredicted in
                    for _ in 0..<individuals {
                        // Step 3: Y ~ N(μ, Σ) as μ + L·z.
                        rng.fillStandardNormal(&z)
                        if eps > 0 { rng.fillStandardNormal(&noise) }
                        z.withUnsafeBufferPointer { z in
                            noise.withUnsafeBufferPointer { noise in
                                var bestPredicted = -Double.infinity
                                var bestValue = 0.0
                                for a in 0..<m {
                                    var value = mu[a]
                                    let row = a * m
                                    for b in 0...a { value += l[row + b] * z[b] }
                                    // Step 4: Ŷ = Y + ε.
                                    let predicted = value + eps * noise[a]
                                    sumY[a] += value
                                    sumPredicted[a] += predicted
                                    // Step 5: the policy takes the arm with the highest Ŷ.
                                    if predicted > bestPredicted {
                                        bestPredicted = predicted
                                        bestValue = value
                                    }
                                }
                                policyTotal += bestValue
                            }
                        }
                    }
                }
            }
        }
        // Step 6: the uniform arm has the highest mean Ŷ and is valued at its mean true Y.
        var uniformArm = 0
        for a in 1..<m where sumPredicted[a] > sumPredicted[uniformArm] { uniformArm = a }
        let n = Double(individuals)
        // Step 7.
        return policyTotal / n - sumY[uniformArm] / n
    }

    /// Lower-triangular L (row-major m×m) with L·Lᵀ = Σ, Σ = σ²·((1−ρ)I + ρ·11ᵀ).
    ///
    /// Σ is only positive semi-definite at ρ = 1 and ρ = −1/(m−1); a pivot that rounding drives
    /// to or below zero is set to zero, which is the exact factor of the singular limit.
    public static func choleskyOfEquicorrelation(arms m: Int, sigma: Double, rho: Double) -> [Double] {
        var sigmaMatrix = [Double](repeating: 0, count: m * m)
        for i in 0..<m {
            for j in 0..<m { sigmaMatrix[i * m + j] = sigma * sigma * (i == j ? 1 : rho) }
        }
        var l = [Double](repeating: 0, count: m * m)
        for j in 0..<m {
            var pivot = sigmaMatrix[j * m + j]
            for k in 0..<j { pivot -= l[j * m + k] * l[j * m + k] }
            let diagonal = pivot > 1e-14 * sigma * sigma ? pivot.squareRoot() : 0
            l[j * m + j] = diagonal
            for i in (j + 1)..<max(j + 1, m) {
                var value = sigmaMatrix[i * m + j]
                for k in 0..<j { value -= l[i * m + k] * l[j * m + k] }
                l[i * m + j] = diagonal > 0 ? value / diagonal : 0
            }
        }
        return l
    }
}
