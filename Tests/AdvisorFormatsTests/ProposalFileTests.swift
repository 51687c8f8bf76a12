import AdvisorModel
import AdvisorFormats
import Foundation
import Testing

@Suite("Proposal files")
struct ProposalFileTests {
    static let minimal = """
        experiment: t1
        arms: 4
        baseline: 0.3
        priors: {sigma: 0.2, rho: 0.5, s: 0.01, prediction_error: 0.1}
        threshold: 0.01
        """

    @Test("The bundled example parses, with its priors and design")
    func example() throws {
        let proposal = try ProposalFile.load(path: RepositoryFile.path("config/proposals/example-minimal.yaml"))
        #expect(proposal.experiment == "flu-nudges-2027")
        #expect(proposal.armCandidates == [20])
        #expect(proposal.priors.sigma == .logNormal(median: 0.15, logSD: 0.4))
        #expect(proposal.priors.rho == .uniform(min: 0.5, max: 0.9))
        #expect(proposal.sampleSize == .total(75000))
        #expect(abs((proposal.outcomeSD ?? 0) - (0.31 * 0.69).squareRoot()) < 1e-12)
        #expect(proposal.threshold == .relative(0.03))
    }

    @Test("JSON proposals are accepted")
    func json() throws {
        let proposal = try ProposalFile.load(path: RepositoryFile.path("Tests/Fixtures/penn-geisinger.json"))
        #expect(proposal.priors.sigma == .fixed(0.267))
        #expect(proposal.armCandidates == [20])
    }

    @Test("Beta and log-normal priors by mean and sd, the way people state beliefs")
    func meanAndSD() throws {
        let text = Self.minimal
            .replacingOccurrences(of: "rho: 0.5", with: "rho: {distribution: beta, mean: 0.7, sd: 0.1}")
            .replacingOccurrences(of: "sigma: 0.2", with: "sigma: {distribution: log-normal, mean: 0.2, sd: 0.05}")
        let proposal = try ProposalFile.parse(text, file: "p.yaml")
        let low = ModelParameters.lowestRho(arms: 4)
        guard case .beta(let a, let b) = proposal.priors.rho,
            case .logNormal(let median, let logSD) = proposal.priors.sigma
        else {
            Issue.record("\(proposal.priors)")
            return
        }
        // The beta's mean and sd on ρ's range [−1/3, 1], back from α and β (rounding only).
        let mean = low + (1 - low) * a / (a + b)
        let sd = (1 - low) * (a * b / ((a + b) * (a + b) * (a + b + 1))).squareRoot()
        #expect(abs(mean - 0.7) < 1e-12 && abs(sd - 0.1) < 1e-12, "\(mean) \(sd)")
        // The log-normal's mean median·e^(log_sd²/2) and sd mean·√(e^(log_sd²) − 1).
        let lnMean = median * exp(logSD * logSD / 2)
        #expect(abs(lnMean - 0.2) < 1e-12 && abs(lnMean * (exp(logSD * logSD) - 1).squareRoot() - 0.05) < 1e-12)
    }

    @Test("Arms as candidates and as names")
    func arms() throws {
        let candidates = try ProposalFile.parse(
            Self.minimal.replacingOccurrences(of: "arms: 4", with: "arms: [4, 8]"),
            file: "p.yaml"
        )
        #expect(candidates.armCandidates == [4, 8])
        let repeated = try ProposalFile.parse(
            Self.minimal.replacingOccurrences(of: "arms: 4", with: "arms: [8, 4, 8]"),
            file: "p.yaml"
        )
        #expect(repeated.armCandidates == [8, 4], "repeats dropped, order kept")
        let names = try ProposalFile.parse(
            Self.minimal.replacingOccurrences(of: "arms: 4", with: "arms: [control, joke, quiz]"),
            file: "p.yaml"
        )
        #expect(names.armCandidates == [3] && names.armNames == ["control", "joke", "quiz"])
    }

    struct BadCase: CustomTestStringConvertible, Sendable {
        var label: String
        var replace: String
        var with: String
        /// Text every error message must contain (field, value or fix).
        var mentions: [String]
        var testDescription: String { label }
    }

    static let badCases: [BadCase] = [
        BadCase(
            label: "unknown field suggests the nearest",
            replace: "baseline: 0.3",
            with: "baseline: 0.3\nthreshhold: 2",
            mentions: ["p.yaml:4", "threshhold", "unknown field", "did you mean 'threshold'"]
        ),
        BadCase(
            label: "unknown prior key",
            replace: "rho: 0.5",
            with: "rhoo: 0.5",
            mentions: ["priors.rhoo", "did you mean 'rho'"]
        ),
        BadCase(
            label: "ρ out of range names the range",
            replace: "rho: 0.5",
            with: "rho: -0.5",
            mentions: ["priors.rho", "-0.5", "between -0.3333", "and 1"]
        ),
        BadCase(
            label: "σ must be positive",
            replace: "sigma: 0.2",
            with: "sigma: 0",
            mentions: ["priors.sigma", "0.0 is out of range", "> 0"]
        ),
        BadCase(
            label: "missing field",
            replace: "threshold: 0.01",
            with: "",
            mentions: ["threshold", "missing", "Fix:"]
        ),
        BadCase(
            label: "text where a number belongs",
            replace: "baseline: 0.3",
            with: "baseline: high",
            mentions: ["baseline", "expected a number", "'high'"]
        ),
        BadCase(
            label: "unknown distribution",
            replace: "sigma: 0.2",
            with: "sigma: {distribution: lognorml, median: 0.2, log_sd: 0.3}",
            mentions: ["priors.sigma.distribution", "did you mean 'log-normal'"]
        ),
        BadCase(
            label: "beta is only for ρ",
            replace: "sigma: 0.2",
            with: "sigma: {distribution: beta, alpha: 2, beta: 2}",
            mentions: ["priors.sigma.distribution", "not available for sigma"]
        ),
        BadCase(
            label: "a beta's sd too large for its mean",
            replace: "rho: 0.5",
            with: "rho: {distribution: beta, mean: 0.9, sd: 0.4}",
            mentions: ["priors.rho.sd", "too large for a beta with mean 0.9", "smaller sd"]
        ),
        BadCase(
            label: "a beta given both ways",
            replace: "rho: 0.5",
            with: "rho: {distribution: beta, mean: 0.7, sd: 0.1, alpha: 2}",
            mentions: ["priors.rho.alpha", "beside mean and sd"]
        ),
        BadCase(
            label: "uniform with max below min",
            replace: "rho: 0.5",
            with: "rho: {distribution: uniform, min: 0.8, max: 0.2}",
            mentions: ["priors.rho.max", "not above min"]
        ),
        BadCase(
            label: "normal prior outside the valid range",
            replace: "s: 0.01",
            with: "s: {distribution: normal, mean: -5, sd: 0.1}",
            mentions: ["priors.s.mean", "almost no probability"]
        ),
        BadCase(
            label: "sample size without outcome spread",
            replace: "baseline: 0.3",
            with: "baseline: 0.3\nsample_size: 1000",
            mentions: ["outcome", "sample_size needs the outcome's spread"]
        ),
        BadCase(
            label: "t with too few degrees of freedom",
            replace: "baseline: 0.3",
            with: "baseline: 0.3\narm_means: {distribution: t, degrees_of_freedom: 2}",
            mentions: ["arm_means.degrees_of_freedom", "not above 2"]
        ),
        BadCase(
            label: "spike probability of 1",
            replace: "baseline: 0.3",
            with: "baseline: 0.3\narm_means: {distribution: spike-and-slab, spike_probability: 1}",
            mentions: ["arm_means.spike_probability", "outside [0, 1)"]
        ),
        BadCase(
            label: "listed means of the wrong length",
            replace: "baseline: 0.3",
            with: "baseline: 0.3\narm_means: {distribution: list, values: [0.1, 0.2]}",
            mentions: ["arm_means.values", "2 means for 4 arms"]
        ),
        BadCase(label: "one arm", replace: "arms: 4", with: "arms: 1", mentions: ["arms", "from 2"]),
        BadCase(
            label: "more arms than the engine accepts",
            replace: "arms: 4",
            with: "arms: 6000",
            mentions: ["arms", "'6000'", "from 2 to 5000"]
        ),
        BadCase(
            label: "candidate counts out of range",
            replace: "arms: 4",
            with: "arms: [4, 9000]",
            mentions: ["arms", "candidate", "from 2 to 5000"]
        ),
        BadCase(
            label: "arm sizes further apart than 1000:1",
            replace: "baseline: 0.3",
            with: "baseline: 0.3\noutcome: {sd: 1}\nsample_size: [2, 100, 100, 5000]",
            mentions: ["sample_size", "more than 1000 times", "within 1000:1"]
        ),
        BadCase(
            label: "duplicate key",
            replace: "baseline: 0.3",
            with: "baseline: 0.3\nbaseline: 0.4",
            mentions: ["baseline", "appears twice"]
        ),
        BadCase(
            label: "binary base rate out of (0, 1)",
            replace: "baseline: 0.3",
            with: "baseline: 0.3\noutcome: {binary: {base_rate: 1.2}}",
            mentions: ["outcome.binary", "strictly between 0 and 1"]
        ),
        BadCase(
            label: "bad experiment id",
            replace: "experiment: t1",
            with: "experiment: ../etc",
            mentions: ["experiment", "not a usable id"]
        ),
        BadCase(
            label: "a repeated arm name, named",
            replace: "arms: 4",
            with: "arms: [control, reminder, discount, reminder]",
            mentions: ["arms", "'reminder' appears more than once"]
        ),
        BadCase(
            label: "a binary outcome's baseline that is not a rate",
            replace: "baseline: 0.3",
            with: "baseline: 1.7\noutcome: {binary: {base_rate: 0.3}}",
            mentions: ["baseline", "1.7 is not a rate", "[0, 1]"]
        ),
        BadCase(
            label: "a sample size that is not a whole number",
            replace: "baseline: 0.3",
            with: "baseline: 0.3\noutcome: {sd: 1}\nsample_size: 75000.5",
            mentions: ["sample_size", "75000.5 is not a whole number", "75000"]
        ),
        BadCase(
            label: "a per-arm sample size that is not a whole number",
            replace: "baseline: 0.3",
            with: "baseline: 0.3\noutcome: {sd: 1}\nsample_size: {per_arm: 1000.25}",
            mentions: ["sample_size.per_arm", "not a whole number"]
        ),
        BadCase(
            label: "a Python object tag",
            replace: "baseline: 0.3",
            with: "baseline: !!python/object:os.system 0.3",
            mentions: ["baseline", "the YAML tag '!!python/object:os.system' is not allowed"]
        ),
        BadCase(
            label: "a local tag",
            replace: "threshold: 0.01",
            with: "threshold: !custom 0.01",
            mentions: ["threshold", "the YAML tag '!custom' is not allowed"]
        ),
        BadCase(
            label: "a newline in an arm name",
            replace: "arms: 4",
            with: "arms: [\"a\", \"x\\nverdict: actionable FORGED\"]",
            mentions: ["arms", "control character", "x\\nverdict"]
        ),
        BadCase(
            label: "an escape sequence in an arm name",
            replace: "arms: 4",
            with: "arms: [\"a\", \"b\\e[2J\"]",
            mentions: ["arms", "control character", "\\u{1B}"]
        ),
        BadCase(
            label: "infinite number",
            replace: "baseline: 0.3",
            with: "baseline: .inf",
            mentions: ["baseline", "not a finite number"]
        ),
    ]

    @Test("Bad input is an error naming the file, the field and the fix", arguments: badCases)
    func badInput(c: BadCase) {
        let text = Self.minimal.replacingOccurrences(of: c.replace, with: c.with)
        #expect(text != Self.minimal)
        #expect {
            try ProposalFile.parse(text, file: "p.yaml")
        } throws: { error in
            let message = String(describing: error)
            let ok = message.hasPrefix("p.yaml") && message.contains("Fix:") && c.mentions.allSatisfy(message.contains)
            if !ok { Issue.record("message was: \(message)") }
            return ok
        }
    }

    @Test(
        "Empty, non-mapping and unparsable files are clear errors",
        arguments: ["", "- a\n- b\n", "a: [1, 2\n", "just text"]
    )
    func malformed(text: String) {
        #expect {
            try ProposalFile.parse(text, file: "broken.yaml")
        } throws: { error in
            String(describing: error).hasPrefix("broken.yaml") && String(describing: error).contains("Fix:")
        }
    }

    @Test("A missing file is an error that names it")
    func missingFile() {
        #expect {
            try ProposalFile.load(path: "/nonexistent/proposal.yaml")
        } throws: { error in
            String(describing: error).contains("/nonexistent/proposal.yaml")
        }
    }
}

/// A file of this repository by its path from the top: the bundled examples and the one copy of
/// each test fixture (Tests/Fixtures), never a copy in a test target.
enum RepositoryFile {
    static func path(_ relative: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(relative).path
    }
}
