import AdvisorFormats
import Testing

/// The one-pass JSON check summaries and policy files get before they are decoded (issue 31).
@Suite("JSON scan")
struct JSONScanTests {
    static let limits = JSONScan.Limits(
        maxDepth: 4,
        largestMagnitude: 1e15,
        integerKeys: ["units"],
        unboundedKeys: ["seed"],
        refuseControlCharacters: true
    )

    static func problem(_ text: String) -> JSONScan.Problem? {
        do {
            try JSONScan.check(Array(text.utf8), limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test(
        "Each problem names its field",
        arguments: [
            (#"{"a": 1, "\u0061": 2}"#, "a", "twice"),
            (#"{"x": {"units": 2.5}}"#, "x.units", "whole number"),
            (#"{"x": [1, 2, 1e16]}"#, "x[2]", "larger in magnitude"),
            (#"{"x": [[[[1]]]]}"#, "x[0][0][0]", "deep"),
            (#"{"name": "a\nb"}"#, "name", "control character"),
            (#"{"name": "a\u009bb"}"#, "name", "control character"),
        ]
    )
    func named(text: String, field: String, problem: String) throws {
        let found = try #require(Self.problem(text), "accepted")
        #expect(found.field == field && found.problem.contains(problem), "\(found)")
    }

    @Test("Valid JSON within the limits passes: a byte-order mark, escapes, a 64-bit seed, nesting at the limit")
    func accepted() {
        #expect(Self.problem("\u{FEFF}" + #"{"a": "\"\\\/", "seed": 18446744073709551615, "x": [[[1]]]}"#) == nil)
        #expect(Self.problem(#"{"a": 1} x"#)?.problem.contains("after the end") == true)
        #expect(Self.problem(#"{"a": 1"#)?.problem.contains("not JSON") == true)
    }
}
