/// JSON shapes of the parsed intent (docs/grounding.md, and `vlmnode ground --parse-only --json`).
extension SpatialQualifier: Encodable {
    /// A word ("leftmost"), or {"ordinal": 2, "from": "left"}.
    public func encode(to encoder: Encoder) throws {
        switch self {
        case .ordinal(let index, let side):
            var c = encoder.container(keyedBy: OrdinalKeys.self)
            try c.encode(index, forKey: .ordinal)
            try c.encode(side, forKey: .from)
        default:
            var c = encoder.singleValueContainer()
            try c.encode(name)
        }
    }

    private enum OrdinalKeys: String, CodingKey { case ordinal, from }

    /// The qualifier as one word or phrase, for messages and human output.
    public var name: String {
        switch self {
        case .leftmost: return "leftmost"
        case .rightmost: return "rightmost"
        case .topmost: return "topmost"
        case .bottommost: return "bottommost"
        case .middle: return "middle"
        case .nearest: return "nearest"
        case .farthest: return "farthest"
        case .largest: return "largest"
        case .smallest: return "smallest"
        case .ordinal(let index, let side): return "#\(index) from \(side.rawValue)"
        }
    }
}

extension ObjectPhrase: Encodable {
    private enum Keys: String, CodingKey { case text, query, head, attributes, qualifier }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(text, forKey: .text)
        try c.encode(query, forKey: .query)
        try c.encode(head, forKey: .head)
        try c.encode(attributes, forKey: .attributes)
        try c.encodeIfPresent(qualifier, forKey: .qualifier)
    }
}

extension Destination: Encodable {
    private enum Keys: String, CodingKey { case relation, phrase, region }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(relation, forKey: .relation)
        try c.encodeIfPresent(phrase, forKey: .phrase)
        try c.encodeIfPresent(region, forKey: .region)
    }
}

extension Step: Encodable {
    private enum Keys: String, CodingKey { case action, object, destination, recipient }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(action, forKey: .action)
        try c.encode(object, forKey: .object)
        try c.encodeIfPresent(destination, forKey: .destination)
        try c.encodeIfPresent(recipient, forKey: .recipient)
    }
}

extension CommandIntent: Encodable {
    private enum Keys: String, CodingKey { case command, action, object, destination, recipient, steps }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(command, forKey: .command)
        try c.encode(action, forKey: .action)
        try c.encode(object, forKey: .object)
        try c.encodeIfPresent(destination, forKey: .destination)
        try c.encodeIfPresent(recipient, forKey: .recipient)
        try c.encode(steps, forKey: .steps)
    }
}
