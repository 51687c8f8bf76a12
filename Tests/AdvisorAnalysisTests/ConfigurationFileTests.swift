import AdvisorModel
import AdvisorFormats
import AdvisorAnalysis
import Foundation
import Testing

@Suite("Configuration file")
struct ConfigurationFileTests {
    static let bundled =
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path + "/config/experiment-advisor.yaml"

    @Test("The bundled file states every default, and every key of the table, each in its section")
    func bundledEqualsDefaults() throws {
        let text = try String(contentsOfFile: Self.bundled, encoding: .utf8)
        #expect(try ConfigurationFile.parse(text, file: Self.bundled) == AdvisorConfiguration())
        let lines = text.split(separator: "\n").map(String.init)
        for key in ConfigurationFile.keys {
            // The key at its section's indentation, below its section's heading.
            let depth = key.section.isEmpty ? 0 : key.section.split(separator: ".").count
            let sectionName = key.section.split(separator: ".").last.map(String.init) ?? ""
            let heading =
                key.section.isEmpty
                ? 0 : lines.firstIndex(of: String(repeating: "  ", count: depth - 1) + sectionName + ":")
            let line = String(repeating: "  ", count: depth) + key.name + ":"
            let found = heading.flatMap { start in
                lines.indices.dropFirst(start).first { lines[$0].hasPrefix(line + " ") || lines[$0] == line }
            }
            #expect(found != nil, "\(key.path) is not in the bundled file below its section")
        }
    }

    @Test("Every key of the table rejects a value outside its range, naming its dotted field")
    func everyKeyIsRangeChecked() {
        for key in ConfigurationFile.keys {
            var text = ""
            for (depth, part) in key.path.split(separator: ".").enumerated() {
                text += String(repeating: "  ", count: depth) + part + ":"
                text += part == key.path.split(separator: ".").last ? " " : "\n"
            }
            switch key.kind {
            case .number(_, let range): text += "\(range.upperBound + 1)"
            case .whole(_, let range): text += "\(Double(range.upperBound) + 1.5)"
            case .seed: text += "-1"
            case .flag: text += "maybe"
            case .directory: text += "relative/path"
            case .logLevel: text += "loud"
            }
            #expect(throws: InputError.self, "\(key.path) accepted \(text)") {
                _ = try ConfigurationFile.parse(text, file: "c.yaml")
            }
            do {
                _ = try ConfigurationFile.parse(text, file: "c.yaml")
            } catch {
                #expect(error.field == key.path, "\(key.path): \(error)")
            }
        }
    }

    @Test("A seed of 2^63 is an error, not a trap")
    func hugeSeed() {
        #expect(throws: InputError.self) {
            _ = try ConfigurationFile.parse("analysis:\n  seed: 9223372036854775808", file: "c.yaml")
        }
    }

    @Test("An empty or comment-only file gives the defaults")
    func empty() throws {
        #expect(try ConfigurationFile.parse("", file: "c.yaml") == AdvisorConfiguration())
        #expect(try ConfigurationFile.parse("# nothing\n\n", file: "c.yaml") == AdvisorConfiguration())
    }

    @Test("Settings are read into the configuration")
    func values() throws {
        let config = try ConfigurationFile.parse(
            """
            spool: /srv/spool
            log_level: debug
            rescan_interval_seconds: 5
            prediction:
              prior_draws: 500
              marginal_probability: 0.2
            """,
            file: "c.yaml"
        )
        #expect(config.spool == "/srv/spool")
        #expect(config.logLevel == .debug)
        #expect(config.rescanIntervalSeconds == 5)
        #expect(config.prediction.priorDraws == 500)
        #expect(config.prediction.marginalProbability == 0.2)
        #expect(config.prediction.leverDraws == AdvisorConfiguration().prediction.leverDraws)
    }

    @Test(
        "Bad settings are errors naming the file, line, field and fix",
        arguments: [
            ("log_levle: info", "log_levle", "did you mean 'log_level'"),
            ("log_level: loud", "log_level", "use one of trace, debug"),
            ("spool: relative/path", "spool", "absolute path"),
            ("rescan_interval_seconds: 0", "rescan_interval_seconds", "from 1 to 86400"),
            ("rescan_interval_seconds: fast", "rescan_interval_seconds", "use a number"),
            ("max_input_bytes: 1.5", "max_input_bytes", "whole number"),
            ("prediction:\n  prior_draws: 10", "prediction.prior_draws", "from 100"),
            ("prediction:\n  marginal_probability: 0.9", "prediction.marginal_probability", "smaller than actionable"),
            ("prediction:\n  seeed: 3", "prediction.seeed", "did you mean 'seed'"),
            ("prediction: 3", "prediction", "as a mapping"),
            ("spool: [a, b]", "spool", "absolute directory"),
        ]
    )
    func errors(text: String, field: String, fix: String) {
        #expect {
            _ = try ConfigurationFile.parse(text, file: "/etc/x.yaml")
        } throws: { error in
            guard let error = error as? InputError else { return false }
            return error.file == "/etc/x.yaml" && error.field == field && error.line != nil
                && error.description.contains(fix)
        }
    }

    @Test("A missing or unreadable file says which path and what to do")
    func missing() {
        #expect {
            _ = try ConfigurationFile.load(path: "/nonexistent/experiment-advisor.yaml")
        } throws: { error in
            (error as? InputError)?.description.contains("/nonexistent/experiment-advisor.yaml") == true
                && (error as? InputError)?.fix.contains("--config") == true
        }
    }

    @Test("A billion-laughs configuration and one of 10 MB with distinct keys fail fast, naming the problem (issue 31)")
    func boundedYAML() throws {
        var lines = ["a0: &a0 [\"lol\"]"]
        for level in 1...9 {
            lines.append(
                "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]"
            )
        }
        var start = Date()
        #expect {
            _ = try ConfigurationFile.parse(lines.joined(separator: "\n") + "\n", file: "c.yaml")
        } throws: { error in
            (error as? InputError)?.problem.contains("YAML aliases") == true
        }
        #expect(Date().timeIntervalSince(start) < 1)
        // About 10 MB of distinct keys: refused for the first unknown one, in linear time.
        let big = (0..<400_000).map { "distinct_key_number_\($0): 1" }.joined(separator: "\n") + "\n"
        start = Date()
        #expect {
            _ = try ConfigurationFile.parse(big, file: "c.yaml")
        } throws: { error in
            (error as? InputError)?.problem.contains("unknown field") == true
        }
        let seconds = Date().timeIntervalSince(start)
        #expect(seconds < 120, "\(seconds) s")
    }
}
