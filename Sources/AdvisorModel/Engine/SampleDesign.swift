/// The finite experiment a prediction is for: how many units each arm gets and how noisy one
/// unit's outcome is. Without a design, predictions are for an infinite population.
public struct SampleDesign: Sendable, Hashable, Codable {
    /// n_a for each arm; their count must equal the arm count.
    public var unitsPerArm: [Double]
    /// SD of one unit's observed outcome within an arm (heterogeneity plus irreducible noise).
    public var outcomeSD: Double

    public init(unitsPerArm: [Double], outcomeSD: Double) {
        self.unitsPerArm = unitsPerArm
        self.outcomeSD = outcomeSD
    }

    /// n units split equally over `arms` arms.
    public init(totalUnits: Double, arms: Int, outcomeSD: Double) {
        self.init(unitsPerArm: Array(repeating: totalUnits / Double(arms), count: arms), outcomeSD: outcomeSD)
    }

    /// The largest allowed ratio between the biggest and the smallest arm.
    public static let maximumSizeRatio = 1000.0

    /// Total units.
    public var totalUnits: Double { unitsPerArm.reduce(0, +) }

    /// True when every arm gets the same number of units (the closed forms apply).
    public var isBalanced: Bool { unitsPerArm.allSatisfy { $0 == unitsPerArm.first } }

    /// δ_a = outcome SD / sqrt(n_a): the SD of arm a's sample mean.
    public var meanNoise: [Double] { unitsPerArm.map { outcomeSD / $0.squareRoot() } }

    /// The same design with every arm's size multiplied by `factor`.
    public func scaled(by factor: Double) -> SampleDesign {
        SampleDesign(unitsPerArm: unitsPerArm.map { $0 * factor }, outcomeSD: outcomeSD)
    }

    func validate(arms: Int) throws(ModelError) {
        guard unitsPerArm.count == arms else {
            throw ModelError.inconsistent(
                "sample_size lists \(unitsPerArm.count) arm sizes but the experiment has \(arms) arms"
            )
        }
        for (a, n) in unitsPerArm.enumerated() where !(n.isFinite && n >= 2) {
            throw ModelError.invalidParameter(
                name: "sample_size (arm \(a + 1))",
                value: n,
                validRange: "at least 2 units per arm"
            )
        }
        // The quadrature resolves the noisiest and the least noisy arm on one grid, so its cost
        // grows with sqrt(largest/smallest arm); beyond 1000:1 a report could take minutes.
        if let smallest = unitsPerArm.min(), let largest = unitsPerArm.max(), largest > Self.maximumSizeRatio * smallest
        {
            throw ModelError.inconsistent(
                "sample_size: the largest arm (\(NumberText.shortest(largest)) units) has more than \(NumberText.shortest(Self.maximumSizeRatio))× the units of the smallest (\(NumberText.shortest(smallest))); give arm sizes within 1000:1 of each other"
            )
        }
        try ModelError.check(
            "outcome.sd",
            outcomeSD,
            outcomeSD.isFinite && outcomeSD > 0,
            validRange: "a finite number > 0"
        )
    }
}
