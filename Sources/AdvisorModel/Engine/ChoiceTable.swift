import Foundation
import Synchronization

/// E[max X] and E[μ_{a*}] for one family of arm means, remembered as smooth functions of the
/// noise, so that the tens of thousands of gains one prediction asks for (every prior draw,
/// lever, arm count and elasticity) cost an interpolation each instead of a quadrature each.
///
/// Why it is exact enough: for means s·μ with μ from a fixed unit family, the choice through
/// noise w is s times the unit family's choice through noise r = w/s (the integrals scale), so
/// one curve in r per arm count serves every s. The curves are analytic in u = log r; they are
/// interpolated by Chebyshev series on panels of width 1 in u, each built on first use from
/// exact quadratures at its nodes (`ArmMeansMixture.profile`, one per node for every arm
/// count). Interpolated are the normalized Ê = E[max X]/√(V + r²) and Ĉ = E[μ_{a*}]·√(V + r²)/V,
/// which are constant for normal means and bounded for every family. Outside r ∈ [e^−10, e^12]
/// the exact quadrature answers. GainFromPersonalization.md, "Tabulated choices", gives the
/// error bound; `ChoiceTableTests` checks it against the quadrature.
public final class ChoiceTable: Sendable {
    /// Arm counts a prediction may ask about (the arm curve goes to 2 × the largest proposal).
    static let largestArms = 10_000
    /// Panels in u = log r: width and Chebyshev points per panel.
    static let panelWidth = 1.0
    static let pointsPerPanel = 12
    /// The t-grid of a table's profiles (`ArmMeansMixture.profile`) and the Student-t mixture's
    /// points: coarser than the quadrature's own (0.2 and 96), within the tested 1e−8.
    static let profileStep = 0.5
    static let studentTPoints = 96
    static let lowestLogRatio = -10.0
    static let highestLogRatio = 12.0

    enum Source: Sendable {
        /// Exchangeable arms: iid means from this mixture at unit scale.
        case mixture(ArmMeansMixture)
        /// Known means, centred and divided by their SD.
        case fixed([Double])
    }

    /// The family this table answers for; the engine uses it only for that family.
    public let family: ArmMeansDistribution
    let source: Source
    /// V: the variance of the unit-scale means.
    let variance: Double
    /// Known means: their centre and SD, which the unit-scale means were made with (0 and 1 else).
    let center: Double
    let scale: Double

    private struct Panel {
        /// One profile per Chebyshev point (mixtures); every arm count reads them.
        var profiles: [ChoiceProfile] = []
        /// Exact (E, C) per point (known means, whose arm count is fixed).
        var fixedValues: [(Double, Double)] = []
        /// Per arm count: the two interpolants.
        var curves: [Int: (maximum: ChebyshevSeries, chosen: ChebyshevSeries)] = [:]
    }

    private struct State {
        var panels: [Int: Panel] = [:]
        var maximumOfMeans: [Int: Double] = [:]
        /// Look-ups per panel not yet built: a panel costs `pointsPerPanel` quadratures, so it is
        /// built only once it has been asked `lookupsBeforePanel` times (a sensitivity sweep
        /// crosses many panels once each, and one quadrature per point is cheaper there).
        var lookups: [Int: Int] = [:]
    }

    /// Exact answers a panel gives before it is tabulated.
    static let lookupsBeforePanel = 1
    /// Arm counts up to this are tabulated together when a panel is built.
    static let batchedArms = 64

    private let state = Mutex(State())

    /// A table for `family`; nil for normal means, whose closed form needs none.
    public init?(for family: ArmMeansDistribution) {
        self.family = family
        switch family {
        case .normal:
            return nil
        case .spikeAndSlab, .studentT:
            let mixture: ArmMeansMixture
            if case .studentT(let nu) = family {
                mixture = .studentT(degreesOfFreedom: nu, s: 1, nodes: Self.studentTPoints)
            } else {
                guard let unit = ArmMeansMixture(family, s: 1) else { return nil }
                mixture = unit
            }
            source = .mixture(mixture)
            variance = mixture.variance
            center = 0
            scale = 1
        case .list(let means):
            let mean = means.reduce(0, +) / Double(means.count)
            let sd = ArmMeansDistribution.standardDeviation(means)
            guard sd > 0, sd.isFinite else { return nil }
            source = .fixed(means.map { ($0 - mean) / sd })
            variance = 1
            center = mean
            scale = sd
        }
    }

    /// E[max_a X_a] and E[μ_{a*}] at unit scale for m arms seen through noise SD r > 0.
    func choice(arms m: Int, ratio r: Double) -> (expectedMaximum: Double, chosenMean: Double) {
        // Means negligible against the noise (s of 1e−300 gives r = ∞, where a quadrature grid
        // cannot be laid): E[max X] = r·e_m and E[μ_{a*}] = V·e_m/r to first order, an error
        // below 1e−16 of the gain's scale r·e_m beyond r = 1e8.
        if r > 1e8 {
            let e = ExpectedMaximum.standardNormal(m)
            return (r * e, variance * e / r)
        }
        let u = log(r)
        guard u >= Self.lowestLogRatio, u < Self.highestLogRatio, m <= Self.largestArms else {
            return exact(arms: m, ratio: r)
        }
        let index = Int(((u - Self.lowestLogRatio) / Self.panelWidth).rounded(.down))
        let tabulated = state.withLock { state in
            if state.panels[index] != nil { return true }
            state.lookups[index, default: 0] += 1
            return state.lookups[index, default: 0] > Self.lookupsBeforePanel
        }
        guard tabulated else { return exact(arms: m, ratio: r) }
        let curves = state.withLock { state in
            Self.curves(in: &state, index: index, arms: m, source: source, variance: variance)
        }
        let scale = (variance + r * r).squareRoot()
        return (curves.maximum(u) * scale, curves.chosen(u) * variance / scale)
    }

    /// E[max_a μ_a] at unit scale (noise 0), remembered per arm count.
    func maximumOfMeans(arms m: Int) -> Double {
        if let known = state.withLock({ $0.maximumOfMeans[m] }) { return known }
        let value: Double
        switch source {
        case .mixture(let mixture): value = mixture.expectedMaximumOfMeans(arms: m)
        case .fixed(let means): value = means.max() ?? 0
        }
        state.withLock { $0.maximumOfMeans[m] = value }
        return value
    }

    /// One quadrature (on the table's t-grid), for ratios outside the table and for panels not
    /// yet built.
    func exact(arms m: Int, ratio r: Double) -> (expectedMaximum: Double, chosenMean: Double) {
        switch source {
        case .mixture(let mixture):
            return mixture.profile(noise: r, largestArms: m, step: Self.profileStep).choice(arms: m)
        case .fixed(let means):
            return Self.exactFixed(means, ratio: r)
        }
    }

    static func exactFixed(_ means: [Double], ratio r: Double) -> (expectedMaximum: Double, chosenMean: Double) {
        let choice = FixedMeansChoice(means: means, noise: Array(repeating: r, count: means.count))
        return (choice.expectedMaximum, zip(means, choice.probabilities).reduce(0) { $0 + $1.0 * $1.1 })
    }

    private static func curves(
        in state: inout State,
        index: Int,
        arms m: Int,
        source: Source,
        variance: Double
    ) -> (maximum: ChebyshevSeries, chosen: ChebyshevSeries) {
        let lower = lowestLogRatio + Double(index) * panelWidth
        let upper = lower + panelWidth
        var panel = state.panels[index] ?? Panel()
        if let known = panel.curves[m] { return known }
        let ratios = ChebyshevSeries.nodes(count: pointsPerPanel, lower: lower, upper: upper).map { exp($0) }
        let values: [(Double, Double)]
        switch source {
        case .mixture(let mixture):
            if panel.profiles.isEmpty {
                panel.profiles = ratios.map { mixture.profile(noise: $0, largestArms: largestArms, step: profileStep) }
            }
            if m >= 2 && m <= batchedArms {
                // Small arm counts come together (the arm curve asks for each of them), and a
                // running product gives every F^{m−1} for the price of one exp per node.
                let batches = panel.profiles.map { $0.choices(upTo: batchedArms) }
                for arms in 2...batchedArms where panel.curves[arms] == nil {
                    panel.curves[arms] = series(batches.map { $0[arms] }, ratios, lower, upper, variance)
                }
                state.panels[index] = panel
                return panel.curves[m] ?? series(batches.map { $0[m] }, ratios, lower, upper, variance)
            }
            values = panel.profiles.map { $0.choice(arms: m) }
        case .fixed(let means):
            if panel.fixedValues.isEmpty {
                panel.fixedValues = ratios.map { exactFixed(means, ratio: $0) }
            }
            values = panel.fixedValues
        }
        let curves = series(values, ratios, lower, upper, variance)
        panel.curves[m] = curves
        state.panels[index] = panel
        return curves
    }

    /// The normalized interpolants Ê and Ĉ through exact values at the panel's ratios.
    private static func series(
        _ values: [(Double, Double)],
        _ ratios: [Double],
        _ lower: Double,
        _ upper: Double,
        _ variance: Double
    ) -> (maximum: ChebyshevSeries, chosen: ChebyshevSeries) {
        let scales = ratios.map { (variance + $0 * $0).squareRoot() }
        return (
            maximum: ChebyshevSeries(values: zip(values, scales).map { $0.0.0 / $0.1 }, lower: lower, upper: upper),
            chosen: ChebyshevSeries(
                values: zip(values, scales).map { $0.0.1 * $0.1 / variance },
                lower: lower,
                upper: upper
            )
        )
    }
}
