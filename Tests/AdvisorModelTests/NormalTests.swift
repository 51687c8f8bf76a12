import AdvisorModel
import Foundation
import Testing

@Suite("Normal distribution primitives")
struct NormalTests {
    @Test(
        "Φ and Φ⁻¹ invert each other to 1e-13 relative over 1e-300 … 1 − 1e-15",
        arguments: [
            1e-300, 1e-100, 1e-20, 1e-8, 0.001, 0.02425, 0.1, 0.3, 0.5, 0.7, 0.97575, 0.999, 1 - 1e-12,
        ]
    )
    func roundTrip(p: Double) {
        let x = Normal.quantile(p)
        // Tolerance: AS 241 and erfc are each good to a few ulps in x, and d(log p)/dx ≈ |x|, so an
        // error of a few ulps in x becomes about x²·4e-16 relative in p (1.4e-13 at p = 1e-300).
        #expect(abs(Normal.cdf(x) - p) <= max(1e-14, 4e-16 * x * x) * p)
    }

    @Test("Known quantiles to 1e-12")
    func knownQuantiles() {
        #expect(abs(Normal.quantile(0.975) - 1.959_963_984_540_054) < 1e-12)
        #expect(abs(Normal.quantile(0.5)) < 1e-15)
        #expect(abs(Normal.quantile(1e-10) + 6.361_340_902_404_056) < 1e-11)
    }

    @Test("log Φ is continuous where it switches to the asymptotic series, and finite far out")
    func logCDF() {
        // Just below x = −37 the series is used while erfc is still a normal number, so the two
        // can be compared at the same x: they agree to rounding (series error < 1e-13 there).
        for x in [-37.000_001, -37.1, -37.2] {  // Φ is still a normal double here (≈ 1e-305)
            let direct = log(Normal.cdf(x))
            #expect(abs(Normal.logCDF(x) - direct) < 1e-12 * abs(direct), "x = \(x)")
        }
        #expect(Normal.logCDF(-1e4).isFinite)
        #expect(abs(Normal.logCDF(-1e4) - (-5e7 - 0.918_938_533_204_672_7 - log(1e4))) < 1e-6)
        // Upper tail: log Φ(x) ≈ −(1 − Φ(x)) without cancellation.
        #expect(abs(Normal.logCDF(10) + Normal.survival(10)) < 1e-30)
    }
}

@Suite("Gauss–Legendre quadrature")
struct QuadratureTests {
    @Test("16 points integrate polynomials up to degree 31 exactly (to rounding)")
    func polynomialExactness() {
        let rule = GaussLegendre.sixteen
        #expect(abs(rule.weights.reduce(0, +) - 2) < 1e-14)
        for degree in [0, 1, 2, 7, 15, 30, 31] {
            let integral = rule.integrate(from: -1, to: 1, panels: 1) { pow($0, Double(degree)) }
            let exact = degree % 2 == 1 ? 0 : 2 / Double(degree + 1)
            #expect(abs(integral - exact) < 1e-14, "degree \(degree)")
        }
    }

    @Test("The composite rule integrates the normal density to 1 within 1e-15")
    func normalDensity() {
        let total = GaussLegendre.sixteen.integrate(from: -12, to: 12, panels: 24) { Normal.density($0) }
        #expect(abs(total - 1) < 1e-14)
    }
}

@Suite("Random draws")
struct RandomDrawTests {
    @Test("Ziggurat normals: moments and tail shares of 2 million draws")
    func zigguratMoments() {
        var rng = SplitMix64(seed: 42)
        var buffer = [Double](repeating: 0, count: 2_000_000)
        rng.fillStandardNormal(&buffer)
        let n = Double(buffer.count)
        let mean = buffer.reduce(0, +) / n
        let variance = buffer.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        let kurtosis = buffer.reduce(0) { $0 + pow($1 - mean, 4) } / n / (variance * variance)
        // Tolerances are 5 standard errors of each statistic at n = 2e6: mean 0.0007, variance
        // 0.001, kurtosis 0.0087; tail shares use the binomial SE.
        #expect(abs(mean) < 0.0036)
        #expect(abs(variance - 1) < 0.005)
        #expect(abs(kurtosis - 3) < 0.044)
        for cut in [1.0, 2.0, 3.0, 3.442_62, 4.0] {
            let share = Double(buffer.filter { $0 > cut }.count) / n
            let expected = Normal.survival(cut)
            let se = (expected * (1 - expected) / n).squareRoot()
            #expect(abs(share - expected) < 5 * se, "P(Z > \(cut))")
        }
    }

    @Test("Gamma, beta and Student-t draws have their known means and variances")
    func otherFamilies() {
        var rng = SplitMix64(seed: 7)
        let n = 200_000
        let gamma = (0..<n).map { _ in rng.nextGamma(shape: 0.7) }
        let gm = gamma.reduce(0, +) / Double(n)
        #expect(abs(gm - 0.7) < 5 * (0.7 / Double(n)).squareRoot())
        let beta = (0..<n).map { _ in rng.nextBeta(alpha: 2, beta: 5) }
        #expect(abs(beta.reduce(0, +) / Double(n) - 2.0 / 7) < 5 * (10.0 / 392 / Double(n)).squareRoot())
        let t = (0..<n).map { _ in rng.nextStudentT(degreesOfFreedom: 6) }
        let tv = t.reduce(0) { $0 + $1 * $1 } / Double(n)
        #expect(abs(tv - 1.5) < 0.05)  // Var = ν/(ν−2) = 1.5; its SE at ν = 6 is about 0.01
    }
}
