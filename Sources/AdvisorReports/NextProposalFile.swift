import AdvisorModel

/// The verdict's follow-up test as a proposal file (`STAMP-next-proposal.yaml`): valid as it
/// stands, so a team can drop it into incoming/ unchanged, with this test's levers as comments
/// above the design they would change. Written by hand rather than with a YAML emitter because
/// the comments are the point, and no emitter here writes comments.
public enum NextProposalFile {
    public static func yaml(_ v: PostExperimentVerdict) -> String {
        let p = v.nextProposal
        // Values the reader parses keep six digits; figures in comments read as in the report.
        let number = NumberText.shortest
        let shown = NumberText.significant
        // A proposal seen before the data set the team's bar and baseline: the next test keeps them.
        let fromTeam = v.teamProposal
        let interval =
            "\(shown(v.predicted.gain)), 90% interval \(shown(v.predicted.lower)) to \(shown(v.predicted.upper))"
        var out: [String] = [
            "# The next test for \(v.experiment), written with its verdict (\(v.verdict.rawValue)).",
            "# Priors are this test's estimates with their uncertainty (mean = estimate, sd = its",
        ]
        if let fromTeam {
            // The team's baseline and planned size, not this test's split: its prediction differs.
            out.append("# bootstrap standard error); the baseline, sample size and threshold are your proposal")
            out.append(
                "# \(fromTeam)'s, so its prediction is for that plan (the verdict's, for this test: \(interval))."
            )
        } else {
            out.append("# bootstrap standard error); dropped into incoming/ unchanged, its prediction matches the")
            out.append("# verdict's (\(interval)).")
        }
        out.append("experiment: \(p.experiment)")
        out.append("arms: [\((p.armNames ?? p.armCandidates.map { "\($0)" }).map(quoted).joined(separator: ", "))]")
        out.append(
            "baseline: \(number(p.baseline))             # "
                + (fromTeam.map { "your proposal \($0)'s baseline" } ?? "the best arm's value on the holdout")
        )
        if let sizes = p.sampleSize?.unitsPerArm(arms: p.armCandidates[0]) {
            out.append(
                fromTeam.map {
                    "# Units per arm the next test should run: your proposal \($0)'s plan, else this test's."
                }
                    ?? "# Units per arm the policy learns from: this test's training split."
            )
            out.append("sample_size: [\(sizes.map { "\(Int($0.rounded()))" }.joined(separator: ", "))]")
        } else {
            out.append("# No sample_size: the arms are too unequal in size for the finite-sample model.")
        }
        if let sd = p.outcomeSD { out.append("outcome: {sd: \(number(sd))}") }
        out.append("priors:")
        for (parameter, prior) in [
            (ModelParameter.sigma, p.priors.sigma), (.rho, p.priors.rho), (.s, p.priors.s),
            (.predictionError, p.priors.predictionError),
        ] {
            out.append("  \(parameter.key): \(text(prior))")
        }
        out.append("# " + VerdictWording.thresholdSource(v) + ".")
        switch p.threshold {
        case .relative(let r): out.append("threshold: {relative: \(number(r))}")
        case .absolute(let x): out.append("threshold: {absolute: \(number(x))}")
        }
        if let seed = p.seed { out.append("seed: \(seed)") }
        if !v.levers.isEmpty {
            out.append("")
            out.append("# What would change the gain (from this test's estimates; now -> after the change):")
            for lever in v.levers {
                out.append(
                    "#   \(PredictionWording.change(lever)): \(shown(lever.gainNow)) -> \(shown(lever.gainAfter))"
                )
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    static func text(_ prior: Prior) -> String {
        let number = NumberText.shortest
        switch prior {
        case .fixed(let x): return number(x)
        case let .truncatedNormal(mean, sd, _, _):
            return "{distribution: normal, mean: \(number(mean)), sd: \(number(sd))}"
        case let .uniform(a, b): return "{distribution: uniform, min: \(number(a)), max: \(number(b))}"
        case let .logNormal(median, logSD):
            return "{distribution: log-normal, median: \(number(median)), log_sd: \(number(logSD))}"
        case let .beta(a, b): return "{distribution: beta, alpha: \(number(a)), beta: \(number(b))}"
        }
    }

    /// A YAML double-quoted scalar (JSON's escapes are YAML's).
    static func quoted(_ name: String) -> String {
        var out = "\""
        for scalar in name.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
