import Foundation

/// What a team believes about one parameter before the test: a number or a distribution.
public enum Prior: Sendable, Hashable, Codable {
    /// A known value.
    case fixed(Double)
    /// Uniform on [min, max].
    case uniform(min: Double, max: Double)
    /// Normal(mean, sd) truncated to [min, max] (each defaulting to the parameter's valid range).
    case truncatedNormal(mean: Double, sd: Double, min: Double?, max: Double?)
    /// log X ~ N(log median, logSD²); for the positive scale parameters σ and σ_ε.
    case logNormal(median: Double, logSD: Double)
    /// Beta(α, β) rescaled from [0, 1] to ρ's valid range [−1/(m−1), 1].
    case beta(alpha: Double, beta: Double)

    /// A draw, inside the valid range [lower, upper] of the parameter.
    public func sample(lower: Double, upper: Double, using rng: inout some RandomNumberGenerator) -> Double {
        switch self {
        case .fixed(let x):
            return x
        case let .uniform(a, b):
            return a + (b - a) * rng.nextOpenUnit()
        case let .truncatedNormal(mean, sd, a, b):
            // Inverse-CDF sampling: exact, no rejection loop even for far-out truncation.
            let lo = Swift.max(a ?? lower, lower)
            let hi = Swift.min(b ?? upper, upper)
            guard sd > 0 else { return Swift.min(Swift.max(mean, lo), hi) }
            let pLo = lo.isFinite ? Normal.cdf((lo - mean) / sd) : 0
            let pHi = hi.isFinite ? Normal.cdf((hi - mean) / sd) : 1
            let u = pLo + (pHi - pLo) * rng.nextOpenUnit()
            let x = mean + sd * Normal.quantile(Swift.min(Swift.max(u, 1e-300), 1 - 1e-16))
            return Swift.min(Swift.max(x, lo), hi)
        case let .logNormal(median, logSD):
            return median * exp(logSD * rng.nextStandardNormal())
        case let .beta(alpha, beta):
            return lower + (upper - lower) * rng.nextBeta(alpha: alpha, beta: beta)
        }
    }

    /// A central value for point summaries (sensitivity curves, the diagnosis): the median where
    /// it is simple, else the mean.
    public func center(lower: Double, upper: Double) -> Double {
        switch self {
        case .fixed(let x): return x
        case let .uniform(a, b): return (a + b) / 2
        case let .truncatedNormal(mean, _, a, b):
            return Swift.min(Swift.max(mean, Swift.max(a ?? lower, lower)), Swift.min(b ?? upper, upper))
        case let .logNormal(median, _): return median
        case let .beta(alpha, beta): return lower + (upper - lower) * alpha / (alpha + beta)
        }
    }

    /// Human-readable form for reports.
    public var summary: String {
        switch self {
        case .fixed(let x): return NumberText.shortest(x)
        case let .uniform(a, b): return "uniform(\(NumberText.shortest(a)), \(NumberText.shortest(b)))"
        case let .truncatedNormal(mean, sd, a, b):
            let bounds =
                (a != nil || b != nil)
                ? " on [\(a.map(NumberText.shortest) ?? "-inf"), \(b.map(NumberText.shortest) ?? "inf")]" : ""
            return "normal(mean \(NumberText.shortest(mean)), sd \(NumberText.shortest(sd)))\(bounds)"
        case let .logNormal(median, logSD):
            return "log-normal(median \(NumberText.shortest(median)), log-sd \(NumberText.shortest(logSD)))"
        case let .beta(alpha, beta):
            return "beta(\(NumberText.shortest(alpha)), \(NumberText.shortest(beta))) on the valid range"
        }
    }

    /// True when the prior is a single number.
    public var isFixed: Bool {
        if case .fixed = self { return true }
        return false
    }
}
