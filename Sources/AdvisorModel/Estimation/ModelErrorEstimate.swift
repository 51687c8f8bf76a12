/// σ_ε as the paper means it: the learned per-arm model's error against the true conditional
/// mean, E[(ŷ_a(x) − μ_a(x))²], without the outcome noise and without trusting cell means to be
/// exact (EstimatingParameters.md, "An honest σ_ε"). Two parts:
///
/// - **variance**, V: how much the model moves with its training sample. Each arm's model is fitted
///   again on two disjoint halves of (a sample of at most `2 · halfUnits` of) its fitting units; on
///   the holdout, E[(f₁ − f₂)²]/2 is the variance of a half-size model, scaled by n_half/n to the
///   full-size one's (variance ∝ 1/n).
/// - **bias**, from the holdout units of each arm: with Q = Var ŷ_a, C = Cov(y, ŷ_a) (outcome noise
///   is independent of the covariates, so it drops out of C) and a model that is a shrunk signal
///   plus its variance, ŷ = c + λμ + v, the error is
///
///       E[(ŷ − μ)²] = V + (Q − V − C)² / (Q − V)  (+ the squared mean offset)
///
///   which is V for an unbiased model and the calibration error (Q − C)²/Q for a noiseless one.
///
/// What no estimate from (x, y) can see is signal the model missed along no direction it
/// predicts; that part stays unmeasured and the article says so.
public struct ModelErrorEstimate: Sendable, Hashable, Codable {
    /// σ̂_ε = √(variance + bias).
    public var predictionError: Double
    /// V at the full training size, pooled over arms.
    public var variance: Double
    /// The squared bias part, pooled over arms.
    public var bias: Double

    public init(predictionError: Double, variance: Double, bias: Double) {
        self.predictionError = predictionError
        self.variance = variance
        self.bias = bias
    }
}

extension ModelErrorEstimate {
    /// Below this share of Var ŷ, what the model tracks beyond its own variance is taken as
    /// none: Q − V is floored there, so a model that is all variance gets a large, finite error.
    static let signalFloor = 0.05

    /// Each half-size refit learns from at most this many units, and is predicted on at most
    /// `predictedUnits` holdout units (evenly spaced): V needs a few thousand of each, and the
    /// refits would otherwise cost more than the models themselves on a large drop.
    public static let halfUnits = 5_000
    public static let predictedUnits = 20_000

    /// The variance part V per arm for models that `model` fits on `split`: two more fits per arm
    /// (on alternate units of an evenly spaced sample of the arm's fitting units, with the same
    /// validation units), predicted on the holdout. The half-size models' variance
    /// E[(f₁ − f₂)²]/2 is scaled to the full model's by n_half / n (variance ∝ 1/n).
    /// `shouldStop` is polled before each fit.
    public static func variance(
        data: ExperimentData,
        split: TLearnerSplit,
        model: any OutcomeModel,
        shouldStop: () -> Bool = { false }
    ) throws -> [Double] {
        let holdout = split.holdoutFeatures
        let targets =
            holdout.rows <= predictedUnits
            ? holdout : holdout.rows(Self.evenlySpaced(Array(0..<holdout.rows), count: predictedUnits))
        return try split.fitRows.indices.map { a in
            let rows = split.fitRows[a]
            guard rows.count >= 4 else { return 0 }
            let sample = Self.evenlySpaced(rows, count: 2 * halfUnits)
            let halves = [
                stride(from: 0, to: sample.count, by: 2).map { sample[$0] },
                stride(from: 1, to: sample.count, by: 2).map { sample[$0] },
            ]
            var predictions: [[Double]] = []
            for half in halves {
                if shouldStop() { throw ModelError.stopped }
                let fitted = try model.fit(training: LabeledRows(data, rows: half), validation: split.validation[a])
                predictions.append(try fitted.predict(targets))
            }
            let n = Double(max(predictions[0].count, 1))
            let halfVariance =
                zip(predictions[0], predictions[1]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / (2 * n)
            return halfVariance * Double(halves[0].count) / Double(rows.count)
        }
    }

    /// `count` of `items` at even spacing (all of them when there are no more), in order.
    static func evenlySpaced(_ items: [Int], count: Int) -> [Int] {
        guard items.count > count else { return items }
        return (0..<count).map { items[$0 * items.count / count] }
    }

    /// One arm's sums over holdout units assigned to it: outcome y and own-arm prediction p.
    struct ArmMoments {
        var n = 0.0
        var y = 0.0
        var p = 0.0
        var yy = 0.0
        var pp = 0.0
        var yp = 0.0

        @inline(__always)
        mutating func add(y: Double, p: Double) {
            n += 1
            self.y += y
            self.p += p
            yy += y * y
            pp += p * p
            yp += y * p
        }
    }

    /// The bias part from each arm's holdout moments, combined with each arm's variance part.
    static func combine(_ moments: [ArmMoments], variance: [Double]) -> ModelErrorEstimate {
        var errors = (variance: 0.0, bias: 0.0, arms: 0.0)
        for (a, s) in moments.enumerated() {
            let n = s.n
            guard n > 2 else { continue }
            let meanY = s.y / n
            let meanP = s.p / n
            let q = max(0, s.pp / n - meanP * meanP) * n / (n - 1)
            let c = (s.yp / n - meanY * meanP) * n / (n - 1)
            let outcomeVariance = max(0, s.yy / n - meanY * meanY) * n / (n - 1)
            let v = variance[a]
            let tracked = max(q - v, Self.signalFloor * q, 1e-300)
            // The mean offset, less the sampling noise of the holdout arm mean.
            let offset = max(0, (meanP - meanY) * (meanP - meanY) - outcomeVariance / n)
            errors.variance += v
            errors.bias += (tracked - c) * (tracked - c) / tracked + offset
            errors.arms += 1
        }
        let arms = max(errors.arms, 1)
        let variance = errors.variance / arms
        let bias = errors.bias / arms
        return ModelErrorEstimate(
            predictionError: (variance + bias).squareRoot(),
            variance: variance,
            bias: bias
        )
    }
}
