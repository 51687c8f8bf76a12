import Foundation

/// The two-arm closed forms of section 3 (no prediction error, infinite population).
public enum TwoArmGain {
    /// Paper eq. 7: E[max(Y_A, Y_B)] − max(μ_A, μ_B) for fixed means, with d = |μ_B − μ_A| and
    /// v = σ·sqrt(2(1 − ρ)): gain = −d·(1 − Φ(d/v)) + v·φ(d/v).
    public static func gain(muA: Double, muB: Double, sigma: Double, rho: Double) -> Double {
        let d = abs(muB - muA)
        let v = sigma * (2 * max(0, 1 - rho)).squareRoot()
        guard v > 0 else { return 0 }
        return -d * Normal.survival(d / v) + v * Normal.density(d / v)
    }

    /// Eq. 7 averaged over μ_A, μ_B iid N(M, s²): μ_A − μ_B ~ N(0, 2s²), so the expectation of the
    /// rectified normal gives (sqrt(s² + τ²) − s)/sqrt(π) with τ² = σ²(1 − ρ).
    public static func expectedGain(sigma: Double, rho: Double, s: Double) -> Double {
        let tau2 = sigma * sigma * max(0, 1 - rho)
        return ((s * s + tau2).squareRoot() - s) / Double.pi.squareRoot()
    }
}
