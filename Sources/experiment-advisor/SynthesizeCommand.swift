import AdvisorModel
import ArgumentParser
import Foundation

/// `experiment-advisor synthesize`: a data drop with known truth, to try `analyze` and the
/// daemon on, and for the benchmarks. See `SyntheticExperiment` for the model.
struct SynthesizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthesize",
        abstract: "Write a synthetic unit-level CSV with known σ, ρ, s and noise."
    )

    @Option(help: "Units (rows).") var units = 20_000
    @Option(help: "Arm count.") var arms = 4
    @Option(help: "Within-arm heterogeneity σ.") var sigma = 0.1
    @Option(help: "Cross-arm correlation ρ (0 to 1).") var rho = 0.5
    @Option(help: "SD of the arm means s (means are evenly spread with this SD around --baseline).") var s = 0.01
    @Option(help: "Mean outcome.") var baseline = 0.3
    @Option(help: "SD of the outcome noise (continuous outcomes).") var noise = 0.5
    @Flag(help: "0/1 outcomes: Bernoulli(h).") var binary = false
    @Option(help: "Only this many continuous covariates, signal by projection (with --binary-covariates).")
    var continuousCovariates: Int?
    @Option(help: "Binary covariates when --continuous-covariates is given.") var binaryCovariates = 0
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "Output CSV path.") var output: String

    func validate() throws {
        guard arms >= 2, units >= arms else { throw ValidationError("need at least 2 arms and one unit per arm") }
        guard (0...1).contains(rho), sigma >= 0, s >= 0, noise >= 0 else {
            throw ValidationError("σ, s and noise must be ≥ 0 and ρ in [0, 1]")
        }
    }

    func run() throws {
        // Arm means evenly spaced, centred on the baseline, with SD s.
        let spacing = (0..<arms).map { Double($0) - Double(arms - 1) / 2 }
        let sd = (spacing.reduce(0) { $0 + $1 * $1 } / Double(arms - 1)).squareRoot()
        var truth = SyntheticExperiment(
            sigma: sigma,
            rho: rho,
            armMeans: spacing.map { baseline + s * $0 / sd },
            noise: noise,
            binary: binary
        )
        if let continuousCovariates { truth.projected = (continuousCovariates, binaryCovariates) }
        let data = truth.generate(units: units, seed: seed)
        let names = (0..<data.features.columns).map { j in
            truth.projected.map { j < $0.continuous ? "c\(j)" : "b\(j - $0.continuous)" } ?? "x\(j)"
        }
        // createFile makes the file, or empties one that exists.
        guard FileManager.default.createFile(atPath: output, contents: nil),
            let handle = FileHandle(forWritingAtPath: output)
        else {
            throw ValidationError("cannot write \(output): check that its directory exists and is writable")
        }
        defer { try? handle.close() }
        var chunk = "unit_id,arm,outcome," + names.joined(separator: ",") + "\n"
        for i in 0..<data.units {
            chunk +=
                "\(i),\(data.armNames[data.arm[i]]),\(binary ? String(Int(data.outcome[i])) : String(format: "%.5f", data.outcome[i]))"
            for j in 0..<data.features.columns {
                let x = data.features[i, j]
                chunk += x == x.rounded() && abs(x) < 2 ? ",\(Int(x))" : String(format: ",%.4f", x)
            }
            chunk += "\n"
            if chunk.utf8.count > 1 << 20 {
                try handle.write(contentsOf: Data(chunk.utf8))
                chunk = ""
            }
        }
        try handle.write(contentsOf: Data(chunk.utf8))
    }
}
