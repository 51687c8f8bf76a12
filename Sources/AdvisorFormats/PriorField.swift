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
                "'\(name)' is not available for \(key)",
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
            try spec.rejectUnknownKeys(["distribution", "median", "log_sd"])
            return .logNormal(median: try positive("median"), logSD: try positive("log_sd"))
        default:
            try spec.rejectUnknownKeys(["distribution", "alpha", "beta"])
            return .beta(alpha: try positive("alpha"), beta: try positive("beta"))
        }
    }

    static func isPositive(_ kind: Kind) -> Bool {
        if case .positiveScale = kind { return true }
        return false
    }
}
