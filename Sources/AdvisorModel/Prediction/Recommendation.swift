extension Recommendation {
    /// Decides the lead of the report: the one thing to do, and the limiting parameter.
    ///
    /// The best lever (the first: levers are ranked by the value the team would deploy) is
    /// recommended when it raises that value by more than twice its Monte Carlo SE and raises
    /// the gain by more than 5% (to a positive gain). The limiting parameter is the one whose 1% favourable change raises the gain most
    /// (the Table 6 elasticities); σ when there are none.
    static func make(
        verdict: Verdict,
        meanGain: Double,
        threshold: Double,
        levers: [Lever],
        elasticities: [Elasticity]
    )
        -> Recommendation
    {
        let limiting = elasticities.max { ($0.gainAfter - meanGain) < ($1.gainAfter - meanGain) }
        let nextStep: NextStep
        if let best = levers.first, best.gainAfter > best.gainNow * 1.05 + 1e-12, best.gainAfter > 0,
            best.deployedValueAfter - best.deployedValueNow > 2 * best.deployedChangeSE,
            best.deployedValueAfter > best.deployedValueNow
        {
            nextStep = .applyLever(
                crossesThreshold: best.gainAfter > threshold && meanGain <= threshold,
                staysBelowThreshold: verdict == .notActionable && best.gainAfter <= threshold
            )
        } else if verdict == .notActionable {
            nextStep = .shipBestArm
        } else {
            nextStep = .runAsDesigned
        }
        return Recommendation(nextStep: nextStep, limitingParameter: limiting?.parameter ?? .sigma)
    }
}
