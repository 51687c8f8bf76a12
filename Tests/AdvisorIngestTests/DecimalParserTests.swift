import Foundation
import Testing

@testable import AdvisorIngest

/// The hand-written decimal parser against the C library's strtod, the reference every number
/// must equal bit for bit (the fast paths are exact by construction: Clinger's conditions).
@Suite("Decimal parser")
struct DecimalParserTests {
    static func parse(_ text: String) -> Double? {
        var bytes = Array(text.utf8)
        let count = bytes.count
        bytes += Array(repeating: 0, count: DecimalParser.slack)
        return DecimalParser.exactPowersOfTen.withUnsafeBufferPointer { powers in
            bytes.withUnsafeBufferPointer { DecimalParser.number($0, 0, count, powers: powers.baseAddress!) }
        }
    }

    static func reference(_ text: String) -> Double? {
        text.withCString { s in
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(s, &end)
            return end.map { $0 - UnsafeMutablePointer(mutating: s) } == text.utf8.count ? value : nil
        }
    }

    @Test(
        "Every form a drop holds equals strtod exactly",
        arguments: [
            "0", "1", "-1", "0.5", "-0.5", "1234567", "12345678", "0.1234567", "0.12345678", "1234567.1234567",
            "9007199254740993", "0.30000000000000004", "1e-7", "2.5E+3", "-0", "000123.4500", "123456789012345678901",
            "3.14159265358979323846", "0.000001", "1.7976931348623157e308", "4.9e-324", "+7.25",
        ]
    )
    func equalsStrtod(text: String) throws {
        let parsed = try #require(Self.parse(text), "\(text) not parsed")
        let expected = try #require(Self.reference(text))
        #expect(parsed.bitPattern == expected.bitPattern, "\(text): \(parsed) vs \(expected)")
    }

    @Test("Text that is not a number is nil", arguments: ["", "abc", "1.2.3", "--1", "1,5", "1e"])
    func notANumber(text: String) {
        #expect(Self.parse(text) == nil)
    }

    @Test("Random plain decimals with up to 17 significant digits equal strtod")
    func randomDecimals() throws {
        var state: UInt64 = 12345
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let whole = (state >> 20) % 100_000_000
            let fraction = (state >> 3) % 1_000_000_000
            let text = "\(state & 1 == 0 ? "" : "-")\(whole).\(String(fraction).leftPadded(9))"
            let parsed = try #require(Self.parse(text))
            #expect(parsed.bitPattern == Self.reference(text)?.bitPattern, "\(text)")
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
