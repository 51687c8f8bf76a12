import Foundation
import Synchronization

/// The choice among arms with known means and independent normal noise: X_a = μ_a + W_a,
/// W_a ~ N(0, w_a²), a* = argmax_a X_a.
///
/// For every arm it returns P(a* = a) and E[X_a·1{a* = a}], each a one-dimensional integral
/// over the value t of the maximum (see GainFromPersonalization.md, "Fixed arm means"):
///
///     P(a* = a)          = ∫ φ((t−μ_a)/w_a)/w_a · Π_{b≠a} Φ((t−μ_b)/w_b) dt
///     E[X_a·1{a* = a}]   = ∫ t · φ((t−μ_a)/w_a)/w_a · Π_{b≠a} Φ((t−μ_b)/w_b) dt
///
/// The product of CDFs is formed in log space, so a thousand arms do not underflow.
public struct FixedMeansChoice: Sendable {
    /// P(a* = a) for each arm.
    public var probabilities: [Double]
    /// E[X_a·1{a* = a}] for each arm.
    public var weightedValues: [Double]

    /// E[max_a X_a].
    public var expectedMaximum: Double { weightedValues.reduce(0, +) }

    /// Solves the choice for `means` and per-arm noise SDs `noise` (all > 0).
    public init(means: [Double], noise: [Double]) {
        precondition(means.count == noise.count && means.count >= 1, "one noise SD per arm")
        precondition(noise.allSatisfy { $0 > 0 }, "noise SDs must be positive; handle w = 0 by argmax")
        let m = means.count
        // Below lower, some arm c has t < μ_c − 9 w_c, so the product of CDFs is below 1e−19.
        var lower = -Double.infinity
        var upper = -Double.infinity
        let reach = 9 + (2 * log(Double(m))).squareRoot()
        for a in 0..<m {
            lower = max(lower, means[a] - 9 * noise[a])
            upper = max(upper, means[a] + reach * noise[a])
        }
        let smallest = noise.min() ?? 1
        let panels = max(8, Int(((upper - lower) / smallest).rounded(.up)))
        let grid = GaussLegendre.sixteen.grid(from: lower, to: upper, panels: panels)
        var probabilities = [Double](repeating: 0, count: m)
        var weighted = [Double](repeating: 0, count: m)
        var logCDF = [Double](repeating: 0, count: m)
        var density = [Double](repeating: 0, count: m)
        for (t, weight) in zip(grid.nodes, grid.weights) {
            var logProduct = 0.0
            for a in 0..<m {
                let z = (t - means[a]) / noise[a]
                logCDF[a] = Normal.logCDF(z)
                density[a] = Normal.density(z) / noise[a]
                logProduct += logCDF[a]
            }
            for a in 0..<m where density[a] > 0 {
                let term = weight * density[a] * exp(logProduct - logCDF[a])
                probabilities[a] += term
                weighted[a] += term * t
            }
        }
        self.probabilities = probabilities
        self.weightedValues = weighted
    }
}

/// Arms whose means are iid from a centred mixture of normals Σ_j p_j·N(0, s_j²)
/// (s_j = 0 is a point mass), each observed with the same independent noise N(0, w²).
///
/// Normal means are one component, spike-and-slab two, and Student-t a quadrature over its
/// precision (`studentT`). Because the arms are iid, every quantity the gain needs is a single
/// integral of the mixture CDF F raised to the power m − 1 (GainFromPersonalization.md,
/// "Exchangeable arms"):
///
///     E[max X]      = ∫ t · m f(t) F(t)^{m−1} dt
///     E[μ_{a*}]     = ∫ m g(t) F(t)^{m−1} dt,   g(t) = Σ_j p_j (s_j²/v_j²) t φ(t/v_j)/v_j,  v_j² = s_j² + w²
public struct ArmMeansMixture: Sendable, Hashable {
    /// Component probabilities, summing to 1.
    public var weights: [Double]
    /// Component SDs (0 for a point mass at the centre).
    public var sds: [Double]

    public init(weights: [Double], sds: [Double]) {
        precondition(weights.count == sds.count && !weights.isEmpty, "one SD per mixture weight")
        let total = weights.reduce(0, +)
        self.weights = weights.map { $0 / total }
        self.sds = sds
    }

    /// The mixture for a family of arm means with scale s; nil for listed means, which are not iid.
    public init?(_ means: ArmMeansDistribution, s: Double) {
        switch means {
        case .normal: self = .normal(s: s)
        case .spikeAndSlab(let pi): self = .spikeAndSlab(spikeProbability: pi, s: s)
        case .studentT(let nu): self = .studentT(degreesOfFreedom: nu, s: s)
        case .list: return nil
        }
    }

    /// N(0, s²).
    public static func normal(s: Double) -> ArmMeansMixture { ArmMeansMixture(weights: [1], sds: [s]) }

    /// Paper eq. 8: a point mass with probability π, else N(0, s²).
    public static func spikeAndSlab(spikeProbability pi: Double, s: Double) -> ArmMeansMixture {
        pi == 0 ? .normal(s: s) : ArmMeansMixture(weights: [pi, 1 - pi], sds: [0, s])
    }

    /// Student-t with ν degrees of freedom scaled to SD s, as a normal scale mixture:
    /// T = Z·sqrt(ν/V), V ~ χ²_ν. The mixing density is integrated over u = log V with
    /// Gauss–Legendre on a range wide enough that the omitted heavy tail contributes below
    /// 1e−12 of the scale to E[max] (GainFromPersonalization.md, "Student-t means").
    public static func studentT(degreesOfFreedom nu: Double, s: Double, nodes: Int = 96) -> ArmMeansMixture {
        let scale = s * ((nu - 2) / nu).squareRoot()
        let logNormaliser = (nu / 2) * log(2.0) + lgamma(nu / 2)
        let mode = log(nu)
        // Near the mode log V is about normal with SD sqrt(2/ν); far left, weight·SD of a
        // component decays like exp(((ν−1)/2)(u − mode)); far right the density falls like exp(−e^u/2).
        let width = (2 / nu).squareRoot()
        let lower = mode - max(28 / ((nu - 1) / 2), 14 * width)
        let upper = max(log(nu + 60 + 12 * nu.squareRoot()), mode + 14 * width)
        let rule = GaussLegendre(order: nodes)
        var weights: [Double] = []
        var sds: [Double] = []
        for (x, w) in zip(rule.nodes, rule.weights) {
            let u = lower + (x + 1) * 0.5 * (upper - lower)
            let density = exp((nu / 2) * u - exp(u) / 2 - logNormaliser)
            weights.append(w * 0.5 * (upper - lower) * density)
            sds.append(scale * (nu / exp(u)).squareRoot())
        }
        return ArmMeansMixture(weights: weights, sds: sds)
    }

    /// E[max X] and E[μ_{a*}] for m arms seen through noise SD w ≥ 0.
    ///
    /// With w = 0 the two coincide and equal E[max μ] (`expectedMaximumOfMeans`).
    public func choice(arms m: Int, noise w: Double) -> (expectedMaximum: Double, chosenMean: Double) {
        precondition(m >= 1 && w >= 0, "need m ≥ 1 and w ≥ 0")
        if w == 0 {
            let maximum = expectedMaximumOfMeans(arms: m)
            return (maximum, maximum)
        }
        return profile(noise: w, largestArms: m).choice(arms: m)
    }

    /// The variance of the means, Σ_j p_j·s_j² (1 for a unit normal or Student-t, 1 − π for a
    /// unit spike-and-slab).
    public var variance: Double { zip(weights, sds).reduce(0) { $0 + $1.0 * $1.1 * $1.1 } }

    /// The t-grid of noise level w > 0 with F_X, f_X and g evaluated once: E[max X] and E[μ_{a*}]
    /// for any m ≤ `largestArms` then cost one exp per node (`ChoiceProfile`), which is what lets
    /// a prediction reuse one noise level for every arm count it asks about.
    ///
    /// `step` is the width of a 16-point panel in u (t = c·sinh(u)); 0.2, the quadrature's own,
    /// is far finer than the integrands need, and a table's profiles use a coarser one whose
    /// agreement with it `ChoiceTableTests` checks.
    public func profile(noise w: Double, largestArms m: Int, step: Double = 0.2) -> ChoiceProfile {
        precondition(w > 0, "a choice profile needs noise; w = 0 is expectedMaximumOfMeans")
        let v = sds.map { ($0 * $0 + w * w).squareRoot() }
        // Every v_j ≥ w > 0.
        let c = v.min() ?? w
        let largest = v.max() ?? w
        let grid = Self.sinhGrid(narrowest: c, widest: largest, arms: m, step: step)
        var profile = ChoiceProfile(capacity: grid.count)
        let shrink = zip(sds, v).map { ($0.0 * $0.0) / ($0.1 * $0.1) }
        for (t, dt) in grid {
            var cdf = 0.0
            var survival = 0.0
            var density = 0.0
            var g = 0.0
            for j in weights.indices {
                let p = weights[j]
                let z = t / v[j]
                // Beyond |z| = 38.5 erfc and φ underflow: the component is all on one side.
                if z > 38.5 {
                    cdf += p
                    continue
                }
                if z < -38.5 {
                    survival += p
                    continue
                }
                // Deep inside a wide component (a heavy tail's far scales): Taylor terms to
                // z⁵ are exact in double precision for |z| < 1e−3 and cost no erfc or exp.
                if abs(z) < 1e-3 {
                    let z2 = z * z
                    let half = p * Normal.inverseSqrt2Pi * z * (1 - z2 / 6 + z2 * z2 / 40)
                    cdf += 0.5 * p + half
                    survival += 0.5 * p - half
                    let phi = p * Normal.inverseSqrt2Pi * (1 - z2 / 2 + z2 * z2 / 8) / v[j]
                    density += phi
                    g += phi * shrink[j] * t
                    continue
                }
                // One erfc gives both tails: the smaller is exact, the larger is p minus it.
                let tail = p * Normal.survival(abs(z))
                if z >= 0 {
                    cdf += p - tail
                    survival += tail
                } else {
                    cdf += tail
                    survival += p - tail
                }
                let phi = p * Normal.density(z) / v[j]
                density += phi
                g += phi * shrink[j] * t
            }
            // log1p(−S) keeps F^{m−1} accurate where F is within rounding of 1.
            let logCDF = survival < 0.5 ? log1p(-survival) : (cdf > 0 ? log(cdf) : -Double.infinity)
            profile.append(maximumWeight: dt * t * density, meanWeight: dt * g, logCDF: logCDF)
        }
        return profile
    }

    /// Nodes t and weights dt over the whole line for integrands of components with SDs from
    /// `narrowest` to `widest`: t = ±c·sinh(u), c the narrowest, so steps are fine near 0 and
    /// proportional to |t| far out, which resolves every component with one grid; out to
    /// (10 + √(2 log m)) times the widest SD, past which no maximum of m arms reaches.
    /// Negative nodes come first, each side from 0 outwards.
    static func sinhGrid(narrowest c: Double, widest: Double, arms m: Int, step: Double) -> [(t: Double, dt: Double)] {
        let reach = (10 + (2 * log(Double(max(m, 2)))).squareRoot()) * widest
        let uMax = asinh(reach / c)
        let panels = max(8, Int((uMax / step).rounded(.up)))
        let grid = GaussLegendre.sixteen.grid(from: 0, to: uMax, panels: panels)
        let half = zip(grid.nodes, grid.weights).map { (t: c * sinh($0.0), dt: $0.1 * c * cosh($0.0)) }
        return half.map { (t: -$0.t, dt: $0.dt) } + half
    }

    /// E[max_a μ_a] for m iid means, computed as ∫_0^∞ (1 − F^m) dt − ∫_{−∞}^0 F^m dt so that
    /// point masses are handled exactly.
    public func expectedMaximumOfMeans(arms m: Int) -> Double {
        let positive = sds.filter { $0 > 0 }
        guard let c = positive.min(), let largest = positive.max() else { return 0 }
        let mm = Double(m)
        var expectedMax = 0.0
        for (t, dt) in Self.sinhGrid(narrowest: c, widest: largest, arms: m, step: 0.2) {
            var cdf = 0.0
            var survival = 0.0
            for j in weights.indices {
                let p = weights[j]
                if sds[j] == 0 {
                    if t >= 0 { cdf += p } else { survival += p }
                    continue
                }
                let z = t / sds[j]
                cdf += p * Normal.cdf(z)
                survival += p * Normal.survival(z)
            }
            if t > 0 {
                expectedMax += dt * -expm1(mm * log1p(-min(survival, 1)))
            } else {
                expectedMax -= dt * exp(mm * log(cdf))
            }
        }
        return expectedMax
    }
}

/// One noise level's quadrature nodes with the mixture's F_X, f_X and g folded into weights:
///
///     E[max X]  = m·Σ_i dt_i·t_i·f_X(t_i)·F_X(t_i)^{m−1}
///     E[μ_{a*}] = m·Σ_i dt_i·g(t_i)·F_X(t_i)^{m−1}
///
/// Only the power depends on m, so one profile answers every arm count.
public struct ChoiceProfile: Sendable {
    /// dt·t·f_X(t) per node.
    var maximumWeights: [Double] = []
    /// dt·g(t) per node.
    var meanWeights: [Double] = []
    /// log F_X(t) per node (−∞ where F_X underflows).
    var logCDFs: [Double] = []

    init(capacity: Int) {
        maximumWeights.reserveCapacity(capacity)
        meanWeights.reserveCapacity(capacity)
        logCDFs.reserveCapacity(capacity)
    }

    mutating func append(maximumWeight: Double, meanWeight: Double, logCDF: Double) {
        maximumWeights.append(maximumWeight)
        meanWeights.append(meanWeight)
        logCDFs.append(logCDF)
    }

    /// `choice(arms:)` for every m from 2 to `largest` (index m; 0 and 1 unused), with F^{m−1}
    /// as a running product: relative error below m·1e−16, one exp per node in all.
    func choices(upTo largest: Int) -> [(expectedMaximum: Double, chosenMean: Double)] {
        var maxima = [Double](repeating: 0, count: largest + 1)
        var chosen = [Double](repeating: 0, count: largest + 1)
        for i in logCDFs.indices where logCDFs[i] > -745 {
            let f = exp(logCDFs[i])
            var power = f
            for m in 2...max(largest, 2) {
                maxima[m] += maximumWeights[i] * power
                chosen[m] += meanWeights[i] * power
                power *= f
                if power < 1e-300 { break }
            }
        }
        return (0...largest).map { (Double($0) * maxima[$0], Double($0) * chosen[$0]) }
    }

    /// E[max X] and E[μ_{a*}] for m arms.
    public func choice(arms m: Int) -> (expectedMaximum: Double, chosenMean: Double) {
        let power = Double(m - 1)
        var maximum = 0.0
        var chosen = 0.0
        for i in logCDFs.indices {
            let exponent = power * logCDFs[i]
            // F^{m−1} below 1e−320 adds nothing; the comparison also skips NaN from 0·(−∞) at m = 1.
            guard exponent > -737 else { continue }
            let f = exp(exponent)
            maximum += maximumWeights[i] * f
            chosen += meanWeights[i] * f
        }
        let mm = Double(m)
        return (mm * maximum, mm * chosen)
    }
}

/// e_m = E[max of m iid N(0, 1)], computed on first use for each m and remembered.
///
/// Computing only the counts a report asks for keeps a cold process's first answer under a
/// millisecond; a table of every count up to 512 cost about 10 ms of start-up.
public enum ExpectedMaximum {
    private static let cache = Mutex<[Int: Double]>([:])

    /// e_m for m ≥ 1.
    public static func standardNormal(_ m: Int) -> Double {
        precondition(m >= 1, "e_m needs m ≥ 1")
        if let known = cache.withLock({ $0[m] }) { return known }
        let value = integrate(m)
        cache.withLock { $0[m] = value }
        return value
    }

    /// ∫ t·m·φ(t)·Φ(t)^{m−1} dt on [−12, 12]: outside it the integrand is below 1e−30 for every
    /// m the engine accepts. 16-point panels of width 0.5 are exact to about 1e−15 here.
    static func integrate(_ m: Int) -> Double {
        let mm = Double(m)
        return GaussLegendre.sixteen.integrate(from: -12, to: 12, panels: 48) { t in
            t * mm * Normal.density(t) * exp((mm - 1) * Normal.logCDF(t))
        }
    }
}
