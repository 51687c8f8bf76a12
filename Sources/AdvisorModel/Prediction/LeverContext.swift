import Foundation

/// Evaluates design changes on a fixed set of prior draws (common random numbers).
struct LeverContext {
    let proposal: Proposal
    let engine: GainEngine
    let settings: PredictionSettings
    let draws: [Predictor.Draw]
    let threshold: Double
    /// Mean gain on these draws before any change; every lever and elasticity compares with it.
    private(set) var gainNow = 0.0
    /// Mean value of what the team would deploy after the test as designed (see `evaluate`).
    private(set) var deployedNow = 0.0
    /// What `evaluate` adds to its means: the headline's figures over all prior draws minus the
    /// same figures over these (fewer) draws. Every lever, curve point and elasticity is then the
    /// headline plus its change measured on common draws (the difference estimator), so the
    /// report shows one gain for the design as it is everywhere; 0 when these are all the draws.
    private var shift = (gain: 0.0, deployed: 0.0)
    /// Each draw's deployed value before any change: a lever's Monte Carlo error is that of its
    /// paired differences from these.
    private var deployedNowPerDraw: [Double] = []

    /// `headline`: the mean gain and deployed value over all prior draws, when `draws` are a
    /// subset of them.
    init(
        proposal: Proposal,
        engine: GainEngine,
        settings: PredictionSettings,
        draws: [Predictor.Draw],
        threshold: Double,
        headline: (gain: Double, deployed: Double)? = nil
    ) {
        self.proposal = proposal
        self.engine = engine
        self.settings = settings
        self.draws = draws
        self.threshold = threshold
        let now = evaluate { $0 }
        deployedNowPerDraw = now?.deployedPerDraw ?? []
        if let headline, let now {
            shift = (headline.gain - now.mean, headline.deployed - now.deployed)
        }
        gainNow = (now?.mean ?? 0) + shift.gain
        deployedNow = (now?.deployed ?? 0) + shift.deployed
    }

    /// Mean gain, P(gain > threshold) and the mean value of what the team would deploy (the
    /// personalized policy or the uniform arm the test picks, whichever is worth more in that
    /// draw; relative to the centre of the arm means) after applying `change` to every draw.
    /// Levers are ranked by the deployed value: a noisier benchmark arm makes the gain over it
    /// look larger while what the team ships gets worse, so the gain alone would rank "halve the
    /// sample" above "double it".
    func evaluate(
        _ change: (Predictor.Draw) -> Predictor.Draw?
    ) -> (mean: Double, probability: Double, deployed: Double, deployedPerDraw: [Double])? {
        var total = 0.0
        var deployed: [Double] = []
        deployed.reserveCapacity(draws.count)
        var above = 0
        for original in draws {
            guard let d = change(original) else { return nil }
            let estimate = engine.unchecked(d.parameters, means: proposal.armMeans, design: d.design)
            total += estimate.gain
            deployed.append(max(estimate.policyValue, estimate.uniformValue))
            if estimate.gain > threshold { above += 1 }
        }
        let n = Double(draws.count)
        return (total / n + shift.gain, Double(above) / n, deployed.reduce(0, +) / n + shift.deployed, deployed)
    }

    /// The Monte Carlo SE of a change in the mean deployed value: the SD of the paired per-draw
    /// differences over √draws (0 with one draw, where every figure is exact).
    func changeStandardError(_ deployedPerDraw: [Double]) -> Double {
        let n = min(deployedPerDraw.count, deployedNowPerDraw.count)
        guard n > 1 else { return 0 }
        let differences = (0..<n).map { deployedPerDraw[$0] - deployedNowPerDraw[$0] }
        let mean = differences.reduce(0, +) / Double(n)
        let variance = differences.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        return (variance / Double(n)).squareRoot()
    }

    /// Every lever, best first. `curve` is the arm curve already computed for the report.
    func levers(curve: [ArmCurvePoint]) -> [Lever] {
        let now = gainNow
        var result: [Lever] = []
        func add(_ kind: LeverKind, _ transform: (Predictor.Draw) -> Predictor.Draw?) {
            guard let after = evaluate(transform) else { return }
            result.append(
                Lever(
                    kind: kind,
                    gainNow: now,
                    gainAfter: after.mean,
                    probabilityActionableAfter: after.probability,
                    deployedValueNow: proposal.baseline + deployedNow,
                    deployedValueAfter: proposal.baseline + after.deployed,
                    deployedChangeSE: changeStandardError(after.deployedPerDraw)
                )
            )
        }
        let f = settings.covariatesSigmaFactor
        let dr = settings.covariatesRhoShift
        add(.collectCovariates(sigmaFactor: f, rhoShift: dr)) { d in
            var d = d
            d.parameters.sigma *= f
            d.parameters.rho = max(d.parameters.rho - dr, ModelParameters.lowestRho(arms: d.parameters.arms))
            return d
        }
        let dd = settings.diversifyRhoShift
        let g = settings.diversifySFactor
        add(.diversifyArms(rhoShift: dd, sFactor: g)) { d in
            var d = d
            d.parameters.rho = max(d.parameters.rho - dd, ModelParameters.lowestRho(arms: d.parameters.arms))
            d.parameters.s *= g
            return d
        }
        if proposal.sampleSize != nil {
            add(.addSamples(factor: 2)) { resized($0, by: 2) }
            add(.fewerSamples(factor: 0.5)) { resized($0, by: 0.5) }
        }
        if let best = curve.bestArmCount {
            let current = proposal.armCandidates[0]
            let perArm = { (arms: Int) -> Double? in
                switch proposal.sampleSize {
                case .total(let n): return n / Double(arms)
                case .perArm(let n): return n
                default: return nil
                }
            }
            let totalFixed: Bool
            if case .total = proposal.sampleSize { totalFixed = true } else { totalFixed = false }
            add(
                .armCount(
                    best: best,
                    current: current,
                    largestTried: curve.last?.arms ?? current,
                    unitsPerArmNow: perArm(current),
                    unitsPerArmAfter: perArm(best),
                    totalFixed: totalFixed
                )
            ) {
                withArms($0, best)
            }
        }
        return result.sorted { $0.deployedValueAfter > $1.deployedValueAfter }
    }

    /// The draw with the design scaled: δ follows sqrt(n), σ_ε follows the learning curve.
    func resized(_ d: Predictor.Draw, by factor: Double) -> Predictor.Draw? {
        guard let design = d.design else { return nil }
        var d = d
        let n0 = design.totalUnits / Double(design.unitsPerArm.count)
        d.parameters.predictionError = settings.predictionError(
            d.parameters.predictionError,
            fromUnitsPerArm: n0,
            to: n0 * factor
        )
        d.design = design.scaled(by: factor)
        return d
    }

    /// The draw with `arms` arms: a fixed total is re-split (σ_ε follows the learning curve in
    /// units per arm), ρ is kept inside the new valid range.
    func withArms(_ d: Predictor.Draw, _ arms: Int) -> Predictor.Draw? {
        if case .list = proposal.armMeans { return nil }
        var d = d
        let oldArms = d.parameters.arms
        d.parameters.arms = arms
        d.parameters.rho = max(d.parameters.rho, ModelParameters.lowestRho(arms: arms))
        if let design = d.design {
            let oldPerArm = design.totalUnits / Double(oldArms)
            let newPerArm: Double
            switch proposal.sampleSize {
            case .total(let n): newPerArm = n / Double(arms)
            default: newPerArm = oldPerArm
            }
            d.parameters.predictionError = settings.predictionError(
                d.parameters.predictionError,
                fromUnitsPerArm: oldPerArm,
                to: newPerArm
            )
            d.design = SampleDesign(
                unitsPerArm: Array(repeating: newPerArm, count: arms),
                outcomeSD: design.outcomeSD
            )
        }
        return d
    }

    /// A doubling of the arm count that adds less than this share of the largest gain is flat.
    static let flatTolerance = 0.005
    /// The most arms the curve tries (the proposal's own limit), unless the proposal has more.
    static let largestCurveArms = 5000

    /// Mean gain by arm count, from 2 up to where the curve has peaked (its maximum lies a full
    /// doubling inside the range) or flattened (the last doubling added less than 0.5% of the
    /// largest gain), at most max(2m, 5000): never a fixed grid edge that a rising curve
    /// would make "best".
    func armCurve() -> [ArmCurvePoint] {
        if case .list = proposal.armMeans { return [] }
        let m = proposal.armCandidates[0]
        let limit = max(2 * m, Self.largestCurveArms)
        var top = max(2 * m, 30)
        var gains: [Int: Double] = [:]
        while true {
            for arms in Self.armCounts(upTo: top, including: m) where gains[arms] == nil {
                guard let after = evaluate({ withArms($0, arms) }) else { return [] }
                gains[arms] = after.mean
            }
            let curve = gains.map { ArmCurvePoint(arms: $0.key, gain: $0.value) }.sorted { $0.arms < $1.arms }
            guard let best = curve.max(by: { $0.gain < $1.gain }), top < limit else { return curve }
            let half = curve.last { $0.arms <= top / 2 } ?? curve[0]
            let peaked = best.arms <= top / 2
            let flat = (gains[top] ?? best.gain) - half.gain < Self.flatTolerance * abs(best.gain)
            if peaked || flat { return curve }
            top = min(2 * top, limit)
        }
    }

    /// Every count up to 40, then about 40 more spaced evenly in log m, plus the proposal's own:
    /// the curve keeps its shape while a 5,000-arm proposal costs ~80 points, not 10,000.
    static func armCounts(upTo top: Int, including m: Int) -> [Int] {
        var counts = Set(2...min(top, 40))
        if top > 40 {
            let steps = 40.0
            for i in 0...Int(steps) {
                counts.insert(Int((40 * pow(Double(top) / 40, Double(i) / steps)).rounded()))
            }
        }
        counts.insert(m)
        return counts.filter { $0 >= 2 && $0 <= top }.sorted()
    }

    /// Table 6: 1% changes in the favourable direction.
    func elasticities() -> [Elasticity] {
        let now = gainNow
        func make(
            _ parameter: ModelParameter,
            _ transform: @escaping (inout ModelParameters) -> Void
        )
            -> Elasticity?
        {
            guard
                let after = evaluate({ d in
                    var d = d
                    transform(&d.parameters)
                    return d
                })
            else { return nil }
            let elasticity = now != 0 ? (after.mean - now) / abs(now) / 0.01 : 0
            return Elasticity(parameter: parameter, gainAfter: after.mean, elasticity: elasticity)
        }
        return [
            make(.s) { $0.s *= 0.99 },
            make(.sigma) { $0.sigma *= 1.01 },
            make(.rho) { p in
                p.rho = max(p.rho - 0.01 * abs(p.rho), ModelParameters.lowestRho(arms: p.arms))
            },
            make(.predictionError) { $0.predictionError *= 0.99 },
        ].compactMap { $0 }
    }

    /// Figure 12 at the central parameters.
    func sensitivity(central: ModelParameters, points: Int) -> [SensitivityCurve] {
        let design = try? proposal.design(arms: central.arms)
        let k = max(points, 2)
        func grid(_ lo: Double, _ hi: Double) -> [Double] {
            (0..<k).map { lo + (hi - lo) * Double($0) / Double(k - 1) }
        }
        func curve(
            _ parameter: ModelParameter,
            _ values: [Double],
            _ set: (inout ModelParameters, Double) -> Void
        )
            -> SensitivityCurve
        {
            let gains = values.map { v -> Double in
                var p = central
                set(&p, v)
                return engine.unchecked(p, means: proposal.armMeans, design: design).gain
            }
            return SensitivityCurve(parameter: parameter, values: values, gains: gains)
        }
        let sigmaScale = central.sigma
        return [
            curve(.s, grid(0, central.s > 0 ? 2 * central.s : sigmaScale)) { $0.s = $1 },
            curve(.sigma, grid(0.25 * central.sigma, 2 * central.sigma)) { $0.sigma = $1 },
            curve(.rho, grid(ModelParameters.lowestRho(arms: central.arms), 1)) { $0.rho = $1 },
            curve(
                .predictionError,
                grid(0, central.predictionError > 0 ? 2 * central.predictionError : sigmaScale)
            ) { $0.predictionError = $1 },
        ]
    }

    /// Table 5: each parameter swapped in from the comparison study.
    func counterfactuals(central: ModelParameters) throws(ModelError) -> [Counterfactual] {
        guard let other = proposal.comparison?.parameters else { return [] }
        try other.validate()
        func gain(_ p: ModelParameters) -> Double {
            var p = p
            p.rho = max(p.rho, ModelParameters.lowestRho(arms: p.arms))
            return engine.unchecked(p, means: proposal.armMeans, design: try? proposal.design(arms: p.arms)).gain
        }
        var result = [Counterfactual(parameter: nil, value: nil, gain: gain(central))]
        if case .list = proposal.armMeans { return result }
        for parameter in ModelParameter.allCases {
            var p = central
            parameter.set(parameter.value(in: other), in: &p)
            result.append(Counterfactual(parameter: parameter, value: parameter.value(in: other), gain: gain(p)))
        }
        return result
    }
}
