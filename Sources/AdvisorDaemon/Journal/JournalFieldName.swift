/// Turns swift-log metadata keys into valid journal field names.
///
/// journald accepts only upper-case ASCII letters, digits and `_`, at most 64 characters, not
/// starting with a digit; a leading `_` marks fields only journald itself may set and is dropped.
/// Passing keys through unchanged (`proposal.id`) would make journald discard the field, so every
/// key goes through `journalName(_:)`.
public enum JournalFieldName {
    /// Fields the handler writes itself; a metadata key that maps onto one of them is prefixed so
    /// it cannot overwrite the message, priority or identifier.
    static let reserved: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "SYSLOG_PID",
    ]
    /// Prefix for keys that would otherwise be reserved, empty or start with a digit.
    static let prefix = "ADVISOR_"
    static let maximumLength = 64

    /// The journal field name for a metadata key: `experiment_id` → `EXPERIMENT_ID`,
    /// `proposal.id` → `PROPOSAL_ID`, `_secret` → `SECRET`, `message` → `ADVISOR_MESSAGE`.
    public static func journalName(_ key: String) -> String {
        var name = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "a"..."z": name += String(scalar).uppercased()
            case "A"..."Z", "0"..."9": name.unicodeScalars.append(scalar)
            default: name.append("_")
            }
        }
        while name.first == "_" { name.removeFirst() }
        if name.isEmpty {
            name = prefix + "FIELD"
        } else if name.first?.isNumber == true || reserved.contains(name) {
            name = prefix + name
        }
        return String(name.prefix(maximumLength))
    }
}
