import AdvisorModel
import Yams

/// Whether a proposal's priors are possible for the outcome it describes: each check names the
/// field and the likely fix, because an impossible prior (σ of a 5% rate written as "3" for 3
/// points) otherwise becomes a confident report of a gain no rate can have.
///
/// The bounds (README, "Proposal format"):
/// - σ and s of a 0/1 outcome with base rate p are at most k·√(p(1−p)) with k = 1. An
///   individual's rate and an arm's mean both lie in [0, 1], and a quantity in [0, 1] with mean
///   p has an SD of at most √(p(1−p)) (Bhatia–Davis), reached only when every value is 0 or 1
///   (covariates that predict every outcome, arms that convert everyone or no one). No slack
///   is added: only the prior's centre is held to the bound, so a wide prior may reach past it.
/// - σ_ε is at most k·√(p(1−p)) with k = 2: the error of a prediction that is itself a rate
///   around p is a difference of two such quantities, and SD(a − b) ≤ SD(a) + SD(b).
/// - With `outcome: {sd}` the same reasoning gives σ ≤ sd (σ² plus the noise's variance is the
///   outcome's) and σ_ε ≤ 2·sd.
enum ProposalPlausibility {
    /// k for σ and s of a 0/1 outcome, and for σ against an outcome's SD.
    static let spreadFactor = 1.0
    /// k for σ_ε.
    static let predictionErrorFactor = 2.0
    /// Prior draws for the share of the gain's prior mass that a rate cannot hold: every family
    /// costs a closed form or a table look-up a draw (`ChoiceTable`), so 200 for all.
    static let gainDraws = 200
    /// Fixed, so the door's answer does not depend on the proposal's seed.
    static let gainSeed: UInt64 = 0x00D0_0AB1E

    /// Throws the first implausibility found. `rate`: the base rate of a 0/1 outcome.
    static func check(_ proposal: Proposal, root: YAMLReader, rate: Double?) throws(InputError) {
        guard let priors = try root.child("priors") else { return }
        let m = proposal.armCandidates[0]
        let sigma = proposal.priors.sigma.center(lower: 0, upper: .infinity)
        let s = proposal.priors.s.center(lower: 0, upper: .infinity)
        let eps = proposal.priors.predictionError.center(lower: 0, upper: .infinity)
        let rho = proposal.priors.rho.center(lower: ModelParameters.lowestRho(arms: m), upper: 1)
        let show = NumberText.significant
        /// "3 is above …" for a number, "its centre 3 is above …" for a distribution.
        func value(_ prior: Prior, _ x: Double) -> String { prior.isFixed ? show(x) : "its centre \(show(x))" }

        guard let sd = proposal.outcomeSD else {
            // No outcome: a baseline in [0, 1] reads as a rate, and σ above it as points or a typo.
            if (0...1).contains(proposal.baseline) && sigma > proposal.baseline {
                let p = proposal.baseline
                let rateBound = (p * (1 - p)).squareRoot()
                let beyond =
                    sigma > rateBound
                    ? ", and more than a rate of \(show(p)) can vary between people (√(p(1−p)) = \(show(rateBound)))"
                    : ""
                throw priors.error(
                    "sigma",
                    "\(value(proposal.priors.sigma, sigma)) is larger than the baseline \(show(p)), which reads as a rate\(beyond)",
                    fix:
                        "say what the outcome is: if it is a 0/1 rate, add 'outcome: {binary: true}' and give sigma as a share (3 percentage points is 0.03); if it is not a rate, add 'outcome: {sd: X}' with its SD"
                )
            }
            return
        }

        // The bound as the error states it: "√(p(1−p)) at base rate p = 0.05", or outcome.sd.
        func bound(_ k: Double) -> String {
            let factor = k == 1 ? "" : "\(NumberText.shortest(k))·"
            return rate.map { "\(factor)√(p(1−p)) at base rate p = \(show($0))" }
                ?? "\(k == 1 ? "" : "\(NumberText.shortest(k)) times ")the outcome's SD, outcome.sd"
        }
        let unitsHint = rate == nil ? "" : "priors of a 0/1 outcome are shares, not percentage points; "
        func hint(_ value: Double, below bound: Double) -> String {
            rate != nil && value / 100 <= bound
                ? "did you mean \(show(value / 100)) (\(show(value)) percentage points)? " : ""
        }
        let sigmaBound = spreadFactor * sd
        if sigma > sigmaBound {
            throw priors.error(
                "sigma",
                "\(value(proposal.priors.sigma, sigma)) is above \(show(sigmaBound)) (\(bound(spreadFactor))): the part of the outcome that covariates explain cannot vary between people by more",
                fix: "\(hint(sigma, below: sigmaBound))\(unitsHint)give sigma a centre of at most \(show(sigmaBound))"
            )
        }
        let epsBound = predictionErrorFactor * sd
        if eps > epsBound {
            throw priors.error(
                "prediction_error",
                "\(value(proposal.priors.predictionError, eps)) is above \(show(epsBound)) (\(bound(predictionErrorFactor))): a model that errs by more predicts worse than guessing the average for everyone",
                fix:
                    "\(hint(eps, below: epsBound))\(unitsHint)give prediction_error a centre of at most \(show(epsBound))"
            )
        }
        guard let p = rate else { return }
        if case .list(let values) = proposal.armMeans {
            if let bad = values.first(where: { !(0...1).contains($0) }) {
                let block = try root.child("arm_means") ?? root
                throw block.error(
                    "values",
                    "\(show(bad)) is not a rate, but the outcome is 0/1",
                    fix: "list each arm's share of 1s, in [0, 1] (5% is 0.05)"
                )
            }
            try checkGain(proposal, root: root, priors: priors)
            return
        }
        let overall = proposal.armMeans.overallSD(s: s)
        if overall > spreadFactor * sd {
            throw priors.error(
                "s",
                "the arm means' SD \(show(overall)) is above \(show(sd)) (\(bound(spreadFactor))): rates averaging \(show(p)) cannot vary more",
                fix: "\(hint(overall, below: sd))\(unitsHint)give s a centre of at most \(show(s * sd / overall))"
            )
        }
        // The best arm: the expected largest of m arm means around the baseline.
        for arms in proposal.armCandidates {
            let central = ModelParameters(
                sigma: max(sigma, .leastNormalMagnitude),
                rho: max(rho, ModelParameters.lowestRho(arms: arms)),
                s: s,
                predictionError: eps,
                arms: arms
            )
            guard
                let uniform = try? GainEngine(table: ChoiceTable(for: proposal.armMeans))
                    .gain(central, means: proposal.armMeans).uniformValue
            else { continue }
            let best = proposal.baseline + uniform
            if best > 1 {
                throw priors.error(
                    "s",
                    "the best of \(arms) arms would be expected at \(show(best)), above 1: a rate cannot pass 100%",
                    fix:
                        "give s a centre of at most \(show(s * (1 - proposal.baseline) / uniform)) for \(arms) arms around baseline \(show(proposal.baseline)), or check the baseline"
                )
            }
        }
        try checkGain(proposal, root: root, priors: priors)
    }

    /// A 0/1 outcome: the personalized policy's rate (best arm plus gain) must not pass 1 for
    /// most of the priors' mass, at any candidate arm count.
    static func checkGain(_ proposal: Proposal, root: YAMLReader, priors: YAMLReader) throws(InputError) {
        let show = NumberText.significant
        let engine = GainEngine(monteCarloDraws: 8, seed: gainSeed, table: ChoiceTable(for: proposal.armMeans))
        for arms in proposal.armCandidates {
            var rng = SplitMix64(seed: gainSeed)
            var outside = 0
            var counted = 0
            var gains: [Double] = []
            for _ in 0..<gainDraws {
                let p = ModelParameters(
                    sigma: proposal.priors.sigma.sample(lower: 0, upper: .infinity, using: &rng),
                    rho: proposal.priors.rho.sample(
                        lower: ModelParameters.lowestRho(arms: arms),
                        upper: 1,
                        using: &rng
                    ),
                    s: proposal.priors.s.sample(lower: 0, upper: .infinity, using: &rng),
                    predictionError: proposal.priors.predictionError.sample(lower: 0, upper: .infinity, using: &rng),
                    arms: arms
                )
                guard let estimate = try? engine.gain(p, means: proposal.armMeans) else { continue }
                counted += 1
                gains.append(estimate.gain)
                if proposal.baseline + max(estimate.policyValue, estimate.uniformValue) > 1 { outside += 1 }
            }
            guard counted > 0, 2 * outside > counted else { continue }
            let median = gains.sorted()[gains.count / 2]
            throw priors.error(
                "sigma",
                "with these priors the personalized policy's rate passes 1 in \(NumberText.percent(Double(outside) / Double(counted))) of prior draws at \(arms) arms (median gain \(show(median)) over a baseline of \(show(proposal.baseline))): no rate can",
                fix:
                    "lower sigma (how much people differ) or raise rho, so the gain stays below 1 − \(show(proposal.baseline)); priors are shares, not percentage points"
            )
        }
    }

    /// A 0/1 outcome's threshold: no gain on a rate can lift it past 1.
    static func checkThreshold(_ proposal: Proposal, root: YAMLReader) throws(InputError) {
        let threshold = proposal.threshold.absoluteValue(baseline: proposal.baseline)
        let room = 1 - proposal.baseline
        guard threshold > room else { return }
        let show = NumberText.significant
        // The field as written: `threshold: X`, or `threshold: {absolute: X}` / `{relative: r}`.
        var field = root
        var key = "threshold"
        if case Node.mapping? = root.value("threshold"), let block = try root.child("threshold") {
            field = block
            if case .relative = proposal.threshold { key = "relative" } else { key = "absolute" }
        }
        let meant =
            threshold >= 1 && threshold / 100 <= room
            ? "did you mean \(show(threshold / 100)) (\(show(threshold)) percentage points)? " : ""
        throw field.error(
            key,
            "a gain of \(show(threshold)) on a 0/1 outcome at baseline \(show(proposal.baseline)) would need a rate above 1 (the most any policy can gain is \(show(room)))",
            fix: "\(meant)give the threshold as a share of 1 (0.005 is half a percentage point)"
        )
    }
}
