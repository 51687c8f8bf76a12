import AdvisorDaemon
import Testing

@Suite("Journal field names")
struct JournalFieldNameTests {
    @Test(
        "Metadata keys become valid journal field names",
        arguments: [
            ("experiment_id", "EXPERIMENT_ID"),
            ("proposal.id", "PROPOSAL_ID"),
            ("sl-signal", "SL_SIGNAL"),
            ("_secret", "SECRET"),
            ("__x", "X"),
            ("2fa", "ADVISOR_2FA"),
            ("message", "ADVISOR_MESSAGE"),
            ("priority", "ADVISOR_PRIORITY"),
            ("message_id", "MESSAGE_ID"),
            ("", "ADVISOR_FIELD"),
            ("___", "ADVISOR_FIELD"),
            ("ünïcode key", "N_CODE_KEY"),
        ]
    )
    func escaping(key: String, expected: String) {
        #expect(JournalFieldName.journalName(key) == expected)
    }

    @Test("Every name obeys journald's rules, whatever the key")
    func rules() {
        let keys = ["a", "A.b-c d", "ß", "0", "_", String(repeating: "x", count: 200), "MESSAGE", "code_file", "é1"]
        for key in keys {
            let name = JournalFieldName.journalName(key)
            #expect(!name.isEmpty && name.count <= 64, "\(key) -> \(name)")
            #expect(name.first != "_" && name.first?.isNumber == false, "\(key) -> \(name)")
            #expect(
                name.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            )
        }
    }

    @Test("Every event has its own 128-bit MESSAGE_ID")
    func messageIDs() {
        let ids = AdvisorEvent.allCases.map(\.messageID)
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        }
    }
}
