import Foundation

extension Recommendation {
    /// Builds the lead of the report: the verdict in a sentence, the one thing to do, and the
    /// limiting factor in a product manager's words.
    ///
    /// The limiting factor is the parameter whose 1% favourable change raises the gain most
    /// (the Table 6 elasticities), described with its central value.
    static func make(
        verdict: Verdict,
        summary: GainSummary,
        threshold: Double,
        levers: [Lever],
        elasticities: [Elasticity],
        central: ModelParameters,
        armMeans: ArmMeansDistribution,
        bestArmCount: Int?
    ) -> Recommendation {
        let chance = NumberText.percent(summary.probabilityActionable)
        let headline: String
        switch verdict {
        case .actionable:
            headline =
                "Personalization is likely to pay: an estimated \(chance) chance that it beats the best single arm by more than \(NumberText.significant(threshold))."
        case .marginal:
            headline =
                "Personalization may pay, but it is not assured: an estimated \(chance) chance of beating the best single arm by more than \(NumberText.significant(threshold))."
        case .notActionable:
            headline =
                "Personalization is unlikely to pay: only an estimated \(chance) chance of beating the best single arm by more than \(NumberText.significant(threshold))."
        }
        let limiting = elasticities.max { ($0.gainAfter - summary.mean) < ($1.gainAfter - summary.mean) }
        let parameter = limiting?.parameter ?? "sigma"
        let limitingFactor = explain(parameter, central: central, armMeans: armMeans)

        let best = levers.first
        let action: String
        if let best, best.gainAfter > best.gainNow * 1.05 + 1e-12, best.gainAfter > 0 {
            let crosses = best.gainAfter > threshold && summary.mean <= threshold
            action =
                "\(capitalized(best.change)): the predicted gain goes from \(NumberText.significant(best.gainNow)) to \(NumberText.significant(best.gainAfter))"
                + (crosses ? ", above your threshold of \(NumberText.significant(threshold))." : ".")
                + (verdict == .notActionable && best.gainAfter <= threshold
                    ? " Even so it stays below the threshold: plan to ship the best arm to everyone." : "")
        } else if verdict == .notActionable {
            action =
                "Ship the best arm to everyone: none of the design changes considered lifts the gain meaningfully."
        } else {
            action = "Run the test as designed: none of the design changes considered improves it meaningfully."
        }
        return Recommendation(
            headline: headline,
            action: action,
            limitingFactor: limitingFactor,
            limitingParameter: parameter
        )
    }

    static func explain(_ parameter: String, central p: ModelParameters, armMeans: ArmMeansDistribution) -> String {
        switch parameter {
        case "rho":
            return
                "Your arms are too similar: people who respond to one respond to all (cross-arm correlation ρ ≈ \(NumberText.significant(p.rho))). Personalization needs arms that win with different people."
        case "sigma":
            return
                "People respond too much alike within each arm, as far as your covariates can tell (heterogeneity σ ≈ \(NumberText.significant(p.sigma))). Covariates that separate responders from non-responders would help most."
        case "s":
            return
                "One arm is so much better on average that it is hard to beat (arm means vary by about \(NumberText.significant(armMeans.overallSD(s: p.s)))). Arms closer in average effect leave more room for personalization."
        default:
            return
                "Predictions are too noisy to tell people apart (prediction error σ_ε ≈ \(NumberText.significant(p.predictionError)) against usable signal τ ≈ \(NumberText.significant(p.tau))). More units per arm or a better outcome model would sharpen them."
        }
    }

    static func capitalized(_ text: String) -> String {
        text.prefix(1).uppercased() + text.dropFirst()
    }
}
