import AdvisorModel
import Foundation
import Testing

/// Propositions 1–3 of the paper as properties over random valid parameters.
///
/// Propositions 1 and 2 (gain rises with σ, falls with ρ) hold for every σ_ε and every F: the
/// gain depends on σ and ρ only through τ = σ·sqrt(1 − ρ), and it rises with τ. Proposition 3
/// (falls with s) is proved for σ_ε = 0 and normal means; with prediction error it can fail
/// (at τ = 0 the gain is negative and returns to 0 as s grows), so it is tested where it holds.
@Suite("Propositions 1–3 as properties")
struct PropertyTests {
    static func randomParameters(_ rng: inout SplitMix64, eps: Bool) -> ModelParameters {
        let m = 2 + Int(rng.next() % 30)
        let lowest = ModelParameters.lowestRho(arms: m)
        return ModelParameters(
            sigma: 0.01 + 2 * rng.nextOpenUnit(),
            rho: lowest + 0.01 + (0.97 - lowest) * rng.nextOpenUnit(),
            s: 2 * rng.nextOpenUnit(),
            predictionError: eps ? 2 * rng.nextOpenUnit() : 0,
            arms: m
        )
    }

    @Test("Gain rises with σ and falls with ρ (300 random parameter sets, normal and spike-and-slab)")
    func sigmaAndRho() throws {
        var rng = SplitMix64(seed: 1)
        let engine = GainEngine()
        for i in 0..<300 {
            let p = Self.randomParameters(&rng, eps: true)
            let means: ArmMeansDistribution = i % 3 == 0 ? .spikeAndSlab(spikeProbability: 0.5) : .normal
            let base = try engine.gain(p, means: means).gain
            var moreSigma = p
            moreSigma.sigma *= 1.05
            var lessRho = p
            lessRho.rho -= 0.01
            // Strict inequalities: the changes are 5% and 0.01, far above the engine's ~1e-12 error.
            #expect(try engine.gain(moreSigma, means: means).gain > base, "\(p)")
            #expect(try engine.gain(lessRho, means: means).gain > base, "\(p)")
        }
    }

    @Test("Gain falls with s when σ_ε = 0 (300 random parameter sets)")
    func sFalls() throws {
        var rng = SplitMix64(seed: 2)
        for _ in 0..<300 {
            let p = Self.randomParameters(&rng, eps: false)
            var moreS = p
            moreS.s *= 1.05
            #expect(try GainEngine().gain(moreS).gain < GainEngine().gain(p).gain, "\(p)")
        }
    }

    @Test("Two arms: the closed form of eq. 7 obeys the same signs over a grid")
    func twoArmSigns() {
        for sigma in [0.1, 0.5, 1.0] {
            for rho in [-0.9, 0.0, 0.9] {
                for s in [0.05, 0.5] {
                    let g = TwoArmGain.expectedGain(sigma: sigma, rho: rho, s: s)
                    #expect(TwoArmGain.expectedGain(sigma: sigma * 1.01, rho: rho, s: s) > g)
                    #expect(TwoArmGain.expectedGain(sigma: sigma, rho: rho + 0.01, s: s) < g)
                    #expect(TwoArmGain.expectedGain(sigma: sigma, rho: rho, s: s * 1.01) < g)
                }
            }
        }
    }
}
