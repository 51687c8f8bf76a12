import AdvisorModel
import AdvisorFormats
import AdvisorReports
import ArgumentParser
import Foundation

/// `experiment-advisor simulate`: the paper's Algorithms 1 and 2, literally.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run the literal, seeded simulator of the paper's Algorithms 1 and 2.",
        discussion:
            "Prints the simulated mean gain with its Monte Carlo standard error, next to the exact engine's value for the same procedure."
    )

    @Option(help: "σ, within-treatment heterogeneity (> 0).") var sigma: Double
    @Option(help: "ρ, cross-treatment correlation (−1/(m−1) to 1).") var rho: Double
    @Option(help: "s, SD of the arm means (≥ 0).") var s: Double
    @Option(help: "m, number of arms (≥ 2).") var arms: Int
    @Option(name: .customLong("prediction-error"), help: "σ_ε (≥ 0); 0 gives Algorithm 1.") var predictionError:
        Double = 0
    @Option(help: "Simulated individuals per replication.") var individuals: Int = 10_000
    @Option(help: "Replications.") var replications: Int = 200
    @Option(name: .customLong("arm-means"), help: "normal, spike-and-slab:PI or t:NU.") var armMeans: String = "normal"
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "Output format: text or json.") var format: OutputFormat = .text

    func validate() throws {
        _ = try parsedArmMeans()
    }

    func parsedArmMeans() throws -> ArmMeansDistribution {
        let parts = armMeans.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts.first {
        case "normal" where parts.count == 1: return .normal
        case "spike-and-slab" where parts.count == 2:
            guard let pi = Double(parts[1]) else { break }
            return .spikeAndSlab(spikeProbability: pi)
        case "t" where parts.count == 2:
            guard let nu = Double(parts[1]) else { break }
            return .studentT(degreesOfFreedom: nu)
        default: break
        }
        throw ValidationError(
            "--arm-means '\(armMeans)' is not one of: normal, spike-and-slab:PI (e.g. spike-and-slab:0.9), t:NU (e.g. t:4)"
        )
    }

    func run() throws {
        let parameters = ModelParameters(sigma: sigma, rho: rho, s: s, predictionError: predictionError, arms: arms)
        do {
            let means = try parsedArmMeans()
            let simulator = LiteralSimulator(
                parameters: parameters,
                means: means,
                individuals: individuals,
                replications: replications,
                seed: seed
            )
            let result = try simulator.run()
            let exact = try GainEngine().paperAlgorithm(parameters, means: means, individuals: individuals)
            let population = try GainEngine().gain(parameters, means: means)
            switch format {
            case .json:
                let object: [String: Any] = [
                    "gain": ["mean": result.meanGain, "standard_error": result.standardError],
                    "exact": ["same_procedure": exact.gain, "population": population.gain],
                    "replications": replications, "individuals": individuals, "seed": seed,
                    "parameters": [
                        "sigma": sigma, "rho": rho, "s": s, "prediction_error": predictionError, "arms": arms,
                        "arm_means": armMeans,
                    ],
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            case .text:
                print(
                    "Literal simulation (paper Algorithm \(predictionError > 0 ? 2 : 1)), \(replications) replications of \(individuals) individuals, seed \(seed):"
                )
                print(
                    "  simulated gain      \(String(format: "%.6g", result.meanGain)) ± \(String(format: "%.3g", result.standardError)) (Monte Carlo SE)"
                )
                print(
                    "  exact, same n       \(String(format: "%.6g", exact.gain))  (\(String(format: "%.1f", (result.meanGain - exact.gain) / max(result.standardError, 1e-300))) SE away)"
                )
                print("  exact, population   \(String(format: "%.6g", population.gain))")
            }
        } catch let error as ModelError {
            throw ValidationError(error.description)
        }
    }
}
