import AdvisorModel

/// Every sentence a prediction report says, from the prediction's decisions and numbers. The
/// text report, the JSON report and the journal MESSAGE all read them from here.
public enum PredictionWording {
    /// The verdict in a sentence.
    public static func headline(_ p: Prediction) -> String {
        let sentence = verdictSentence(p)
        for note in p.notes {
            if case .borderline(let cutOff, _, _, _) = note {
                return sentence
                    + " That chance is within Monte Carlo error of the \(NumberText.percent(cutOff)) cut-off: a borderline verdict."
            }
        }
        return sentence
    }

    static func verdictSentence(_ p: Prediction) -> String {
        let chance = NumberText.percent(p.gain.probabilityActionable)
        let threshold = NumberText.significant(p.threshold)
        switch p.verdict {
        case .actionable:
            return
                "Personalization is likely to pay: an estimated \(chance) chance that it beats the best single arm by more than \(threshold)."
        case .marginal:
            return
                "Personalization may pay, but it is not assured: an estimated \(chance) chance of beating the best single arm by more than \(threshold)."
        case .notActionable:
            return
                "Personalization is unlikely to pay: only an estimated \(chance) chance of beating the best single arm by more than \(threshold)."
        }
    }

    /// The one thing to do.
    public static func action(_ p: Prediction) -> String {
        let threshold = NumberText.significant(p.threshold)
        switch p.recommendation.nextStep {
        case .applyLever(let crosses, let staysBelow):
            guard let best = p.levers.first else { return action(nextStep: .runAsDesigned) }
            return
                "\(capitalized(change(best))): the predicted gain goes from \(NumberText.significant(best.gainNow)) to \(NumberText.significant(best.gainAfter))"
                + (crosses ? ", above your threshold of \(threshold)." : ".")
                + (staysBelow ? " Even so it stays below the threshold: plan to ship the best arm to everyone." : "")
        case .shipBestArm, .runAsDesigned:
            return action(nextStep: p.recommendation.nextStep)
        }
    }

    static func action(nextStep: Recommendation.NextStep) -> String {
        if case .shipBestArm = nextStep {
            return "Ship the best arm to everyone: none of the design changes considered lifts the gain meaningfully."
        }
        return "Run the test as designed: none of the design changes considered improves it meaningfully."
    }

    /// Why the one thing to do helps: the recommended lever's mechanism, or, when nothing is
    /// recommended, the limiting parameter. DO THIS and WHY always speak of the same thing.
    public static func why(_ p: Prediction) -> String {
        guard case .applyLever = p.recommendation.nextStep, let lever = p.levers.first else {
            return limitingFactor(p)
        }
        let c = p.parameters.central
        let n = NumberText.significant
        switch lever.kind {
        case .collectCovariates:
            return
                "People respond too much alike within each arm, as far as your covariates can tell (heterogeneity σ ≈ \(n(c.sigma)), cross-arm correlation ρ ≈ \(n(c.rho))). Covariates that separate responders from non-responders raise σ and lower ρ, and that lifts what you would deploy most."
        case .diversifyArms:
            return
                "Your arms are too similar: people who respond to one respond to all (ρ ≈ \(n(c.rho))). Arms that work through different mechanisms lower ρ; they also spread the arm means (s), and here the first effect is larger."
        case .addSamples:
            return
                "The models and the arm means are noisy at this sample (prediction error σ_ε ≈ \(n(c.predictionError)) against usable signal τ ≈ \(n(c.tau))): more units per arm sharpen both, so the policy picks better arms for more people."
        case .fewerSamples:
            return
                "The models are already about as sharp as this design allows: a smaller test loses little of the gain and picks the best arm nearly as well."
        case .armCount(let best, let current, _, _, _, let totalFixed):
            if best > current {
                return totalFixed
                    ? "With more arms, each person's best arm is further above the average one, so choosing per person gains more; re-splitting the same units makes each arm's model and mean noisier, and \(best) arms balance the two."
                    : "With more arms, each person's best arm is further above the average one, so choosing per person gains more, and each arm keeps its units."
            }
            return
                "Fewer arms give each arm more units: sharper models and arm means outweigh the choice that \(current - best) fewer arms take away."
        }
    }

    /// The limiting parameter in a product manager's words, with its central value.
    public static func limitingFactor(_ p: Prediction) -> String {
        let c = p.parameters.central
        switch p.recommendation.limitingParameter {
        case .rho:
            return
                "Your arms are too similar: people who respond to one respond to all (cross-arm correlation ρ ≈ \(NumberText.significant(c.rho))). Personalization needs arms that win with different people."
        case .sigma, .arms:
            return
                "People respond too much alike within each arm, as far as your covariates can tell (heterogeneity σ ≈ \(NumberText.significant(c.sigma))). Covariates that separate responders from non-responders would help most."
        case .s:
            return
                "One arm is so much better on average that it is hard to beat (arm means vary by about \(NumberText.significant(p.parameters.overallArmMeanSD))). Arms closer in average effect leave more room for personalization."
        case .predictionError:
            return
                "Predictions are too noisy to tell people apart (prediction error σ_ε ≈ \(NumberText.significant(c.predictionError)) against usable signal τ ≈ \(NumberText.significant(c.tau))). More units per arm or a better outcome model would sharpen them."
        }
    }

    /// A lever's change in words and numbers.
    public static func change(_ lever: Lever) -> String {
        let n = NumberText.shortest
        switch lever.kind {
        case .collectCovariates(let f, let dr):
            return "collect covariates that tell people apart: σ ×\(n(f)), ρ −\(n(dr))"
        case .diversifyArms(let dr, let g):
            return "test arms that work through different mechanisms: ρ −\(n(dr)), but s ×\(n(g))"
        case .addSamples(let factor):
            return factor == 2 ? "double the sample size" : "multiply the sample size by \(n(factor))"
        case .fewerSamples(let factor):
            return factor == 0.5 ? "halve the sample size" : "multiply the sample size by \(n(factor))"
        case .armCount(let best, let current, let largest, let now, let after, let totalFixed):
            guard best != current else {
                return "keep \(current) arms: no other count from 2 to \(largest) does better"
            }
            guard let now, let after else { return "run \(best) arms instead of \(current)" }
            let units = { (x: Double) in NumberText.shortest(x.rounded()) }
            return totalFixed
                ? "run \(best) arms instead of \(current) (the same \(units(now * Double(current))) units re-split: \(units(after)) per arm instead of \(units(now)))"
                : "run \(best) arms instead of \(current) (\(units(now)) units per arm each: \(units(after * Double(best))) in all instead of \(units(now * Double(current))))"
        }
    }

    /// "1% higher σ", "1% lower ρ": the favourable 1% move of an elasticity.
    public static func change(_ elasticity: Elasticity) -> String {
        "1% \(elasticity.parameter.gainRisesWithValue ? "higher" : "lower") \(elasticity.parameter.symbol)"
    }

    public static func note(_ note: PredictionNote) -> String {
        switch note {
        case .unequalArmDraws(let prior, let lever):
            return
                "Used \(prior) prior draws (\(lever) for levers): with arms of unequal sizes each draw is a Monte Carlo average of its own."
        case .timeBudget(let seconds, let prior, let configured, let lever, let points, let se):
            return
                "Over the \(NumberText.shortest(seconds))-second time budget, so used \(prior) of the \(configured) prior draws (\(lever) for levers, \(points) points per sensitivity curve): the predicted gain's Monte Carlo SE is \(NumberText.significant(se))."
        case .infinitePopulation:
            return "No sample_size given: gains are for an infinite population (a lower bound on the noise)."
        case .listedArmMeans:
            return "Arm means are listed, so the arm-count curve is not defined and is omitted."
        case .armCurveStillRising(let largest):
            return
                "More arms keep adding gain up to \(largest), the most tried: when each arm keeps its units (or the population is unlimited) the model prices no cost for another arm, so no arm count is recommended; weigh the cost of designing and running more arms yourself."
        case .borderline(let cutOff, let probability, let se, let draws):
            return
                "Borderline: the chance of beating the threshold, \(NumberText.significant(100 * probability))% ± \(NumberText.significant(100 * se))% (Monte Carlo SE, \(draws) draws), is within 3 SEs of the \(NumberText.percent(cutOff)) cut-off between verdicts; another seed could give the neighbouring verdict, so read it as either."
        }
    }

    /// The journal entry's MESSAGE: the verdict, the gain and the one thing to do, in one line.
    public static func journalMessage(_ p: Prediction) -> String {
        let relative = p.relativeGain.map { " (\(ReportText.relativePercent($0)) vs best arm)" } ?? ""
        return
            "\(p.experiment): \(p.verdict.rawValue), predicted gain \(NumberText.significant(p.gain.mean))\(relative); do: \(action(p))"
    }

    /// A lever with its `change` sentence, as the JSON reports show it.
    static func worded(_ lever: Lever) -> Worded<Lever> {
        Worded(value: lever, words: ["change": .text(change(lever))])
    }

    /// The prediction with every sentence in place, as the JSON report shows it.
    static func worded(_ p: Prediction) -> Worded<Prediction> {
        Worded(
            value: p,
            words: [
                "recommendation": .object(
                    Worded(
                        value: p.recommendation,
                        words: [
                            "headline": .text(headline(p)),
                            "action": .text(action(p)),
                            "limiting_factor": .text(limitingFactor(p)),
                            "why": .text(why(p)),
                        ]
                    )
                ),
                "levers": .objects(p.levers.map(worded)),
                "elasticities": .objects(
                    p.elasticities.map { Worded(value: $0, words: ["change": .text(change($0))]) }
                ),
                "notes": .list(p.notes.map(note)),
            ]
        )
    }

    static func capitalized(_ text: String) -> String {
        text.prefix(1).uppercased() + text.dropFirst()
    }
}
