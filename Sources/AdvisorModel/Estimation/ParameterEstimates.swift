import Dispatch

/// σ, ρ, s and σ_ε estimated from a finished experiment as in the paper's section 5.2, plus
/// corrections for the sampling noise of its plug-in estimates. Formulas: EstimatingParameters.md.
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
    /// σ_ε as the model's error against the true conditional mean (ModelErrorEstimate); nil
    /// when the analysis did not measure the model's variance.
    public var modelError: ModelErrorEstimate?
    /// Bootstrap standard errors over holdout units (nil when not computed).
    public var standardErrors: StandardErrors?
    /// The smallest number of holdout units in one quantile cell, over all arms.
    public var smallestCell: Int
    public var cellsPerArm: Int

    public init(
        sigma: Double,
        sigmaUncorrected: Double,
        rho: Double,
        s: Double,
        sUncorrected: Double,
        predictionError: Double,
        predictionErrorRefined: Double,
        irreducibleNoise: Double,
        modelError: ModelErrorEstimate? = nil,
        standardErrors: StandardErrors?,
        smallestCell: Int,
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
        self.modelError = modelError
        self.standardErrors = standardErrors
        self.smallestCell = smallestCell
        self.cellsPerArm = cellsPerArm
    }

    /// The σ_ε the gain engine is given: the model's error when measured, else the refined one.
    public var sigmaEpsilon: Double { modelError?.predictionError ?? predictionErrorRefined }

    public struct StandardErrors: Sendable, Hashable, Codable {
        public var sigma: Double
        public var rho: Double
        public var s: Double
        public var predictionError: Double
        /// Of the model's error σ̂_ε (nil when it was not measured).
        public var modelError: Double?
        public var replications: Int
        /// Each resample's σ̂, ρ̂ and σ̂_ε (the engine's σ_ε), for the predictive interval; their
        /// spread times `scale` is the estimates' sampling spread (an m-out-of-n bootstrap).
        public var replicates: [Replicate] = []
        public var scale = 1.0

        enum CodingKeys: String, CodingKey { case sigma, rho, s, predictionError, modelError, replications }
    }

    public struct Replicate: Sendable, Hashable, Codable {
        public var sigma: Double
        public var rho: Double
        public var sigmaEpsilon: Double
    }
}

extension ParameterEstimates {
    /// Estimates from holdout units (`holdout`, indices into the data), per-arm predictions
    /// `predictions[a][k]` for the k-th holdout unit, and per-arm means over all units.
    /// `bootstrap` > 0 adds standard errors from that many resamples of the holdout units.
    public static func estimate(
        data: ExperimentData,
        holdout: [Int],
        predictions: [[Double]],
        cells: Int = 10,
        bootstrap: Int = 0,
        seed: UInt64 = 1,
        modelVariance: [Double]? = nil
    ) -> ParameterEstimates {
        let table = HoldoutCells(data: data, holdout: holdout, predictions: predictions, cells: cells)
        let arms = armMeanSpread(data)
        var result = table.estimates(sample: Array(holdout.indices), arms: arms, modelVariance: modelVariance)
        if bootstrap > 0 && holdout.count > 1 {
            // An m-out-of-n bootstrap: each resample draws m = min(n, 20,000) holdout units with
            // replacement and the spread is scaled by sqrt(m/n). The same quantities, and the
            // cost of a resample no longer grows with the drop.
            let n = holdout.count
            let m = min(n, 20_000)
            // Replicates run on all cores, each with its own seeded stream.
            let slots = UnsafeMutableBufferPointer<ParameterEstimates?>.allocate(capacity: bootstrap)
            defer { slots.deallocate() }
            slots.initialize(repeating: nil)
            nonisolated(unsafe) let output = slots
            DispatchQueue.concurrentPerform(iterations: bootstrap) { r in
                var rng = SplitMix64.stream(r, of: seed)
                // Sorted: the estimates are sums, so order does not matter, and ascending reads
                // of the unit-major cells are far cheaper than random ones.
                let sample = (0..<m).map { _ in rng.nextIndex(below: n) }.sorted()
                output[r] = table.estimates(sample: sample, arms: arms, modelVariance: modelVariance)
            }
            let draws = slots.compactMap { $0 }
            let scale = (Double(m) / Double(n)).squareRoot()
            func sd(_ values: [Double]) -> Double {
                let mean = values.reduce(0, +) / Double(values.count)
                return scale
                    * (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(values.count - 1, 1)))
                    .squareRoot()
            }
            // s comes from all units' arm means, which resampling the holdout does not move: its
            // standard error is the arm means' own sampling noise instead.
            result.standardErrors = StandardErrors(
                sigma: sd(draws.map(\.sigma)),
                rho: sd(draws.map(\.rho)),
                s: arms.noise.squareRoot(),
                predictionError: sd(draws.map(\.predictionError)),
                modelError: modelVariance == nil ? nil : sd(draws.map(\.sigmaEpsilon)),
                replications: bootstrap,
                replicates: draws.map { .init(sigma: $0.sigma, rho: $0.rho, sigmaEpsilon: $0.sigmaEpsilon) },
                scale: scale
            )
        }
        return result
    }

    /// The spread of the arm means over all units, and the mean sampling variance of one arm mean.
    static func armMeanSpread(_ data: ExperimentData) -> (variance: Double, noise: Double) {
        let m = data.arms
        let (count, sum, squares) = data.armTotals()
        let means = (0..<m).map { count[$0] > 0 ? sum[$0] / count[$0] : 0 }
        let grand = means.reduce(0, +) / Double(m)
        let variance = means.reduce(0) { $0 + ($1 - grand) * ($1 - grand) } / Double(max(m - 1, 1))
        let noise =
            (0..<m).reduce(0.0) { total, a in
                let n = count[a]
                guard n > 1 else { return total }
                let v = max(0, squares[a] / n - means[a] * means[a]) * n / (n - 1)
                return total + v / n
            } / Double(m)
        return (variance, noise)
    }
}

/// The holdout as the estimates read it, built once and shared by every bootstrap resample:
/// per holdout unit its arm, outcome, own-arm prediction, and its quantile cell under every
/// arm's prediction (unit-major, so one unit's cells are adjacent).
struct HoldoutCells: Sendable {
    let arms: Int
    let cells: Int
    let arm: [Int]
    let outcome: [Double]
    let ownPrediction: [Double]
    /// cell[k * arms + a]: the quantile cell of holdout unit k under arm a's prediction.
    let cell: [UInt8]

    /// Cut points for arm a come from the holdout units assigned to arm a, so each of its cells
    /// holds about a `cells`-th of them; every other unit is placed by the same cut points.
    init(data: ExperimentData, holdout: [Int], predictions: [[Double]], cells: Int) {
        precondition((2...255).contains(cells), "cells must fit a byte")
        let n = holdout.count
        let m = data.arms
        self.arms = m
        self.cells = cells
        self.arm = holdout.map { data.arm[$0] }
        self.outcome = holdout.map { data.outcome[$0] }
        let arm = self.arm
        self.ownPrediction = (0..<n).map { predictions[arm[$0]][$0] }
        var own = Array(repeating: [Double](), count: m)
        for k in 0..<n { own[arm[k]].append(predictions[arm[k]][k]) }
        let cuts: [[Double]] = own.map { values in
            let sorted = values.sorted()
            // An arm without holdout units puts everyone in cell 0 (it then adds no spread).
            guard !sorted.isEmpty else { return [] }
            return (1..<cells).map { q in sorted[min(sorted.count - 1, q * sorted.count / cells)] }
        }
        // Blocks of units (on all cores), arm by arm inside a block: a unit's cell is the number
        // of cut points at or below its prediction, counted cut by cut over the block (a loop
        // over contiguous predictions the compiler vectorizes), then written to the block's
        // rows, which stay in cache (block × arms bytes).
        self.cell = [UInt8](unsafeUninitializedCapacity: n * m) { out, count in
            let block = 2048
            nonisolated(unsafe) let rows = out
            DispatchQueue.concurrentPerform(iterations: (n + block - 1) / block) { b in
                let start = b * block
                let length = min(block, n - start)
                let tally = UnsafeMutableBufferPointer<Int>.allocate(capacity: block)
                defer { tally.deallocate() }
                for a in 0..<m {
                    predictions[a].withUnsafeBufferPointer { column in
                        for k in 0..<length { tally[k] = 0 }
                        for cut in cuts[a] {
                            for k in 0..<length { tally[k] &+= column[start &+ k] >= cut ? 1 : 0 }
                        }
                        for k in 0..<length { rows[(start &+ k) &* m &+ a] = UInt8(truncatingIfNeeded: tally[k]) }
                    }
                }
            }
            count = n * m
        }
    }

    /// The estimates from the holdout positions in `sample` (with repetition for a bootstrap).
    func estimates(
        sample: [Int],
        arms spread: (variance: Double, noise: Double),
        modelVariance: [Double]? = nil
    ) -> ParameterEstimates {
        let m = arms
        let width = cells
        // Cell sums over the sampled holdout units of each arm; cell (a, q) at a * cells + q.
        var count = [Double](repeating: 0, count: m * width)
        var sum = count
        var squares = count
        var residual = (sum: 0.0, squares: 0.0)
        var moments = [ModelErrorEstimate.ArmMoments](repeating: .init(), count: modelVariance == nil ? 0 : m)
        sample.withUnsafeBufferPointer { sample in
            cell.withUnsafeBufferPointer { cell in
                count.withUnsafeMutableBufferPointer { count in
                    sum.withUnsafeMutableBufferPointer { sum in
                        squares.withUnsafeMutableBufferPointer { squares in
                            for k in sample {
                                let a = arm[k]
                                let y = outcome[k]
                                let index = a * width + Int(cell[k * m + a])
                                count[index] += 1
                                sum[index] += y
                                squares[index] += y * y
                                let r = y - ownPrediction[k]
                                residual.sum += r
                                residual.squares += r * r
                                if !moments.isEmpty { moments[a].add(y: y, p: ownPrediction[k]) }
                            }
                        }
                    }
                }
            }
        }
        // Every cell's mean outcome (ρ assigns it to units); a cell no sampled unit fell into
        // takes its arm's mean, so it adds no spurious spread.
        var cellMean = count
        for a in 0..<m {
            let cellsOfArm = (a * width)..<((a + 1) * width)
            let armCount = count[cellsOfArm].reduce(0, +)
            let armMean = armCount > 0 ? sum[cellsOfArm].reduce(0, +) / armCount : 0
            for i in cellsOfArm { cellMean[i] = count[i] > 0 ? sum[i] / count[i] : armMean }
        }
        var raw = 0.0
        var corrected = 0.0
        var within = (sum: 0.0, weight: 0.0)
        var smallest = Int.max
        var armsUsed = 0
        for a in 0..<m {
            let cellsOfArm = (a * width)..<((a + 1) * width)
            let filled = cellsOfArm.filter { count[$0] > 1 }
            smallest = min(smallest, Int(count[cellsOfArm].min() ?? 0))
            guard filled.count >= 2 else { continue }
            armsUsed += 1
            var noise = 0.0
            for i in filled {
                let mean = cellMean[i]
                let variance = max(0, squares[i] / count[i] - mean * mean) * count[i] / (count[i] - 1)
                within.sum += variance * (count[i] - 1)
                within.weight += count[i] - 1
                noise += variance / count[i]
            }
            let means = filled.map { cellMean[$0] }
            let grand = means.reduce(0, +) / Double(means.count)
            let spread = means.reduce(0) { $0 + ($1 - grand) * ($1 - grand) } / Double(means.count)
            raw += spread
            corrected += max(0, spread - noise / Double(filled.count))
        }

        let n = Double(sample.count)
        let rho = Self.meanCorrelation(sample: sample, cellMean: cellMean, arms: m, cellsPerArm: width, cell: cell)
        let residualMean = residual.sum / max(n, 1)
        let residualVariance = max(0, residual.squares / max(n, 1) - residualMean * residualMean)
        let noise = within.weight > 0 ? within.sum / within.weight : 0
        let divisor = Double(max(armsUsed, 1))
        return ParameterEstimates(
            sigma: (corrected / divisor).squareRoot(),
            sigmaUncorrected: (raw / divisor).squareRoot(),
            rho: min(1, max(-1, rho)),
            s: max(0, spread.variance - spread.noise).squareRoot(),
            sUncorrected: spread.variance.squareRoot(),
            predictionError: residualVariance.squareRoot(),
            predictionErrorRefined: max(0, residualVariance - noise).squareRoot(),
            irreducibleNoise: noise.squareRoot(),
            modelError: modelVariance.map { ModelErrorEstimate.combine(moments, variance: $0) },
            standardErrors: nil,
            smallestCell: smallest == Int.max ? 0 : smallest,
            cellsPerArm: width
        )
    }

    /// ρ: every sampled unit gets, per arm, the mean outcome of its cell under that arm; ρ is the
    /// mean over arm pairs of the correlation of those values across units (arms whose values
    /// do not vary are left out).
    ///
    /// Computed without the m(m−1)/2 pairs: with z_a(u) the standardized value of unit u under
    /// arm a and S(u) = Σ_a z_a(u), Σ_u S(u)²/n = Σ_a Σ_b corr(a, b) = m' + Σ_{a≠b} corr(a, b)
    /// (each z_a has mean 0 and variance 1), so the mean pairwise correlation is
    /// (Σ_u S(u)²/n − m') / (m'(m'−1)) over the m' arms that vary. The means and SDs come from
    /// how many sampled units fall in each cell of each arm, so both passes cost O(m) per unit,
    /// not O(m²). The algebra is exact; only rounding differs from the pairwise sum (a test
    /// holds them to 1e-9).
    static func meanCorrelation(
        sample: [Int],
        cellMean: [Double],
        arms m: Int,
        cellsPerArm: Int,
        cell: [UInt8]
    ) -> Double {
        let n = Double(max(sample.count, 1))
        // Pass 1: per arm, the sampled units in each of its cells (every unit has a cell under
        // every arm's prediction, whichever arm it got).
        var counts = [Double](repeating: 0, count: m * cellsPerArm)
        sample.withUnsafeBufferPointer { sample in
            cell.withUnsafeBufferPointer { cell in
                counts.withUnsafeMutableBufferPointer { counts in
                    for k in sample {
                        let row = k &* m
                        for a in 0..<m { counts[a &* cellsPerArm &+ Int(cell[row &+ a])] += 1 }
                    }
                }
            }
        }
        // Each arm's mean and SD across units, from its cells; the standardized value of each
        // cell, 0 for an arm whose values are constant (its variance is rounding error only).
        var standardized = [Double](repeating: 0, count: m * cellsPerArm)
        var varying = 0
        for a in 0..<m {
            let cells = (a * cellsPerArm)..<((a + 1) * cellsPerArm)
            let mean = cells.reduce(0) { $0 + counts[$1] * cellMean[$1] } / n
            let meanSquare = cells.reduce(0) { $0 + counts[$1] * cellMean[$1] * cellMean[$1] } / n
            let variance = meanSquare - mean * mean
            guard variance > 1e-10 * meanSquare else { continue }
            varying += 1
            let sd = variance.squareRoot()
            for i in cells { standardized[i] = (cellMean[i] - mean) / sd }
        }
        guard varying >= 2 else { return 0 }
        // Pass 2: Σ_u S(u)², four arms' terms at a time into separate sums.
        var total = 0.0
        sample.withUnsafeBufferPointer { sample in
            cell.withUnsafeBufferPointer { cell in
                standardized.withUnsafeBufferPointer { z in
                    for k in sample {
                        let row = k &* m
                        var s0 = 0.0
                        var s1 = 0.0
                        var s2 = 0.0
                        var s3 = 0.0
                        var a = 0
                        while a + 4 <= m {
                            s0 += z[a &* cellsPerArm &+ Int(cell[row &+ a])]
                            s1 += z[(a &+ 1) &* cellsPerArm &+ Int(cell[row &+ a &+ 1])]
                            s2 += z[(a &+ 2) &* cellsPerArm &+ Int(cell[row &+ a &+ 2])]
                            s3 += z[(a &+ 3) &* cellsPerArm &+ Int(cell[row &+ a &+ 3])]
                            a &+= 4
                        }
                        while a < m {
                            s0 += z[a &* cellsPerArm &+ Int(cell[row &+ a])]
                            a &+= 1
                        }
                        let sum = (s0 + s1) + (s2 + s3)
                        total += sum * sum
                    }
                }
            }
        }
        let arms = Double(varying)
        return (total / n - arms) / (arms * (arms - 1))
    }
}
