import Foundation

/// Turns a proposal into a prediction: propagates the priors through the gain engine and
/// evaluates every lever on the same prior draws (common random numbers), so a lever's effect
/// is not buried in Monte Carlo noise.
public struct Predictor: Sendable {
    public var settings: PredictionSettings

    public init(settings: PredictionSettings = PredictionSettings()) {
        self.settings = settings
    }

    /// One joint draw of the parameters and the design they imply.
    struct Draw {
        var parameters: ModelParameters
        var design: SampleDesign?
    }

    /// The full prediction for `proposal`. `shouldStop` is polled between prior draws and
    /// between stages, so a caller that has given up on the result (the daemon at shutdown or
    /// at its time limit) does not leave a core busy; it then throws `ModelError.stopped`.
    public func predict(
        _ proposal: Proposal,
        shouldStop: @Sendable () -> Bool = { false }
    ) throws(ModelError) -> Prediction {
        func checkpoint() throws(ModelError) {
            if shouldStop() { throw ModelError.stopped }
        }
        try proposal.armMeans.validate()
        if proposal.sampleSize != nil && proposal.outcomeSD == nil {
            throw ModelError.inconsistent(
                "a sample_size needs the outcome's spread: give outcome.sd, or outcome.binary with a base rate"
            )
        }
        let seed = proposal.seed ?? settings.seed
        let engine = GainEngine(monteCarloDraws: 8, seed: seed, table: ChoiceTable(for: proposal.armMeans))
        let budget = drawBudget(proposal)
        var rng = SplitMix64(seed: seed)
        let planned = try (0..<budget.prior).map { _ throws(ModelError) in try draw(proposal, using: &rng) }
        let clock = TimeBudget(seconds: settings.timeBudgetSeconds)
        var draws: [Draw] = []
        var gains: [GainEstimate] = []
        var outOfTime = false
        func evaluate(_ batch: [Draw]) throws(ModelError) {
            for draw in batch {
                if gains.count % 8 == 0 {
                    try checkpoint()
                    // The prior draws may use 40% of the budget; the levers get what is left.
                    if gains.count >= Self.fewestPriorDraws && clock.elapsed > 0.4 * clock.seconds {
                        outOfTime = true
                        return
                    }
                }
                gains.append(engine.unchecked(draw.parameters, means: proposal.armMeans, design: draw.design))
                draws.append(draw)
            }
        }
        try evaluate(planned)
        let threshold = proposal.threshold.absoluteValue(baseline: proposal.baseline)
        // Every draw is of the proposed design (the first candidate count); the other candidates
        // are that design with another arm count, evaluated on the same draws as the arm curve,
        // so the candidates' table and the curve show one gain for each count.
        let proposed = proposal.armCandidates[0]
        var summary = Self.summarize(gains.map(\.gain), threshold: threshold)
        // Honest at the cut-off: a chance within 3 Monte Carlo SEs of a cut-off gets twice the
        // draws, twice (the same seed's stream goes on, so the report stays reproducible); if it
        // is still that close, the report calls the verdict borderline instead of a coin flip.
        var doublings = 0
        while budget.prior > 1, !outOfTime, doublings < Self.borderlineDoublings,
            nearestCutOff(summary) != nil
        {
            let more = try (0..<draws.count).map { _ throws(ModelError) in try draw(proposal, using: &rng) }
            try evaluate(more)
            doublings += 1
            summary = Self.summarize(gains.map(\.gain), threshold: threshold)
        }
        let borderline = nearestCutOff(summary)
        let uniform = gains.reduce(0) { $0 + $1.uniformValue } / Double(gains.count)
        let bestUniform = proposal.baseline + uniform
        let central = try centralParameters(proposal)
        let curvePoints = LeverContext.armCounts(upTo: max(2 * proposed, 30), including: proposed).count
        // A pilot pass over a few lever draws (the tables are warm by now) prices one evaluation.
        let wanted = min(budget.lever, draws.count)
        // Four draws unless they are cheap: a costly evaluation must not spend the budget on pricing.
        let pilotStart = clock.elapsed
        var piloted = 0
        for d in draws.prefix(min(wanted, 128)) {
            if piloted >= 4 && clock.elapsed - pilotStart > 0.01 * clock.seconds { break }
            _ = engine.unchecked(d.parameters, means: proposal.armMeans, design: d.design)
            piloted += 1
        }
        let secondsPerEvaluation = (clock.elapsed - pilotStart) / Double(max(piloted, 1))
        let leverDraws = Array(
            draws.prefix(
                clock.affordableDraws(
                    secondsPerEvaluation: secondsPerEvaluation,
                    evaluationsPerDraw: curvePoints + 12,
                    wanted: wanted,
                    fewest: Self.fewestLeverDraws
                )
            )
        )
        let context = LeverContext(
            proposal: proposal,
            engine: engine,
            settings: settings,
            draws: leverDraws,
            threshold: threshold,
            headline: leverDraws.count < draws.count
                ? (
                    summary.mean,
                    gains.reduce(0) { $0 + max($1.policyValue, $1.uniformValue) } / Double(gains.count)
                )
                : nil
        )
        try checkpoint()
        let curve = context.armCurve()
        try checkpoint()
        let levers = context.levers(curve: curve)
        try checkpoint()
        let elasticities = context.elasticities()
        try checkpoint()
        // Each sensitivity point is one evaluation at the prior centres; four curves share what is left.
        let sensitivityPoints = min(
            settings.sensitivityPoints,
            clock.affordableDraws(
                secondsPerEvaluation: secondsPerEvaluation,
                evaluationsPerDraw: 4,
                wanted: settings.sensitivityPoints,
                fewest: 3
            )
        )
        let sensitivity = context.sensitivity(central: central, points: sensitivityPoints)
        let counterfactuals = try context.counterfactuals(central: central)
        let verdict = verdictFor(summary.probabilityActionable)
        var notes: [PredictionNote] = []
        if let borderline {
            notes.append(
                .borderline(
                    cutOff: borderline,
                    probability: summary.probabilityActionable,
                    standardError: Self.probabilitySE(summary),
                    draws: summary.draws
                )
            )
        }
        if draws.count < budget.prior || leverDraws.count < wanted || sensitivityPoints < settings.sensitivityPoints {
            notes.append(
                .timeBudget(
                    seconds: settings.timeBudgetSeconds,
                    prior: draws.count,
                    configured: budget.prior,
                    lever: leverDraws.count,
                    sensitivityPoints: sensitivityPoints,
                    monteCarloSE: summary.monteCarloSE
                )
            )
        } else if budget.prior < settings.priorDraws && budget.prior > 1 {
            notes.append(.unequalArmDraws(prior: budget.prior, lever: budget.lever))
        }
        if proposal.sampleSize == nil { notes.append(.infinitePopulation) }
        if case .list = proposal.armMeans { notes.append(.listedArmMeans) }
        if curve.isStillRising, let largest = curve.last?.arms {
            notes.append(.armCurveStillRising(largestTried: largest))
        }
        let recommendation = Recommendation.make(
            verdict: verdict,
            meanGain: summary.mean,
            threshold: threshold,
            levers: levers,
            elasticities: elasticities
        )
        return Prediction(
            experiment: proposal.experiment,
            verdict: verdict,
            recommendation: recommendation,
            gain: summary,
            relativeGain: bestUniform > 0 ? summary.mean / bestUniform : nil,
            threshold: threshold,
            bestUniformValue: bestUniform,
            levers: levers,
            armCurve: curve,
            elasticities: elasticities,
            sensitivity: sensitivity,
            counterfactuals: counterfactuals,
            candidates: proposal.armCandidates.count > 1 ? candidateSummaries(context) : [],
            parameters: ParametersUsed(
                sigma: proposal.priors.sigma.summary,
                rho: proposal.priors.rho.summary,
                s: proposal.priors.s.summary,
                predictionError: proposal.priors.predictionError.summary,
                central: central,
                armCandidates: proposal.armCandidates,
                armMeans: proposal.armMeans.name,
                overallArmMeanSD: proposal.armMeans.overallSD(s: central.s),
                unitsPerArm: proposal.sampleSize?.unitsPerArm(arms: central.arms),
                outcomeSD: proposal.outcomeSD,
                binaryOutcome: proposal.binaryOutcome,
                baseline: proposal.baseline,
                seed: seed,
                population: proposal.sampleSize == nil
            ),
            notes: notes
        )
    }

    /// The fewest prior draws and lever draws a prediction uses, whatever its time budget: below
    /// them the Monte Carlo error would swamp the levers' differences.
    static let fewestPriorDraws = 32
    static let fewestLeverDraws = 8

    /// How often a chance near a cut-off gets twice the draws before it is called borderline.
    static let borderlineDoublings = 2

    /// The Monte Carlo SE of P(gain > threshold): √(p(1 − p)/draws).
    static func probabilitySE(_ summary: GainSummary) -> Double {
        let p = summary.probabilityActionable
        return (p * (1 - p) / Double(max(summary.draws, 1))).squareRoot()
    }

    /// The verdict's cut-off that the chance lies within 3 Monte Carlo SEs of, if any. With
    /// one draw (fixed priors) the chance is exact and never borderline.
    func nearestCutOff(_ summary: GainSummary) -> Double? {
        guard summary.draws > 1 else { return nil }
        let se = Self.probabilitySE(summary)
        return [settings.actionableProbability, settings.marginalProbability]
            .filter { abs(summary.probabilityActionable - $0) < 3 * max(se, 1e-12) }
            .min { abs(summary.probabilityActionable - $0) < abs(summary.probabilityActionable - $1) }
    }

    /// Fewer draws only where one evaluation is a Monte Carlo average of its own (unequal arm
    /// sizes). Every family of arm means otherwise costs a closed form or a table look-up per
    /// draw (`ChoiceTable`), so levers use every draw and "now" equals the headline mean.
    func drawBudget(_ proposal: Proposal) -> (prior: Int, lever: Int) {
        let allFixed =
            [proposal.priors.sigma, proposal.priors.rho, proposal.priors.s, proposal.priors.predictionError]
            .allSatisfy(\.isFixed) && proposal.armCandidates.count == 1
        if allFixed { return (1, 1) }
        let prior = max(settings.priorDraws, 2)
        if case .eachArm(let sizes) = proposal.sampleSize, Set(sizes).count > 1 {
            return (min(prior, 400), max(min(settings.leverDraws, prior, 60), 2))
        }
        return (prior, prior)
    }

    func draw(_ proposal: Proposal, using rng: inout SplitMix64) throws(ModelError) -> Draw {
        let m = proposal.armCandidates[0]
        let priors = proposal.priors
        let p = ModelParameters(
            sigma: priors.sigma.sample(lower: 0, upper: .infinity, using: &rng),
            rho: priors.rho.sample(lower: ModelParameters.lowestRho(arms: m), upper: 1, using: &rng),
            s: priors.s.sample(lower: 0, upper: .infinity, using: &rng),
            predictionError: priors.predictionError.sample(lower: 0, upper: .infinity, using: &rng),
            arms: m
        )
        try p.validate()
        let design = try proposal.design(arms: m)
        return Draw(parameters: p, design: design)
    }

    /// Prior centres (median or mean) at the first candidate arm count.
    func centralParameters(_ proposal: Proposal) throws(ModelError) -> ModelParameters {
        let m = proposal.armCandidates[0]
        let priors = proposal.priors
        let p = ModelParameters(
            sigma: priors.sigma.center(lower: 0, upper: .infinity),
            rho: priors.rho.center(lower: ModelParameters.lowestRho(arms: m), upper: 1),
            s: priors.s.center(lower: 0, upper: .infinity),
            predictionError: priors.predictionError.center(lower: 0, upper: .infinity),
            arms: m
        )
        try p.validate()
        return p
    }

    func verdictFor(_ probability: Double) -> Verdict {
        if probability >= settings.actionableProbability { return .actionable }
        if probability >= settings.marginalProbability { return .marginal }
        return .notActionable
    }

    /// Each candidate arm count as the arm curve sees it: the proposed draws with that count.
    func candidateSummaries(_ context: LeverContext) -> [CandidateSummary] {
        Set(context.proposal.armCandidates).sorted().compactMap { arms in
            context.evaluate { context.withArms($0, arms) }.map {
                CandidateSummary(arms: arms, gainMean: $0.mean, probabilityActionable: $0.probability)
            }
        }
    }

    /// Mean, SD, quantiles and P(gain > threshold) of a sample of gains.
    static func summarize(_ gains: [Double], threshold: Double) -> GainSummary {
        let n = Double(gains.count)
        let mean = gains.reduce(0, +) / n
        let variance = gains.count > 1 ? gains.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1) : 0
        let sorted = gains.sorted()
        func quantile(_ q: Double) -> Double {
            // Linear interpolation between order statistics (type 7, as numpy and R default to).
            let position = q * (n - 1)
            let lower = Int(position.rounded(.down))
            let upper = min(lower + 1, sorted.count - 1)
            return sorted[lower] + (position - Double(lower)) * (sorted[upper] - sorted[lower])
        }
        return GainSummary(
            mean: mean,
            sd: variance.squareRoot(),
            p05: quantile(0.05),
            p50: quantile(0.5),
            p95: quantile(0.95),
            probabilityActionable: Double(gains.filter { $0 > threshold }.count) / n,
            monteCarloSE: (variance / n).squareRoot(),
            draws: gains.count,
            histogram: histogram(sorted, threshold: threshold)
        )
    }

    /// 20 equal-width bins over the sample's range (none for a single value), for the report's
    /// chart. When the threshold falls inside the range it is a bin edge (one more bin may be
    /// needed), so every bar lies wholly on one side of it.
    static func histogram(_ sorted: [Double], threshold: Double, bins: Int = 20) -> [GainSummary.Bin] {
        guard let low = sorted.first, let high = sorted.last, high > low else { return [] }
        let width = (high - low) / Double(bins)
        var start = low
        if threshold > low && threshold < high {
            start = threshold - ((threshold - low) / width).rounded(.up) * width
        }
        let count = max(1, Int(((high - start) / width).rounded(.up)))
        var counts = [Int](repeating: 0, count: count)
        for x in sorted { counts[max(0, min(count - 1, Int(((x - start) / width).rounded(.down))))] += 1 }
        return (0..<count).map {
            .init(lower: start + Double($0) * width, upper: start + Double($0 + 1) * width, count: counts[$0])
        }
    }
}

extension Proposal {
    /// The design for `arms` arms, or nil for an infinite population.
    func design(arms: Int) throws(ModelError) -> SampleDesign? {
        guard let size = sampleSize, let sd = outcomeSD else { return nil }
        let design = SampleDesign(unitsPerArm: size.unitsPerArm(arms: arms), outcomeSD: sd)
        try design.validate(arms: arms)
        return design
    }
}

/// The wall clock of one prediction against its budget.
struct TimeBudget {
    let seconds: Double
    let start = ContinuousClock.now

    init(seconds: Double) { self.seconds = seconds }

    /// Seconds since the prediction started.
    var elapsed: Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// How many draws the levers can afford: the time left (with a 20% margin) over the cost of
    /// one evaluation times the evaluations each lever draw needs (arm curve points, levers,
    /// elasticities); at least `fewest`.
    /// Work that costs under a tenth of the budget is never cut, however late it starts: a
    /// prediction that ran long elsewhere (a slow machine, a loaded one) keeps figures that
    /// cost nothing, and so stays the same report from run to run.
    func affordableDraws(secondsPerEvaluation: Double, evaluationsPerDraw: Int, wanted: Int, fewest: Int) -> Int {
        guard secondsPerEvaluation > 0 else { return wanted }
        let full = secondsPerEvaluation * Double(max(evaluationsPerDraw, 1)) * Double(wanted)
        if full <= 0.1 * seconds { return wanted }
        let left = 0.8 * (seconds - elapsed)
        let affordable = left / (secondsPerEvaluation * Double(max(evaluationsPerDraw, 1)))
        guard affordable.isFinite, affordable < Double(wanted) else { return wanted }
        return min(wanted, max(fewest, Int(affordable)))
    }
}
