/// Ridge regression on standardized covariates, solved by Cholesky from the normal equations.
///
/// Written by hand because it is thirty lines: the machine has no linear-algebra package for
/// Swift, and this is the "simpler policy" beside boosted trees. Missing covariates (NaN) are
/// imputed with the training mean, so a missing value predicts like an average unit.
public struct RidgeRegression: Sendable {
    public private(set) var intercept: Double
    public private(set) var coefficients: [Double]
    let means: [Double]
    let scales: [Double]

    /// Fits y ~ X with penalty `lambda` per unit (the penalty matrix is lambda·n·I on the
    /// standardized scale, so its strength does not depend on the sample size).
    public init(features: FeatureMatrix, rows: [Int], outcome: [Double], lambda: Double = 1e-3) {
        let p = features.columns
        let n = max(rows.count, 1)
        var means = Array(repeating: 0.0, count: p)
        var counts = Array(repeating: 0, count: p)
        for i in rows {
            for j in 0..<p where !features[i, j].isNaN {
                means[j] += Double(features[i, j])
                counts[j] += 1
            }
        }
        for j in 0..<p { means[j] = counts[j] > 0 ? means[j] / Double(counts[j]) : 0 }
        var scales = Array(repeating: 0.0, count: p)
        for i in rows {
            for j in 0..<p {
                let x = features[i, j].isNaN ? 0 : Double(features[i, j]) - means[j]
                scales[j] += x * x
            }
        }
        for j in 0..<p { scales[j] = scales[j] > 0 ? (scales[j] / Double(n)).squareRoot() : 1 }
        let yMean = rows.reduce(0) { $0 + outcome[$1] } / Double(n)

        // Normal equations (Z'Z + λnI) b = Z'(y − ȳ) on standardized Z, through raw pointers:
        // this loop runs once per unit and arm.
        var gram = Array(repeating: 0.0, count: p * p)
        var right = Array(repeating: 0.0, count: p)
        var z = Array(repeating: 0.0, count: p)
        features.values.withUnsafeBufferPointer { x in
            gram.withUnsafeMutableBufferPointer { g in
                right.withUnsafeMutableBufferPointer { r in
                    z.withUnsafeMutableBufferPointer { z in
                        for i in rows {
                            let row = i * p
                            for j in 0..<p {
                                let v = x[row + j]
                                z[j] = v.isNaN ? 0 : (Double(v) - means[j]) / scales[j]
                            }
                            let y = outcome[i] - yMean
                            for j in 0..<p {
                                let zj = z[j]
                                r[j] += zj * y
                                let base = j * p
                                for k in 0...j { g[base + k] += zj * z[k] }
                            }
                        }
                    }
                }
            }
        }
        for j in 0..<p { gram[j * p + j] += lambda * Double(n) + 1e-12 }
        let b = Self.solveSymmetric(gram, right, p)
        var coefficients = Array(repeating: 0.0, count: p)
        var intercept = yMean
        for j in 0..<p {
            coefficients[j] = b[j] / scales[j]
            intercept -= coefficients[j] * means[j]
        }
        self.intercept = intercept
        self.coefficients = coefficients
        self.means = means
        self.scales = scales
    }

    public func predict(_ features: FeatureMatrix, row: Int) -> Double {
        predict(features, rows: [row])[0]
    }

    /// Predictions for many rows at once (one pass over raw storage).
    public func predict(_ features: FeatureMatrix, rows: [Int]) -> [Double] {
        let p = features.columns
        return features.values.withUnsafeBufferPointer { x in
            rows.map { row in
                var y = intercept
                for j in 0..<p {
                    let v = x[row * p + j]
                    y += coefficients[j] * (v.isNaN ? means[j] : Double(v))
                }
                return y
            }
        }
    }

    /// Solves A x = b for symmetric positive definite A (lower triangle filled) by Cholesky.
    static func solveSymmetric(_ a: [Double], _ b: [Double], _ p: Int) -> [Double] {
        var l = Array(repeating: 0.0, count: p * p)
        for j in 0..<p {
            var d = a[j * p + j]
            for k in 0..<j { d -= l[j * p + k] * l[j * p + k] }
            let pivot = max(d, 1e-12).squareRoot()
            l[j * p + j] = pivot
            for i in (j + 1)..<max(j + 1, p) {
                var s = a[i * p + j]
                for k in 0..<j { s -= l[i * p + k] * l[j * p + k] }
                l[i * p + j] = s / pivot
            }
        }
        var y = b
        for i in 0..<p {
            for k in 0..<i { y[i] -= l[i * p + k] * y[k] }
            y[i] /= l[i * p + i]
        }
        for i in stride(from: p - 1, through: 0, by: -1) {
            for k in (i + 1)..<max(i + 1, p) { y[i] -= l[k * p + i] * y[k] }
            y[i] /= l[i * p + i]
        }
        return y
    }
}
