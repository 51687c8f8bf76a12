extension PostExperimentVerdict.Driver {
    /// The covariates that make the policy choose: for covariate j, the SD over arms of the
    /// correlation between x_j and the arm's prediction centred on the mean over arms (a
    /// covariate that moves every arm alike scores 0). `features`: the holdout units' rows.
    public static func ranked(
        features: FeatureMatrix,
        predictions: [[Double]],
        names: [String]
    ) -> [Self] {
        let n = features.rows
        let m = predictions.count
        let p = features.columns
        guard n > 2, m > 0, !names.isEmpty else { return [] }
        // Each unit's mean prediction over arms, subtracted from every arm's.
        var rowMean = [Double](repeating: 0, count: n)
        for column in predictions {
            for k in 0..<n { rowMean[k] += column[k] }
        }
        for k in 0..<n { rowMean[k] /= Double(m) }
        var drivers: [Self] = []
        var dx = [Double](repeating: 0, count: n)
        var present = [Double](repeating: 0, count: n)
        for j in 0..<p {
            // x_j centred on the mean of the units that have it; a missing x_j gets weight 0.
            var count = 0
            var sum = 0.0
            for k in 0..<n where !features[k, j].isNaN {
                sum += Double(features[k, j])
                count += 1
            }
            guard count > 2 else { continue }
            let mean = sum / Double(count)
            var sxx = 0.0
            for k in 0..<n {
                let v = features[k, j]
                present[k] = v.isNaN ? 0 : 1
                dx[k] = v.isNaN ? 0 : Double(v) - mean
                sxx += dx[k] * dx[k]
            }
            let units = Double(count)
            let correlations = predictions.map { column -> Double in
                // Σ w·y, Σ w·y², Σ dx·y over units, y the centred prediction; four units at a
                // time in SIMD lanes (a single running sum would wait on every addition).
                var sy = SIMD4<Double>.zero
                var syy = SIMD4<Double>.zero
                var sxy = SIMD4<Double>.zero
                var tail = (sy: 0.0, syy: 0.0, sxy: 0.0)
                column.withUnsafeBufferPointer { c in
                    rowMean.withUnsafeBufferPointer { r in
                        dx.withUnsafeBufferPointer { d in
                            present.withUnsafeBufferPointer { w in
                                var k = 0
                                while k + 4 <= n {
                                    let y =
                                        SIMD4(c[k], c[k + 1], c[k + 2], c[k + 3])
                                        - SIMD4(r[k], r[k + 1], r[k + 2], r[k + 3])
                                    let weight = SIMD4(w[k], w[k + 1], w[k + 2], w[k + 3])
                                    sy += weight * y
                                    syy += weight * y * y
                                    sxy += SIMD4(d[k], d[k + 1], d[k + 2], d[k + 3]) * y
                                    k += 4
                                }
                                while k < n {
                                    let y = c[k] - r[k]
                                    tail.sy += w[k] * y
                                    tail.syy += w[k] * y * y
                                    tail.sxy += d[k] * y
                                    k += 1
                                }
                            }
                        }
                    }
                }
                let ySum = sy.sum() + tail.sy
                let ySquares = syy.sum() + tail.syy
                // Σ dx = 0 over the units present, so Σ dx·y is n·cov(x, y).
                let cross = sxy.sum() + tail.sxy
                let variance = ySquares / units - (ySum / units) * (ySum / units)
                return sxx > 0 && variance > 1e-14 * ySquares / units
                    ? (cross / units) / (sxx / units * variance).squareRoot() : 0
            }
            let average = correlations.reduce(0, +) / Double(m)
            let spread = (correlations.reduce(0) { $0 + ($1 - average) * ($1 - average) } / Double(m)).squareRoot()
            drivers.append(.init(covariate: j < names.count ? names[j] : "x\(j)", score: spread))
        }
        return Array(drivers.sorted { $0.score > $1.score }.prefix(5))
    }
}
