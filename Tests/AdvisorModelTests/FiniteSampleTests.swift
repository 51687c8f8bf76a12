import AdvisorModel
import Foundation
import Testing

/// The finite-sample design formula against an independent unit-level simulation of a real
/// experiment: units randomized to arms, the uniform arm picked from sample means, the policy
/// learned with per-person error σ_ε and with each arm's level off by that arm's sampling error.
@Suite("Finite-sample gain vs a simulated experiment")
struct FiniteSampleTests {
    /// One simulated experiment; returns policy value − value of the picked uniform arm.
    static func experiment(
        _ p: ModelParameters,
        unitsPerArm: [Int],
        outcomeSD: Double,
        evaluation: Int,
        rng: inout SplitMix64
    ) -> Double {
        let m = p.arms
        let mu = (0..<m).map { _ in p.s * rng.nextStandardNormal() }
        let noiseSD = (outcomeSD * outcomeSD - p.sigma * p.sigma).squareRoot()
        // The experiment: each unit's observed outcome in its arm; b_a is the arm mean's error.
        var levelError = [Double](repeating: 0, count: m)
        for a in 0..<m {
            var total = 0.0
            for _ in 0..<unitsPerArm[a] {
                total += p.sigma * rng.nextStandardNormal() + noiseSD * rng.nextStandardNormal()
            }
            levelError[a] = total / Double(unitsPerArm[a])
        }
        let sampleMeans: [Double] = zip(mu, levelError).map { $0 + $1 }
        let uniformArm: Int = sampleMeans.indices.max { sampleMeans[$0] < sampleMeans[$1] } ?? 0
        // The policy on fresh people: potential outcomes with a common and a specific part.
        let common = p.sigma * max(p.rho, 0).squareRoot()
        let specific = p.tau
        var total = 0.0
        for _ in 0..<evaluation {
            let shared = common * rng.nextStandardNormal()
            var best = -Double.infinity
            var value = 0.0
            for a in 0..<m {
                let y = mu[a] + shared + specific * rng.nextStandardNormal()
                let predicted = y + levelError[a] + p.predictionError * rng.nextStandardNormal()
                if predicted > best {
                    best = predicted
                    value = y
                }
            }
            total += value
        }
        return total / Double(evaluation) - mu[uniformArm]
    }

    @Test(
        "Balanced and unbalanced designs within 4 SE of the engine",
        arguments: [
            ([40, 40, 40, 40], 0.1), ([15, 15, 15], 0.0), ([10, 60, 30, 20, 40], 0.3),
        ]
    )
    func agrees(units: [Int], eps: Double) throws {
        let p = ModelParameters(sigma: 0.5, rho: 0.3, s: 0.2, predictionError: eps, arms: units.count)
        let design = SampleDesign(unitsPerArm: units.map(Double.init), outcomeSD: 1)
        let exact = try GainEngine(monteCarloDraws: 4000, seed: 3).gain(p, design: design)
        var rng = SplitMix64(seed: 5)
        let reps = 4000
        var sum = 0.0
        var sumSquares = 0.0
        for _ in 0..<reps {
            let g = Self.experiment(p, unitsPerArm: units, outcomeSD: 1, evaluation: 50, rng: &rng)
            sum += g
            sumSquares += g * g
        }
        let mean = sum / Double(reps)
        let se = ((sumSquares / Double(reps) - mean * mean) / Double(reps - 1)).squareRoot()
        // 4 SE of the simulation plus 4 SE of the engine's own outer Monte Carlo (unbalanced only).
        let band = 4 * (se * se + exact.standardError * exact.standardError).squareRoot()
        #expect(
            abs(mean - exact.gain) < band,
            "simulated \(mean) ± \(se), engine \(exact.gain) ± \(exact.standardError)"
        )
    }
}
