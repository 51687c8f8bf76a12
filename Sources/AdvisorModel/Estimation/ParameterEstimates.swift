import Dispatch

/// σ, ρ, s and σ_ε estimated from a finished experiment as in the paper's section 5.2, plus
/// the corrections `../shared/notes/model.md` asks for. Formulas: EstimatingParameters.md.
public struct ParameterEstimates: Sendable, Hashable, Codable {
    /// σ: root mean over arms of the variance of the 10 quantile-cell mean outcomes, with the
    /// sampling variance of those means subtracted.
    public var sigma: Double
    /// σ as the paper computes it (no correction): larger, by the cell means' own noise.
    public var sigmaUncorrected: Double
    /// ρ: mean pairwise correlation, across units, of the cell means they are assigned per arm.
    public var rho: Double
    /// s: SD of the arm means, with their sampling variance subtracted.
    public var s: Double
    public var sUncorrected: Double
    /// σ_ε as in the paper: SD of y − ŷ at each unit's own arm (includes outcome noise).
    public var predictionError: Double
    /// σ_ε without the irreducible outcome noise (the pooled within-cell variance).
    public var predictionErrorRefined: Double
    /// SD of the outcome noise the covariates cannot explain (pooled within-cell SD).
    public var irreducibleNoise: Double
    /// Bootstrap standard errors over holdout units (nil when not computed).
    public var standardErrors: StandardErrors?
    /// The smallest number of holdout units in one quantile cell, over all arms.
    public var smallestCell: Int
    public var cellsPerArm: Int

    public init(
        sigma: Double, sigmaUncorrected: Double, rho: Double, s: Double, sUncorrected: Double, predictionError: Double,
        predictionErrorRefined: Double, irreducibleNoise: Double, standardErrors: StandardErrors?, smallestCell: Int,
        cellsPerArm: Int
    ) {
        self.sigma = sigma
        self.sigmaUncorrected = sigmaUncorrected
        self.rho = rho
        self.s = s
        self.sUncorrected = sUncorrected
        self.predictionError = predictionError
        self.predictionErrorRefined = predictionErrorRefined
        self.irreducibleNoise = irreducibleNoise
        self.standardErrors = standardErrors
        self.smallestCell = smallestCell
        self.cellsPerArm = cellsPerArm
    }

    public struct StandardErrors: Sendable, Hashable, Codable {
        public var sigma: Double
        public var rho: Double
        public var s: Double
        public var predictionError: Double
        public var replications: Int
    }
}

extension ParameterEstimates {
    /// Estimates from holdout units (`holdout`, indices into the data), per-arm predictions
    /// `predictions[a][k]` for the k-th holdout unit, and per-arm means over all units.
    /// `bootstrap` > 0 adds standard errors from that many resamples of the holdout units.
    public static func estimate(
        data: ExperimentData, holdout: [Int], predictions: [[Double]], cells: Int = 10,
        bootstrap: Int = 0, seed: UInt64 = 1
    ) -> ParameterEstimates {
        let cellIndex = quantileCells(data: data, holdout: holdout, predictions: predictions, cells: cells)
        let arms = armMeanSpread(data)
        var result = compute(
            data: data, holdout: holdout, predictions: predictions, cellIndex: cellIndex, cells: cells,
            sample: Array(holdout.indices), arms: arms)
        if bootstrap > 0 && holdout.count > 1 {
            // An m-out-of-n bootstrap: each resample draws m = min(n, 20,000) holdout units with
            // replacement and the spread is scaled by sqrt(m/n). The same quantities, and the
            // cost of a resample no longer grows with the drop (ρ alone is m(m−1)/2 correlations).
            let n = holdout.count
            let m = min(n, 20_000)
            // Replicates run on all cores, each with its own seeded stream.
            let slots = UnsafeMutableBufferPointer<ParameterEstimates?>.allocate(capacity: bootstrap)
            defer { slots.deallocate() }
            slots.initialize(repeating: nil)
            nonisolated(unsafe) let output = slots
            DispatchQueue.concurrentPerform(iterations: bootstrap) { r in
                var rng = SplitMix64.stream(r, of: seed)
                let sample = (0..<m).map { _ in rng.nextIndex(below: n) }
                output[r] = compute(
                    data: data, holdout: holdout, predictions: predictions, cellIndex: cellIndex, cells: cells,
                    sample: sample, arms: arms)
            }
            let draws = slots.compactMap { $0 }
            let scale = (Double(m) / Double(n)).squareRoot()
            func sd(_ values: [Double]) -> Double {
                let mean = values.reduce(0, +) / Double(values.count)
                return scale * (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(values.count - 1, 1))).squareRoot()
            }
            // s comes from all units' arm means, which resampling the holdout does not move: its
            // standard error is the arm means' own sampling noise instead.
            result.standardErrors = StandardErrors(
                sigma: sd(draws.map(\.sigma)), rho: sd(draws.map(\.rho)), s: arms.noise.squareRoot(),
                predictionError: sd(draws.map(\.predictionError)), replications: bootstrap)
        }
        return result
    }

    /// The spread of the arm means over all units, and the mean sampling variance of one arm mean.
    static func armMeanSpread(_ data: ExperimentData) -> (variance: Double, noise: Double) {
        let m = data.arms
        var sum = Array(repeating: 0.0, count: m)
        var squares = sum
        var count = sum
        for i in 0..<data.units {
            sum[data.arm[i]] += data.outcome[i]
            squares[data.arm[i]] += data.outcome[i] * data.outcome[i]
            count[data.arm[i]] += 1
        }
        let means = (0..<m).map { count[$0] > 0 ? sum[$0] / count[$0] : 0 }
        let grand = means.reduce(0, +) / Double(m)
        let variance = means.reduce(0) { $0 + ($1 - grand) * ($1 - grand) } / Double(max(m - 1, 1))
        let noise = (0..<m).reduce(0.0) { total, a in
            let n = count[a]
            guard n > 1 else { return total }
            let v = max(0, squares[a] / n - means[a] * means[a]) * n / (n - 1)
            return total + v / n
        } / Double(m)
        return (variance, noise)
    }

    /// `cellIndex[a][k]`: the quantile cell of holdout unit k under arm a's prediction. Cut
    /// points come from the holdout units assigned to arm a, so each of its cells holds about
    /// a tenth of them; every other unit is placed by the same cut points.
    static func quantileCells(data: ExperimentData, holdout: [Int], predictions: [[Double]], cells: Int) -> [[Int]] {
        var own = Array(repeating: [Int](), count: data.arms)
        for (k, i) in holdout.enumerated() { own[data.arm[i]].append(k) }
        return (0..<data.arms).map { a in
            let sorted = own[a].map { predictions[a][$0] }.sorted()
            guard !sorted.isEmpty else { return Array(repeating: 0, count: holdout.count) }
            let cuts = (1..<cells).map { q in sorted[min(sorted.count - 1, q * sorted.count / cells)] }
            return predictions[a].map { value in
                // Number of cut points below the value: binary search.
                var low = 0
                var high = cuts.count
                while low < high {
                    let mid = (low + high) / 2
                    if cuts[mid] <= value { low = mid + 1 } else { high = mid }
                }
                return low
            }
        }
    }

    /// The estimates from the holdout positions in `sample` (with repetition for a bootstrap).
    static func compute(
        data: ExperimentData, holdout: [Int], predictions: [[Double]], cellIndex: [[Int]], cells: Int, sample: [Int],
        arms spread: (variance: Double, noise: Double)
    ) -> ParameterEstimates {
        let m = data.arms
        // Cell sums over the sampled holdout units of each arm.
        var count = Array(repeating: Array(repeating: 0.0, count: cells), count: m)
        var sum = count
        var squares = count
        var residual = (sum: 0.0, squares: 0.0)
        for k in sample {
            let i = holdout[k]
            let a = data.arm[i]
            let y = data.outcome[i]
            let q = cellIndex[a][k]
            count[a][q] += 1
            sum[a][q] += y
            squares[a][q] += y * y
            let r = y - predictions[a][k]
            residual.sum += r
            residual.squares += r * r
        }
        // Every cell's mean outcome (ρ assigns it to units); a cell no sampled unit fell into
        // takes its arm's mean, so it adds no spurious spread.
        var cellMean = count
        for a in 0..<m {
            let armCount = count[a].reduce(0, +)
            let armMean = armCount > 0 ? sum[a].reduce(0, +) / armCount : 0
            for q in 0..<cells { cellMean[a][q] = count[a][q] > 0 ? sum[a][q] / count[a][q] : armMean }
        }
        var raw = 0.0
        var corrected = 0.0
        var within = (sum: 0.0, weight: 0.0)
        var smallest = Int.max
        var armsUsed = 0
        for a in 0..<m {
            let filled = (0..<cells).filter { count[a][$0] > 1 }
            smallest = min(smallest, Int(count[a].min() ?? 0))
            guard filled.count >= 2 else { continue }
            armsUsed += 1
            var noise = 0.0
            for q in filled {
                let mean = cellMean[a][q]
                let variance = max(0, squares[a][q] / count[a][q] - mean * mean) * count[a][q] / (count[a][q] - 1)
                within.sum += variance * (count[a][q] - 1)
                within.weight += count[a][q] - 1
                noise += variance / count[a][q]
            }
            let means = filled.map { cellMean[a][$0] }
            let grand = means.reduce(0, +) / Double(means.count)
            let spread = means.reduce(0) { $0 + ($1 - grand) * ($1 - grand) } / Double(means.count)
            raw += spread
            corrected += max(0, spread - noise / Double(filled.count))
        }

        // ρ: every sampled unit gets, per arm, the mean outcome of its cell under that arm;
        // one contiguous column per arm, then the pairwise correlations.
        let n = Double(sample.count)
        var columns: [[Double]] = []
        var mean = Array(repeating: 0.0, count: m)
        var sd = Array(repeating: 0.0, count: m)
        for a in 0..<m {
            let column = sample.map { cellMean[a][cellIndex[a][$0]] }
            let s1 = column.reduce(0, +)
            let s2 = column.reduce(0) { $0 + $1 * $1 }
            mean[a] = s1 / n
            sd[a] = max(0, s2 / n - mean[a] * mean[a]).squareRoot()
            columns.append(column)
        }
        var correlations = 0.0
        var pairs = 0
        for a in 0..<m where sd[a] > 0 {
            for b in (a + 1)..<max(a + 1, m) where sd[b] > 0 {
                let cross = columns[a].withUnsafeBufferPointer { x in
                    columns[b].withUnsafeBufferPointer { y in
                        var total = 0.0
                        for k in 0..<x.count { total += x[k] * y[k] }
                        return total
                    }
                }
                correlations += (cross / n - mean[a] * mean[b]) / (sd[a] * sd[b])
                pairs += 1
            }
        }

        let residualMean = residual.sum / max(n, 1)
        let residualVariance = max(0, residual.squares / max(n, 1) - residualMean * residualMean)
        let noise = within.weight > 0 ? within.sum / within.weight : 0
        let divisor = Double(max(armsUsed, 1))
        return ParameterEstimates(
            sigma: (corrected / divisor).squareRoot(),
            sigmaUncorrected: (raw / divisor).squareRoot(),
            rho: pairs > 0 ? min(1, max(-1, correlations / Double(pairs))) : 0,
            s: max(0, spread.variance - spread.noise).squareRoot(),
            sUncorrected: spread.variance.squareRoot(),
            predictionError: residualVariance.squareRoot(),
            predictionErrorRefined: max(0, residualVariance - noise).squareRoot(),
            irreducibleNoise: noise.squareRoot(),
            standardErrors: nil,
            smallestCell: smallest == Int.max ? 0 : smallest,
            cellsPerArm: cells)
    }
}
