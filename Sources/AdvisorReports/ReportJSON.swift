import Foundation

/// The JSON both reports are written in: snake_case keys, sorted, pretty-printed. Encoding
/// fails rather than write a NaN (JSONEncoder refuses non-finite numbers).
enum ReportJSON {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}

/// A model value with the sentences the report layer adds to it, encoded as one JSON object:
/// the value's own keys, then the words' keys (which replace a value key of the same name, so a
/// nested list can come back worded). The model holds decisions and numbers; this is where they
/// meet their words.
struct Worded<Value: Encodable>: Encodable {
    var value: Value
    var words: [String: WordValue]

    enum WordValue: Encodable {
        case text(String)
        case list([String])
        case object(any Encodable)
        case objects([any Encodable])
        case null

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .text(let text):
                var container = encoder.singleValueContainer()
                try container.encode(text)
            case .list(let list):
                var container = encoder.singleValueContainer()
                try container.encode(list)
            case .object(let value):
                try value.encode(to: encoder)
            case .objects(let values):
                var container = encoder.unkeyedContainer()
                for value in values { try container.encode(value) }
            case .null:
                var container = encoder.singleValueContainer()
                try container.encodeNil()
            }
        }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        for (key, word) in words { try container.encode(word, forKey: Key(stringValue: key)) }
    }
}
