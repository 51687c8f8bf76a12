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
    /// RMS sampling SD of the arm means (the standard error reported for s).
    var armMeanNoise = 0.0

    public init(
        sigma: Double, sigmaUncorrected: Double, rho: Double, s: Double, sUncorrected: Double, predictionError: Double,
        predictionErrorRefined: Double, irreducibleNoise: Double, standardErrors: StandardErrors?, smallestCell: Int,
        cellsPerArm: Int, armMeanNoise: Double = 0
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
        self.armMeanNoise = armMeanNoise
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
        let weights = Array(repeating: 1.0, count: holdout.count)
        var result = compute(data: data, holdout: holdout, predictions: predictions, cellIndex: cellIndex, cells: cells, weights: weights)
        if bootstrap > 0 {
            var rng = SplitMix64(seed: seed)
            var draws: [ParameterEstimates] = []
            for _ in 0..<bootstrap {
                var w = Array(repeating: 0.0, count: holdout.count)
                for _ in 0..<holdout.count { w[Int(rng.next() % UInt64(holdout.count))] += 1 }
                draws.append(compute(data: data, holdout: holdout, predictions: predictions, cellIndex: cellIndex, cells: cells, weights: w))
            }
            func sd(_ values: [Double]) -> Double {
                let mean = values.reduce(0, +) / Double(values.count)
                return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(values.count - 1, 1))).squareRoot()
            }
            // s comes from all units' arm means, which resampling the holdout does not move: its
            // standard error is the arm means' own sampling noise instead.
            result.standardErrors = StandardErrors(
                sigma: sd(draws.map(\.sigma)), rho: sd(draws.map(\.rho)), s: result.armMeanNoise,
                predictionError: sd(draws.map(\.predictionError)), replications: bootstrap)
        }
        return result
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

    static func compute(
        data: ExperimentData, holdout: [Int], predictions: [[Double]], cellIndex: [[Int]], cells: Int, weights: [Double]
    ) -> ParameterEstimates {
        let m = data.arms
        // Cell sums over the holdout units of each arm.
        var count = Array(repeating: Array(repeating: 0.0, count: cells), count: m)
        var sum = count
        var squares = count
        var residual = (sum: 0.0, squares: 0.0, weight: 0.0)
        for (k, i) in holdout.enumerated() where weights[k] > 0 {
            let a = data.arm[i]
            let w = weights[k]
            let y = data.outcome[i]
            let q = cellIndex[a][k]
            count[a][q] += w
            sum[a][q] += w * y
            squares[a][q] += w * y * y
            let r = y - predictions[a][k]
            residual.sum += w * r
            residual.squares += w * r * r
            residual.weight += w
        }
        var cellMean = count
        var raw = 0.0
        var corrected = 0.0
        var within = (sum: 0.0, weight: 0.0)
        var smallest = Int.max
        var arms = 0
        for a in 0..<m {
            let filled = (0..<cells).filter { count[a][$0] > 1 }
            smallest = min(smallest, Int(count[a].min() ?? 0))
            guard filled.count >= 2 else { continue }
            arms += 1
            var noise = 0.0
            for q in filled {
                let mean = sum[a][q] / count[a][q]
                cellMean[a][q] = mean
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
        let armsUsed = Double(max(arms, 1))

        // ρ: every holdout unit gets, per arm, the mean outcome of its cell under that arm.
        var assigned = Array(repeating: Array(repeating: 0.0, count: holdout.count), count: m)
        for a in 0..<m {
            for k in holdout.indices { assigned[a][k] = cellMean[a][cellIndex[a][k]] }
        }
        let totalWeight = weights.reduce(0, +)
        var mean = Array(repeating: 0.0, count: m)
        var sd = Array(repeating: 0.0, count: m)
        for a in 0..<m {
            var s1 = 0.0
            var s2 = 0.0
            for k in holdout.indices where weights[k] > 0 {
                s1 += weights[k] * assigned[a][k]
                s2 += weights[k] * assigned[a][k] * assigned[a][k]
            }
            mean[a] = s1 / totalWeight
            sd[a] = max(0, s2 / totalWeight - mean[a] * mean[a]).squareRoot()
        }
        var correlations = 0.0
        var pairs = 0
        for a in 0..<m where sd[a] > 0 {
            for b in (a + 1)..<max(a + 1, m) where sd[b] > 0 {
                var cross = 0.0
                for k in holdout.indices where weights[k] > 0 { cross += weights[k] * assigned[a][k] * assigned[b][k] }
                correlations += (cross / totalWeight - mean[a] * mean[b]) / (sd[a] * sd[b])
                pairs += 1
            }
        }

        // s from the arm means of all units (each unit once: the bootstrap does not touch it).
        var armSum = Array(repeating: 0.0, count: m)
        var armSquares = armSum
        var armCount = armSum
        for i in 0..<data.units {
            armSum[data.arm[i]] += data.outcome[i]
            armSquares[data.arm[i]] += data.outcome[i] * data.outcome[i]
            armCount[data.arm[i]] += 1
        }
        let armMeans = (0..<m).map { armCount[$0] > 0 ? armSum[$0] / armCount[$0] : 0 }
        let grand = armMeans.reduce(0, +) / Double(m)
        let sRaw = (armMeans.reduce(0) { $0 + ($1 - grand) * ($1 - grand) } / Double(max(m - 1, 1)))
        let meanNoise = (0..<m).reduce(0.0) { total, a in
            let n = armCount[a]
            guard n > 1 else { return total }
            let v = max(0, armSquares[a] / n - armMeans[a] * armMeans[a]) * n / (n - 1)
            return total + v / n
        } / Double(m)

        let residualMean = residual.sum / max(residual.weight, 1)
        let residualVariance = max(0, residual.squares / max(residual.weight, 1) - residualMean * residualMean)
        let noise = within.weight > 0 ? within.sum / within.weight : 0
        return ParameterEstimates(
            sigma: (corrected / armsUsed).squareRoot(),
            sigmaUncorrected: (raw / armsUsed).squareRoot(),
            rho: pairs > 0 ? min(1, max(-1, correlations / Double(pairs))) : 0,
            s: max(0, sRaw - meanNoise).squareRoot(),
            sUncorrected: sRaw.squareRoot(),
            predictionError: residualVariance.squareRoot(),
            predictionErrorRefined: max(0, residualVariance - noise).squareRoot(),
            irreducibleNoise: noise.squareRoot(),
            standardErrors: nil,
            smallestCell: smallest == Int.max ? 0 : smallest,
            cellsPerArm: cells, armMeanNoise: meanNoise.squareRoot())
    }
}
