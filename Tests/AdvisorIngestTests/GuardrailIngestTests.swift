import AdvisorFormats
import AdvisorIngest
import AdvisorModel
import Foundation
import Testing

/// Manifests that name several outcomes, and drops read with them: each guardrail column is
/// read as an outcome (never a covariate), with the outcome's checks, and every bad manifest
/// gets an error that names the field.
@Suite("Guardrail outcomes: manifests and ingest")
struct GuardrailIngestTests {
    static let manifest = """
        outcomes:
          primary: revenue
          guardrails:
            - {column: unsubscribed, larger_is_better: false, max_loss: 0.002}
            - {column: tickets, larger_is_better: false, max_loss: {relative: 0.05}}
        """

    /// 2 arms × `perArm` rows: revenue, two guardrails, one covariate; `cell(i)` overrides the
    /// unsubscribed cell of row i.
    static func drop(perArm: Int = 40, cell: (Int) -> String? = { _ in nil }) -> String {
        var lines = ["arm,revenue,unsubscribed,tickets,age"]
        for i in 0..<(2 * perArm) {
            let unsubscribed = cell(i) ?? (i % 5 == 0 ? "1" : "0")
            lines.append("\(i % 2 == 0 ? "a" : "b"),\(Double(i % 9) + 0.5),\(unsubscribed),\(i % 3),\(20 + i % 40)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func read(_ text: String, manifest: String = Self.manifest) throws -> DataDrop {
        let path = try CSVDataFileTests.file(text)
        let parsed = try ManifestFile.parse(manifest, file: "drop.manifest.yaml")
        var limits = CSVDataFileTests.limits()
        limits.maxBadRowShare = 0.1
        return try CSVDataFile.read(path: path, manifest: parsed, limits: limits)
    }

    @Test("The manifest's outcomes name the primary and each guardrail with its direction and allowed loss")
    func parses() throws {
        let m = try ManifestFile.parse(Self.manifest, file: "m.yaml")
        #expect(m.outcomeColumn == "revenue")
        #expect(
            m.guardrails == [
                .init(column: "unsubscribed", largerIsBetter: false, maxLoss: .absolute(0.002)),
                .init(column: "tickets", largerIsBetter: false, maxLoss: .relative(0.05)),
            ]
        )
        #expect(MaxLoss.relative(0.05).allowed(reference: -2) == 0.1)
    }

    @Test(
        "Bad outcomes blocks are refused, naming the field and the fix",
        arguments: [
            ("outcomes: {guardrails: [{column: outcome, max_loss: 1}]}", "outcomes.guardrails[0].column", "primary"),
            ("outcomes: {guardrails: [{column: churn, max_loss: -1}]}", "outcomes.guardrails[0].max_loss", "negative"),
            ("outcomes: {guardrails: [{column: churn, max_loss: lots}]}", "outcomes.guardrails[0].max_loss", "number"),
            (
                "outcomes: {guardrails: [{column: churn, max_loss: {relative: -0.1}}]}",
                "outcomes.guardrails[0].max_loss.relative", "negative"
            ),
            (
                "outcomes: {guardrails: [{column: churn, max_loss: {share: 0.1}}]}",
                "outcomes.guardrails[0].max_loss.share", "unknown field"
            ),
            ("outcomes: {guardrails: [{column: churn}]}", "outcomes.guardrails[0].max_loss", "missing"),
            ("outcomes: {guardrails: [{max_loss: 1}]}", "outcomes.guardrails[0].column", "missing"),
            ("outcomes: {guardrails: [{column: arm, max_loss: 1}]}", "outcomes.guardrails[0].column", "arm"),
            (
                "outcomes: {guardrails: [{column: churn, max_loss: 1}, {column: churn, max_loss: 2}]}",
                "outcomes.guardrails[1].column", "twice"
            ),
            ("outcomes: {guardrails: churn}", "outcomes.guardrails", "list"),
            ("outcomes: {primary: y, guardrail: []}", "outcomes.guardrail", "unknown field"),
            ("columns: {outcome: y}\noutcomes: {primary: z}", "outcomes.primary", "differs"),
            (
                "outcomes: {guardrails: [{column: churn, larger_is_better: maybe, max_loss: 1}]}",
                "outcomes.guardrails[0].larger_is_better", "true or false"
            ),
        ] as [(String, String, String)]
    )
    func badManifests(text: String, field: String, problem: String) {
        #expect {
            _ = try ManifestFile.parse(text, file: "m.yaml")
        } throws: { error in
            guard let e = error as? InputError else { return false }
            return e.field == field && "\(e)".contains(problem) && e.file == "m.yaml" && !e.fix.isEmpty
        }
    }

    @Test("Guardrail columns are read as outcomes, not covariates, with the values as measured")
    func readsGuardrails() throws {
        let drop = try Self.read(Self.drop())
        #expect(drop.covariateNames == ["age"])
        #expect(drop.data.guardrails.map(\.column) == ["unsubscribed", "tickets"])
        #expect(drop.data.guardrails[0].values.prefix(6) == [1, 0, 0, 0, 0, 1])
        #expect(drop.data.guardrails[1].values.prefix(4) == [0, 1, 2, 0])
        #expect(drop.data.guardrails[0].largerIsBetter == false)
        #expect(drop.data.outcome.prefix(2) == [0.5, 1.5])
        // Oriented for the analysis: smaller is better, so −values.
        #expect(drop.data.guardrailData(0).outcome.prefix(2) == [-1, 0])
    }

    @Test("A row missing a guardrail is dropped and counted for that guardrail")
    func missingCells() throws {
        let drop = try Self.read(Self.drop(cell: { $0 == 3 || $0 == 10 ? "" : $0 == 11 ? "NA" : nil }))
        #expect(drop.data.units == 77)
        #expect(drop.rowsDropped == 3)
        #expect(drop.missingGuardrailCells["unsubscribed"] == 3)
        #expect(drop.missingGuardrailCells["tickets"] == 0)
        #expect(drop.data.guardrails[0].values.count == 77 && drop.data.features.rows == 77)
    }

    @Test(
        "Bad guardrail columns are refused, naming the column",
        arguments: [
            ("text", "column 'unsubscribed'", "holds text"),
            ("constant", "column 'unsubscribed'", "same"),
            ("absent", "column 'churn'", "not in the header"),
            ("infinite", "column 'unsubscribed'", "finite"),
        ]
    )
    func badColumns(kind: String, field: String, problem: String) throws {
        var text = Self.drop()
        var manifest = Self.manifest
        switch kind {
        case "text": text = Self.drop(cell: { $0 == 7 ? "yes" : nil })
        case "constant": text = Self.drop(cell: { _ in "0" })
        case "infinite": text = Self.drop(cell: { $0 == 7 ? "inf" : nil })
        default: manifest = manifest.replacingOccurrences(of: "column: tickets", with: "column: churn")
        }
        #expect {
            _ = try Self.read(text, manifest: manifest)
        } throws: { error in
            guard let e = error as? InputError else { return false }
            return e.field == field && "\(e)".contains(problem)
        }
    }
}
