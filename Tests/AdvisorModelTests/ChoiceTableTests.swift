import AdvisorModel
import Foundation
import Testing

/// The tabulated choices a prediction uses (`ChoiceTable`) against the quadrature they replace.
///
/// Tolerance: 1e−8 of the gain's natural scale (s + τ + σ_ε + δ)·e_m, absolute. The interpolation
/// error of a 12-point Chebyshev panel of width 1 in log r is about 1e−10 for these analytic
/// curves; 1e−8 leaves room for the heavy-tailed t near ν = 2 and for rounding in the
/// normalization, and is still five orders below any prediction's Monte Carlo error (≥ 1e−3
/// of the gain), so a report cannot tell the two engines apart.
@Suite("Tabulated choices vs quadrature")
struct ChoiceTableTests {
    static let families: [ArmMeansDistribution] = [
        .spikeAndSlab(spikeProbability: 0.001), .spikeAndSlab(spikeProbability: 0.5),
        .spikeAndSlab(spikeProbability: 0.97), .spikeAndSlab(spikeProbability: 0.999),
        .studentT(degreesOfFreedom: 2.1), .studentT(degreesOfFreedom: 2.5), .studentT(degreesOfFreedom: 3),
        .studentT(degreesOfFreedom: 10),
    ]

    @Test("Exchangeable families: the table equals the quadrature over s, ρ, σ_ε, n and m", arguments: families)
    func exchangeable(means: ArmMeansDistribution) throws {
        let exact = GainEngine()
        let tabulated = GainEngine(table: ChoiceTable(for: means))
        var rng = SplitMix64(seed: 7)
        for trial in 0..<40 {
            let m = [2, 3, 5, 8, 20, 57, 400][trial % 7]
            let s = pow(10, -3 + 4 * rng.nextOpenUnit())
            let sigma = pow(10, -2 + 2 * rng.nextOpenUnit())
            let rho = ModelParameters.lowestRho(arms: m) + (1 - ModelParameters.lowestRho(arms: m)) * rng.nextOpenUnit()
            let eps = trial % 5 == 0 ? 0 : sigma * 2 * rng.nextOpenUnit()
            let p = ModelParameters(sigma: sigma, rho: rho, s: s, predictionError: eps, arms: m)
            let design: SampleDesign? =
                trial % 3 == 0
                ? nil : SampleDesign(totalUnits: pow(10, 2 + 4 * rng.nextOpenUnit()), arms: m, outcomeSD: 0.5)
            let a = try exact.gain(p, means: means, design: design)
            let b = try tabulated.gain(p, means: means, design: design)
            let delta = design.map { $0.meanNoise[0] } ?? 0
            let scale = (s + p.tau + eps + delta) * ExpectedMaximum.standardNormal(m)
            #expect(abs(a.gain - b.gain) <= 1e-8 * scale, "\(p) design \(String(describing: design)): \(a) vs \(b)")
            #expect(abs(a.uniformValue - b.uniformValue) <= 1e-8 * scale)
        }
    }

    @Test("Listed means with a balanced or no design: the table equals the quadrature")
    func listed() throws {
        let means = ArmMeansDistribution.list([0.30, 0.31, 0.32, 0.29, 0.305, 0.315, 0.33, 0.2, 0.31])
        let exact = GainEngine()
        let tabulated = GainEngine(table: ChoiceTable(for: means))
        var rng = SplitMix64(seed: 11)
        for trial in 0..<60 {
            let sigma = pow(10, -3 + 2.5 * rng.nextOpenUnit())
            let p = ModelParameters(
                sigma: sigma,
                rho: 0.9 * rng.nextOpenUnit(),
                s: 0,
                predictionError: trial % 4 == 0 ? 0 : sigma * rng.nextOpenUnit(),
                arms: 9
            )
            let design: SampleDesign? =
                trial % 2 == 0
                ? nil : SampleDesign(totalUnits: pow(10, 2 + 4 * rng.nextOpenUnit()), arms: 9, outcomeSD: 0.4)
            let a = try exact.gain(p, means: means, design: design)
            let b = try tabulated.gain(p, means: means, design: design)
            let scale = 0.03 + p.tau + p.predictionError + (design?.meanNoise[0] ?? 0)
            #expect(abs(a.gain - b.gain) <= 1e-8 * scale, "\(p): \(a) vs \(b)")
        }
    }

    @Test("Arm means negligible against the noise (s down to 1e-300) give a finite gain, as the quadrature's limit")
    func negligibleMeans() throws {
        for means in Self.families + [.list([0.3, 0.31, 0.29, 0.32])] {
            let arms = means == .list([0.3, 0.31, 0.29, 0.32]) ? 4 : 5
            let engine = GainEngine(table: ChoiceTable(for: means))
            for s in [1e-300, 1e-12] {
                let p = ModelParameters(sigma: 0.3, rho: 0.4, s: s, predictionError: 0.2, arms: arms)
                let g = try engine.gain(
                    p,
                    means: means,
                    design: SampleDesign(totalUnits: 5000, arms: arms, outcomeSD: 0.5)
                )
                #expect(g.gain.isFinite && g.policyValue.isFinite && g.uniformValue.isFinite, "\(means) s \(s)")
            }
        }
    }

    @Test("A table is used only for its own family, and normal means need none")
    func familyGuard() throws {
        #expect(ChoiceTable(for: .normal) == nil)
        #expect(ChoiceTable(for: .list([1, 1, 1])) == nil)
        let p = ModelParameters(sigma: 0.3, rho: 0.4, s: 0.2, predictionError: 0.1, arms: 6)
        let engine = GainEngine(table: ChoiceTable(for: .studentT(degreesOfFreedom: 4)))
        let other = try engine.gain(p, means: .spikeAndSlab(spikeProbability: 0.5)).gain
        #expect(other == (try GainEngine().gain(p, means: .spikeAndSlab(spikeProbability: 0.5)).gain))
    }
}
