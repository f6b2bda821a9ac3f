import Foundation

/// A typed node parameter, as written in a launch file (`<param>`) and handed to the node.
///
/// JSON form (inside `VLMNODE_WIRING`): a JSON string, number, boolean or array, so any language reads
/// it without a vlmnode library. Integers stay integers (`3`, not `3.0`).
public enum ParamValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case list([ParamValue])

    /// The type's name as the launch format spells it (`string`, `int`, `double`, `bool`, `list`).
    public var typeName: String {
        switch self {
        case .string: "string"
        case .int: "int"
        case .double: "double"
        case .bool: "bool"
        case .list: "list"
        }
    }

    /// The value as a command-line word: lists joined with commas.
    public var description: String {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) + ".0" : String(d)
        case .bool(let b): b ? "true" : "false"
        case .list(let items): items.map(\.description).joined(separator: ",")
        }
    }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var intValue: Int? { if case .int(let i) = self { i } else { nil } }
    /// Ints widen to doubles: a `number` parameter accepts both.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }
    /// A list of strings; a single string is split on commas ("red cup, blue bowl").
    public var stringListValue: [String]? {
        switch self {
        case .string(let s):
            return s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case .list(let items):
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { out.append(item.description); continue }
                out.append(s)
            }
            return out
        default:
            return nil
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else { self = .list(try c.decode([ParamValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .bool(let b): try c.encode(b)
        case .list(let items): try c.encode(items)
        }
    }

    /// Parses launch-file text. With `type` nil the type is inferred: `true`/`false` -> bool,
    /// `42` -> int, `0.5` -> double, `[a, 'b, c', 3]` -> list (items inferred), else string.
    /// Returns nil when the text does not fit the requested type.
    public static func parse(_ text: String, type: String? = nil) -> ParamValue? {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        switch type {
        case "string", "str": return .string(text)
        case "int": return Int(t).map(ParamValue.int)
        case "double", "float", "number": return Double(t).map(ParamValue.double)
        case "bool":
            switch t.lowercased() {
            case "true", "1", "yes": return .bool(true)
            case "false", "0", "no": return .bool(false)
            default: return nil
            }
        case "list":
            if t.hasPrefix("[") { return parseList(t) }
            return .list(splitTopLevel(t).map { inferItem($0) })
        case nil:
            if t == "true" || t == "false" { return .bool(t == "true") }
            if let i = Int(t) { return .int(i) }
            if let d = Double(t), t.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .double(d) }
            if t.hasPrefix("["), t.hasSuffix("]"), let list = parseList(t) { return list }
            return .string(text)
        default:
            return nil
        }
    }

    /// Deepest `[` nesting a list may have: each level re-parses its text, so deep nesting from a
    /// launch file would be quadratic (and recursive).
    public static let maxListNesting = 16

    private static func parseList(_ t: String) -> ParamValue? {
        guard t.hasPrefix("["), t.hasSuffix("]"), bracketDepth(t) <= maxListNesting else { return nil }
        let inner = String(t.dropFirst().dropLast())
        if inner.trimmingCharacters(in: .whitespaces).isEmpty { return .list([]) }
        return .list(splitTopLevel(inner).map { inferItem($0) })
    }

    private static func inferItem(_ raw: String) -> ParamValue {
        let s = raw.trimmingCharacters(in: .whitespaces)
        if s.count >= 2, let q = s.first, q == "'" || q == "\"", s.last == q {
            return .string(String(s.dropFirst().dropLast()))
        }
        return parse(s) ?? .string(s)
    }

    private static func bracketDepth(_ s: String) -> Int {
        var depth = 0, deepest = 0
        for byte in s.utf8 {
            if byte == UInt8(ascii: "[") { depth += 1; deepest = max(deepest, depth) }
            if byte == UInt8(ascii: "]") { depth -= 1 }
        }
        return deepest
    }

    /// Splits on commas outside quotes and brackets.
    private static func splitTopLevel(_ s: String) -> [String] {
        var parts: [String] = [], current = "", quote: Character? = nil, depth = 0
        for ch in s {
            if let q = quote {
                if ch == q { quote = nil }
                current.append(ch)
            } else if ch == "'" || ch == "\"" {
                quote = ch; current.append(ch)
            } else if ch == "[" {
                depth += 1; current.append(ch)
            } else if ch == "]" {
                depth -= 1; current.append(ch)
            } else if ch == ",", depth == 0 {
                parts.append(current); current = ""
            } else {
                current.append(ch)
            }
        }
        parts.append(current)
        return parts
    }
}
