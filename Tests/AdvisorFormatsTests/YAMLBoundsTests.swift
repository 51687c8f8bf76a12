import AdvisorFormats
import AdvisorModel
import Foundation
import Testing

/// YAML read with bounds (issue 31): aliases counted and complex keys found before Yams composes
/// a file, the expanded tree counted before anything walks it, duplicate keys found in linear
/// time. Each case is timed: before, a 400-byte file took `check-config` four minutes.
@Suite("YAML bounds")
struct YAMLBoundsTests {
    /// The classic: nine levels of nine aliases each (81 aliases, 10^9 values).
    static let billionLaughs: String = {
        var lines = ["a0: &a0 [\"lol\"]"]
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ")
            lines.append("a\(level): &a\(level) [\(refs)]")
        }
        return lines.joined(separator: "\n") + "\nexperiment: x\n"
    }()

    /// Within the alias count (6 levels of 10: 60 aliases), but 10^6 values once expanded.
    static let millionLaughs: String = {
        var lines = ["a0: &a0 [1, 2]"]
        for level in 1...6 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            lines.append("a\(level): &a\(level) [\(refs)]")
        }
        return lines.joined(separator: "\n") + "\nexperiment: x\n"
    }()

    /// The error `parse` gives for `text`, and the seconds it took.
    static func refusal(_ parse: (String) throws -> Void, _ text: String) -> (error: InputError?, seconds: Double) {
        let start = Date()
        do {
            try parse(text)
            return (nil, Date().timeIntervalSince(start))
        } catch {
            return (error as? InputError, Date().timeIntervalSince(start))
        }
    }

    static let readers: [(String, @Sendable (String) throws -> Void)] = [
        ("proposal", { _ = try ProposalFile.parse($0, file: "p.yaml") }),
        ("manifest", { _ = try ManifestFile.parse($0, file: "m.manifest.yaml") }),
    ]

    @Test("Billion laughs fails fast in proposals and manifests, on the alias count")
    func billionLaughs() {
        for (kind, parse) in Self.readers {
            let (error, seconds) = Self.refusal(parse, Self.billionLaughs)
            #expect(error?.problem.contains("81 YAML aliases") == true, "\(kind): \(String(describing: error))")
            #expect(error?.field == "a1" && error?.line == 2, "the first alias's field: \(String(describing: error))")
            #expect(seconds < 1, "\(kind): \(seconds) s")
        }
    }

    @Test("Nested aliases within the count are stopped at the expanded size, before the tree is walked")
    func expandedSize() {
        for (kind, parse) in Self.readers {
            let (error, seconds) = Self.refusal(parse, Self.millionLaughs)
            #expect(
                error?.problem.contains("more than 1000000 values") == true && error?.field == "a6",
                "\(kind): \(String(describing: error))"
            )
            #expect(seconds < 10, "\(kind): \(seconds) s")
        }
    }

    @Test(
        "A key that is an alias or a collection is refused when the file has aliases (Yams expands keys itself)",
        arguments: [
            "a: &a [1, 2]\n? *a\n: 1\n", "a: &a [1, 2]\n*a : 1\n", "a: &a [1, 2]\nb: {[*a]: 1}\n",
            "a: &a [1, 2]\nb: {x: 1, {y: *a}: 2}\n",
        ]
    )
    func complexKeys(text: String) {
        let (error, seconds) = Self.refusal(Self.readers[0].1, text)
        #expect(error?.problem.contains("a key that is an alias") == true, "\(String(describing: error))")
        #expect(seconds < 1)
    }

    @Test("Nesting 10^5 deep, in brackets or in dashes, is refused before Yams recurses into it")
    func deepNesting() {
        for text in [
            "a: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
            "a:\n" + String(repeating: "- ", count: 100_000) + "x\n",
            "a: " + String(repeating: "{b: ", count: 100_000) + "1" + String(repeating: "}", count: 100_000),
        ] {
            let (error, seconds) = Self.refusal(Self.readers[0].1, text)
            #expect(
                error?.problem.contains("levels deep") == true && error?.field == "a",
                "\(String(describing: error))"
            )
            #expect(seconds < 2, "\(seconds) s")
        }
    }

    @Test("50,000 distinct keys (0.9 MB) are read in linear time; a repeated key is still named")
    func manyKeys() {
        let keys = (0..<50_000).map { "key_\($0)_padding: 1" }.joined(separator: "\n")
        let text = "experiment: x\n" + keys + "\n"
        let (error, seconds) = Self.refusal(Self.readers[0].1, text)
        #expect(error?.problem.contains("unknown field") == true, "\(String(describing: error))")
        #expect(seconds < 30, "\(seconds) s")
        let repeated = "experiment: x\nbaseline: 0.3\nbaseline: 0.4\n"
        #expect(Self.refusal(Self.readers[0].1, repeated).error?.problem.contains("twice") == true)
    }

    @Test("Ordinary files with a few aliases, quotes, comments and block text still read")
    func ordinaryAliases() throws {
        let text = """
            # a comment with *stars* and [brackets
            experiment: aliases-ok
            arms: ["it's *new*", 'b [1]', "c"]
            baseline: &base 0.3
            outcome: {sd: *base}
            priors: {sigma: 0.2, rho: 0.3, s: 0.05, prediction_error: 0.1}
            threshold: 0.01
            """
        let proposal = try ProposalFile.parse(text, file: "ok.yaml")
        #expect(proposal.experiment == "aliases-ok")
    }
}
