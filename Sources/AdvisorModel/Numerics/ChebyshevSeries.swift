import Foundation

/// A function on [lower, upper] as a truncated Chebyshev series, from its values at the
/// Chebyshev points of the first kind.
///
/// Written by hand (about 30 lines) because swift-numerics has no interpolation. For a function
/// analytic near the interval the error falls geometrically with the number of points, which is
/// why a dozen points per panel reproduce the engine's smooth curves to about 1e−10.
struct ChebyshevSeries: Sendable {
    let lower: Double
    let upper: Double
    let coefficients: [Double]

    /// The points x_i = cos(π(i + ½)/n) mapped to [lower, upper], where `init(values:)` wants its values.
    static func nodes(count n: Int, lower: Double, upper: Double) -> [Double] {
        (0..<n).map { i in
            let x = cos(Double.pi * (Double(i) + 0.5) / Double(n))
            return lower + (x + 1) * 0.5 * (upper - lower)
        }
    }

    /// The series through `values` at `nodes(count: values.count, lower:, upper:)` (a discrete
    /// cosine transform; the first coefficient is halved as usual).
    init(values: [Double], lower: Double, upper: Double) {
        let n = values.count
        self.lower = lower
        self.upper = upper
        coefficients = (0..<n).map { j in
            var sum = 0.0
            for i in 0..<n {
                sum += values[i] * cos(Double.pi * Double(j) * (Double(i) + 0.5) / Double(n))
            }
            return (j == 0 ? 1.0 : 2.0) * sum / Double(n)
        }
    }

    /// The series at t (Clenshaw's recurrence).
    func callAsFunction(_ t: Double) -> Double {
        let x = (2 * t - lower - upper) / (upper - lower)
        var b1 = 0.0
        var b2 = 0.0
        for c in coefficients.dropFirst().reversed() {
            (b1, b2) = (2 * x * b1 - b2 + c, b1)
        }
        return x * b1 - b2 + coefficients[0]
    }
}
