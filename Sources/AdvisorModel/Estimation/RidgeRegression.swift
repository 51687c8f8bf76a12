/// Ridge regression on standardized covariates, solved by Cholesky from the normal equations.
///
/// Written by hand because it is thirty lines: the machine has no linear-algebra package for
/// Swift, and this is the "simpler policy" beside boosted trees. Missing covariates (NaN) are
/// imputed with the training mean, so a missing value predicts like an average unit.
public struct RidgeRegression: Sendable {
    public private(set) var intercept: Double
    public private(set) var coefficients: [Double]
    /// The training mean of each covariate: what a missing value is replaced with.
    public let means: [Double]
    let scales: [Double]

    /// A fitted model as a policy file stores it (prediction needs only these).
    public init(intercept: Double, coefficients: [Double], means: [Double]) {
        precondition(coefficients.count == means.count, "one mean per coefficient")
        self.intercept = intercept
        self.coefficients = coefficients
        self.means = means
        scales = Array(repeating: 1, count: means.count)
    }

    /// Fits y ~ X with penalty `lambda` per unit (the penalty matrix is lambda·n·I on the
    /// standardized scale, so its strength does not depend on the sample size).
    public init(features: FeatureMatrix, outcome: [Double], lambda: Double = 1e-3) {
        self.init(parts: [LabeledRows(features: features, outcome: outcome)], lambda: lambda)
    }

    /// Fits on the rows of all `parts` together (an arm's training and validation rows, without
    /// copying them into one matrix).
    public init(parts: [LabeledRows], lambda: Double = 1e-3) {
        let p = parts.first?.features.columns ?? 0
        precondition(parts.allSatisfy { $0.features.columns == p }, "every part has the same covariates")
        let n = max(parts.reduce(0) { $0 + $1.count }, 1)
        var means = Array(repeating: 0.0, count: p)
        var scales = Array(repeating: 0.0, count: p)
        var gram = Array(repeating: 0.0, count: p * p)
        var right = Array(repeating: 0.0, count: p)
        var yMean = 0.0
        /// Runs `body` over every part's raw rows: covariates (row-major), outcomes, row count.
        func eachPart(_ body: (UnsafeBufferPointer<Float>, UnsafeBufferPointer<Double>, Int) -> Void) {
            for part in parts {
                part.features.values.withUnsafeBufferPointer { x in
                    part.outcome.withUnsafeBufferPointer { y in body(x, y, part.count) }
                }
            }
        }
        // Three sequential passes over the rows through raw storage (they run once per unit and
        // arm): column means of the observed values, their spread, then the normal equations
        // (Z'Z + λnI) b = Z'(y − ȳ) on the standardized Z.
        var counts = [Int](repeating: 0, count: p)
        eachPart { x, y, rows in
            for i in 0..<rows {
                yMean += y[i]
                for j in 0..<p where !x[i * p + j].isNaN {
                    means[j] += Double(x[i * p + j])
                    counts[j] += 1
                }
            }
        }
        yMean /= Double(n)
        for j in 0..<p { means[j] = counts[j] > 0 ? means[j] / Double(counts[j]) : 0 }
        let shift = means
        eachPart { x, _, rows in
            scales.withUnsafeMutableBufferPointer { scales in
                for i in 0..<rows {
                    for j in 0..<p {
                        let v = x[i * p + j]
                        let d = v.isNaN ? 0 : Double(v) - shift[j]
                        scales[j] += d * d
                    }
                }
            }
        }
        for j in 0..<p { scales[j] = scales[j] > 0 ? (scales[j] / Double(n)).squareRoot() : 1 }
        let inverseScale = scales.map { 1 / $0 }
        var z = [Double](repeating: 0, count: p)
        eachPart { x, y, rows in
            gram.withUnsafeMutableBufferPointer { g in
                right.withUnsafeMutableBufferPointer { r in
                    z.withUnsafeMutableBufferPointer { z in
                        for i in 0..<rows {
                            for j in 0..<p {
                                let v = x[i * p + j]
                                z[j] = v.isNaN ? 0 : (Double(v) - shift[j]) * inverseScale[j]
                            }
                            let target = y[i] - yMean
                            for j in 0..<p {
                                let zj = z[j]
                                r[j] += zj * target
                                for k in 0...j { g[j * p + k] += zj * z[k] }
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
        predict(features.rows([row]))[0]
    }

    /// A prediction for every row of `features`, in one sequential pass over its storage.
    public func predict(_ features: FeatureMatrix) -> [Double] {
        let p = features.columns
        precondition(p == coefficients.count, "the model was fitted on \(coefficients.count) covariates")
        // A missing value contributes the training mean: the same as intercept + b·mean.
        let coefficients = self.coefficients
        let means = self.means
        return [Double](unsafeUninitializedCapacity: features.rows) { out, count in
            features.values.withUnsafeBufferPointer { x in
                coefficients.withUnsafeBufferPointer { c in
                    means.withUnsafeBufferPointer { means in
                        @inline(__always) func term(_ row: Int, _ j: Int) -> Double {
                            let v = x[row + j]
                            return c[j] * (v.isNaN ? means[j] : Double(v))
                        }
                        for r in 0..<features.rows {
                            // Four partial sums: one running sum would make each row wait on
                            // p dependent additions.
                            let row = r * p
                            var s0 = 0.0
                            var s1 = 0.0
                            var s2 = 0.0
                            var s3 = 0.0
                            var j = 0
                            while j + 4 <= p {
                                s0 += term(row, j)
                                s1 += term(row, j + 1)
                                s2 += term(row, j + 2)
                                s3 += term(row, j + 3)
                                j += 4
                            }
                            while j < p {
                                s0 += term(row, j)
                                j += 1
                            }
                            out[r] = intercept + ((s0 + s1) + (s2 + s3))
                        }
                    }
                }
            }
            count = features.rows
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
