import AdvisorIngest
import Foundation
import Testing

@Suite("CSV rows for assign")
struct CSVRowReaderTests {
    static func rows(_ text: String) throws -> [[String]] {
        let path = "/tmp/advisor-rows-\(UUID().uuidString).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = try CSVRowReader(path: path)
        var rows: [[String]] = []
        while let row = try reader.next() { rows.append(row) }
        return rows
    }

    @Test(
        "A byte-order mark is not part of the first column's name, whether or not the header ends in a newline",
        arguments: ["\u{FEFF}unit_id,x0", "\u{FEFF}unit_id,x0\n", "\u{FEFF}unit_id,x0\r\n"]
    )
    func byteOrderMark(text: String) throws {
        #expect(try Self.rows(text).first == ["unit_id", "x0"])
    }

    @Test("Quoted fields keep commas, doubled quotes and newlines; CRLF ends a row")
    func quoting() throws {
        #expect(
            try Self.rows("a,b\r\n\"x,1\",\"say \"\"hi\"\"\nthen\"\r\n") == [["a", "b"], ["x,1", "say \"hi\"\nthen"]]
        )
    }
}
