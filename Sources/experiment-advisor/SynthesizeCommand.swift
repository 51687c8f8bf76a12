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
    @Option(
        help: ArgumentHelp(
            "A guardrail outcome, smaller is better: COLUMN:CORRELATION:MAX_LOSS (repeatable).",
            discussion:
                "Its heterogeneity has SD --sigma and the given correlation with the primary's; a manifest naming it is written beside the CSV (NAME.manifest.yaml)."
        )
    )
    var guardrail: [String] = []
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "Output CSV path.") var output: String

    func validate() throws {
        guard arms >= 2, units >= arms else { throw ValidationError("need at least 2 arms and one unit per arm") }
        guard (0...1).contains(rho), sigma >= 0, s >= 0, noise >= 0 else {
            throw ValidationError("σ, s and noise must be ≥ 0 and ρ in [0, 1]")
        }
        _ = try guardrails()
    }

    /// `--guardrail` as the generator's guardrails.
    func guardrails() throws -> [SyntheticGuardrail] {
        try guardrail.map { text in
            let parts = text.split(separator: ":").map(String.init)
            guard parts.count == 3, let c = Double(parts[1]), abs(c) <= 1, let loss = Double(parts[2]), loss >= 0,
                !parts[0].isEmpty, !["arm", "outcome", "unit_id"].contains(parts[0])
            else {
                throw ValidationError(
                    "--guardrail '\(text)': expected COLUMN:CORRELATION:MAX_LOSS, e.g. unsubscribed:0.9:0.02 (correlation in [-1, 1], max_loss ≥ 0)"
                )
            }
            return SyntheticGuardrail(
                column: parts[0],
                armMeans: Array(repeating: 0, count: arms),
                sigma: sigma,
                correlation: c,
                noise: noise,
                largerIsBetter: false,
                maxLoss: .absolute(loss)
            )
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
        truth.guardrails = try guardrails()
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
        let guardrailNames = data.guardrails.map(\.column)
        var chunk = (["unit_id", "arm", "outcome"] + guardrailNames + names).joined(separator: ",") + "\n"
        for i in 0..<data.units {
            chunk +=
                "\(i),\(data.armNames[data.arm[i]]),\(binary ? String(Int(data.outcome[i])) : String(format: "%.5f", data.outcome[i]))"
            for g in data.guardrails { chunk += String(format: ",%.5f", g.values[i]) }
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
        if !data.guardrails.isEmpty {
            // The manifest `analyze` and the daemon read beside the data (flu.csv → flu.manifest.yaml).
            var stem = output
            for suffix in [".gz", ".csv"] where stem.hasSuffix(suffix) { stem.removeLast(suffix.count) }
            let entries = data.guardrails.map { g -> String in
                guard case .absolute(let loss) = g.maxLoss else { return "" }
                return "    - {column: \(g.column), larger_is_better: false, max_loss: \(loss)}"
            }
            let manifest = "outcomes:\n  primary: outcome\n  guardrails:\n" + entries.joined(separator: "\n") + "\n"
            try manifest.write(toFile: stem + ".manifest.yaml", atomically: true, encoding: .utf8)
        }
    }
}
