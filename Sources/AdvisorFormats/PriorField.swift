import AdvisorModel
import Yams
import Foundation

/// Reads one prior (`priors.sigma` and friends): a number, or a mapping with a `distribution`.
enum PriorField {
    /// Which values are valid, which decides the allowed distributions and bounds.
    enum Kind {
        case positiveScale
        case nonNegativeScale
        case nonNegative
        case correlation(lowest: Double)

        var lower: Double {
            switch self {
            case .positiveScale, .nonNegativeScale, .nonNegative: return 0
            case .correlation(let lowest): return lowest
            }
        }
        var upper: Double {
            if case .correlation = self { return 1 }
            return .infinity
        }
        var rangeText: String {
            switch self {
            case .positiveScale: return "a number > 0"
            case .nonNegativeScale, .nonNegative: return "a number ≥ 0"
            case .correlation(let lowest): return "between \(String(format: "%.4g", lowest)) (−1/(m−1)) and 1"
            }
        }
        func contains(_ x: Double) -> Bool {
            switch self {
            case .positiveScale: return x > 0
            case .nonNegativeScale, .nonNegative: return x >= 0
            case .correlation(let lowest): return x >= lowest - 1e-12 && x <= 1
            }
        }
        var distributions: [String] {
            switch self {
            case .positiveScale, .nonNegativeScale: return ["normal", "uniform", "log-normal"]
            case .nonNegative: return ["normal", "uniform"]
            case .correlation: return ["normal", "uniform", "beta"]
            }
        }
    }

    static func read(_ block: YAMLReader, _ key: String, kind: Kind) throws(InputError) -> Prior {
        let example = "e.g. '\(key): 0.5' or '\(key): {distribution: uniform, min: 0.2, max: 0.6}'"
        guard let node = block.value(key) else {
            throw block.error(key, "missing", fix: "give a number or a distribution, \(example)")
        }
        if case Node.scalar = node {
            let x = try block.number(key, fix: example) ?? .nan
            guard kind.contains(x) else {
                throw block.error(key, "\(x) is out of range", fix: "use \(kind.rangeText)")
            }
            return .fixed(x)
        }
        guard let spec = try block.child(key) else { throw block.error(key, "missing", fix: example) }
        let name = try spec.string("distribution", fix: "name one of: \(kind.distributions.joined(separator: ", "))")
        guard let name else {
            throw spec.error(
                "distribution",
                "missing",
                fix: "name one of: \(kind.distributions.joined(separator: ", "))"
            )
        }
        let canonical =
            ["truncated-normal": "normal", "lognormal": "log-normal", "log_normal": "log-normal"][name] ?? name
        guard kind.distributions.contains(canonical) else {
            let hint = nearest(name, in: kind.distributions).map { "did you mean '\($0)'? " } ?? ""
            throw spec.error(
                "distribution",
                "'\(InputError.excerpt(name))' is not available for \(key)",
                fix: "\(hint)use one of: \(kind.distributions.joined(separator: ", "))"
            )
        }
        func positive(_ field: String) throws(InputError) -> Double {
            let x = try spec.requiredNumber(field, fix: "give a number > 0")
            guard x > 0 else { throw spec.error(field, "\(x) is not above 0", fix: "give a number > 0") }
            return x
        }
        func bound(_ field: String) throws(InputError) -> Double? {
            guard let x = try spec.number(field, fix: "use \(kind.rangeText)") else { return nil }
            guard kind.contains(x) || (field == "min" && kind.lower == 0 && x == 0) else {
                throw spec.error(field, "\(x) is outside the valid range", fix: "use \(kind.rangeText)")
            }
            return x
        }
        switch canonical {
        case "uniform":
            try spec.rejectUnknownKeys(["distribution", "min", "max"])
            let a = try spec.requiredNumber("min", fix: "give the smallest plausible value")
            let b = try spec.requiredNumber("max", fix: "give the largest plausible value")
            guard kind.contains(a) || (kind.lower == 0 && a == 0 && !isPositive(kind)) else {
                throw spec.error("min", "\(a) is outside the valid range", fix: "use \(kind.rangeText)")
            }
            guard kind.contains(b) else {
                throw spec.error("max", "\(b) is outside the valid range", fix: "use \(kind.rangeText)")
            }
            guard a < b else {
                throw spec.error("max", "max \(b) is not above min \(a)", fix: "make max larger than min")
            }
            if isPositive(kind) && a <= 0 {
                throw spec.error("min", "\(a) is not above 0", fix: "use a min > 0: \(key) must be positive")
            }
            return .uniform(min: a, max: b)
        case "normal":
            try spec.rejectUnknownKeys(["distribution", "mean", "sd", "min", "max"])
            let mean = try spec.requiredNumber("mean", fix: "give the most plausible value")
            let sd = try positive("sd")
            let a = try bound("min")
            let b = try bound("max")
            let lo = max(a ?? kind.lower, kind.lower)
            let hi = min(b ?? kind.upper, kind.upper)
            guard lo < hi else {
                throw spec.error("max", "the range [\(lo), \(hi)] is empty", fix: "make max larger than min")
            }
            let mass =
                (hi.isFinite ? Normal.cdf((hi - mean) / sd) : 1) - (lo.isFinite ? Normal.cdf((lo - mean) / sd) : 0)
            guard mass > 1e-6 else {
                throw spec.error(
                    "mean",
                    "normal(\(mean), \(sd)) puts almost no probability inside [\(lo), \(hi)]",
                    fix: "move the mean into the valid range (\(kind.rangeText)) or widen sd"
                )
            }
            return .truncatedNormal(mean: mean, sd: sd, min: a, max: b)
        case "log-normal":
            try spec.rejectUnknownKeys(["distribution", "median", "log_sd", "mean", "sd"])
            if spec.value("mean") != nil || spec.value("sd") != nil {
                // By its mean and sd, the way people state a belief: with v = 1 + sd²/mean²,
                // log_sd = √(ln v) and median = mean/√v.
                try rejectMixed(spec, native: ["median", "log_sd"])
                let mean = try positive("mean")
                let sd = try positive("sd")
                let v = 1 + sd * sd / (mean * mean)
                return .logNormal(median: mean / v.squareRoot(), logSD: log(v).squareRoot())
            }
            return .logNormal(median: try positive("median"), logSD: try positive("log_sd"))
        default:
            try spec.rejectUnknownKeys(["distribution", "alpha", "beta", "mean", "sd"])
            if spec.value("mean") != nil || spec.value("sd") != nil {
                // By ρ's own mean and sd on its range [L, 1]: on the unit scale m' = (mean − L)/(1 − L)
                // and s' = sd/(1 − L), α + β = m'(1 − m')/s'² − 1 (which must be > 0).
                try rejectMixed(spec, native: ["alpha", "beta"])
                let mean = try spec.requiredNumber("mean", fix: "give ρ's most plausible value")
                let sd = try positive("sd")
                let low = kind.lower
                let unitMean = (mean - low) / (1 - low)
                guard unitMean > 0 && unitMean < 1 else {
                    throw spec.error(
                        "mean",
                        "\(mean) is not inside (\(String(format: "%.4g", low)), 1)",
                        fix: "give a mean strictly inside ρ's range \(kind.rangeText)"
                    )
                }
                let unitSD = sd / (1 - low)
                let largest = (unitMean * (1 - unitMean)).squareRoot() * (1 - low)
                let total = unitMean * (1 - unitMean) / (unitSD * unitSD) - 1
                guard total > 0 else {
                    throw spec.error(
                        "sd",
                        "\(sd) is too large for a beta with mean \(mean): it must be below \(String(format: "%.4g", largest))",
                        fix: "give a smaller sd, or a uniform prior if nearly any ρ is plausible"
                    )
                }
                return .beta(alpha: unitMean * total, beta: (1 - unitMean) * total)
            }
            return .beta(alpha: try positive("alpha"), beta: try positive("beta"))
        }
    }

    /// A prior given both ways (mean and sd beside its native parameters) is ambiguous.
    static func rejectMixed(_ spec: YAMLReader, native: [String]) throws(InputError) {
        for key in native where spec.value(key) != nil {
            throw spec.error(
                key,
                "is given beside mean and sd",
                fix: "give either mean and sd, or \(native.joined(separator: " and "))"
            )
        }
    }

    static func isPositive(_ kind: Kind) -> Bool {
        if case .positiveScale = kind { return true }
        return false
    }
}
