/// A small strict JSON reader for checkpoint headers and shard indexes. Unlike Foundation's
/// JSONSerialization it keeps object members in order and rejects duplicate keys, which a
/// safetensors header must not have (two entries for one name would make the file ambiguous).
enum JSONValue {
    case null
    case bool(Bool)
    /// The literal text of a number; see `int`.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// An integer literal (no fraction or exponent) that fits in Int, else nil.
    var int: Int? {
        guard case .number(let text) = self else { return nil }
        return Int(text)
    }
    var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    var array: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
    var object: [(key: String, value: JSONValue)]? {
        if case .object(let o) = self { return o }
        return nil
    }
    subscript(key: String) -> JSONValue? {
        object?.first { $0.key == key }?.value
    }
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Parse failure with the byte offset into the JSON text.
struct JSONScanError: Error {
    let message: String
    let offset: Int
}

struct JSONScanner {
    private let bytes: UnsafeRawBufferPointer
    private var at = 0
    private static let maxDepth = 64

    /// Parses exactly one JSON value surrounded by optional whitespace.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
        var scanner = JSONScanner(bytes: bytes)
        let value = try scanner.value(depth: 0)
        scanner.skipSpace()
        if scanner.at != bytes.count { throw scanner.fail("unexpected data after the JSON value") }
        return value
    }

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private func fail(_ message: String) -> JSONScanError { JSONScanError(message: message, offset: at) }

    private mutating func skipSpace() {
        while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0A || bytes[at] == 0x0D || bytes[at] == 0x09 {
            at += 1
        }
    }

    private mutating func expect(_ literal: String) throws {
        for c in literal.utf8 {
            guard at < bytes.count, bytes[at] == c else { throw fail("invalid literal") }
            at += 1
        }
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        if depth > Self.maxDepth { throw fail("nested deeper than \(Self.maxDepth) levels") }
        skipSpace()
        guard at < bytes.count else { throw fail("unexpected end of JSON") }
        switch bytes[at] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character '\(Character(Unicode.Scalar(bytes[at])))'")
        }
    }

    private mutating func object(depth: Int) throws -> JSONValue {
        at += 1
        var members: [(key: String, value: JSONValue)] = []
        var seen = Set<String>()
        skipSpace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object(members) }
        while true {
            skipSpace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            let keyOffset = at
            let key = try string()
            if !seen.insert(key).inserted {
                throw JSONScanError(message: "duplicate key \"\(key)\"", offset: keyOffset)
            }
            skipSpace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            at += 1
            members.append((key, try value(depth: depth + 1)))
            skipSpace()
            guard at < bytes.count else { throw fail("unterminated object") }
            if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
            if bytes[at] == UInt8(ascii: "}") { at += 1; return .object(members) }
            throw fail("expected ',' or '}'")
        }
    }

    private mutating func array(depth: Int) throws -> JSONValue {
        at += 1
        var items: [JSONValue] = []
        skipSpace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
        while true {
            items.append(try value(depth: depth + 1))
            skipSpace()
            guard at < bytes.count else { throw fail("unterminated array") }
            if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
            if bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
            throw fail("expected ',' or ']'")
        }
    }

    private mutating func number() throws -> JSONValue {
        let start = at
        if bytes[at] == UInt8(ascii: "-") { at += 1 }
        let digitsStart = at
        while at < bytes.count, (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(bytes[at]) { at += 1 }
        if at == digitsStart { throw fail("invalid number") }
        if at - digitsStart > 1, bytes[digitsStart] == UInt8(ascii: "0") { throw fail("leading zero in number") }
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
            at += 1
            let fracStart = at
            while at < bytes.count, (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(bytes[at]) { at += 1 }
            if at == fracStart { throw fail("invalid number") }
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
            at += 1
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            let expStart = at
            while at < bytes.count, (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains(bytes[at]) { at += 1 }
            if at == expStart { throw fail("invalid number") }
        }
        return .number(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start ..< at]), as: UTF8.self))
    }

    private mutating func string() throws -> String {
        at += 1
        var out = [UInt8]()
        while true {
            guard at < bytes.count else { throw fail("unterminated string") }
            let c = bytes[at]
            at += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                guard at < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[at]
                at += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): out.append(contentsOf: try unicodeEscape())
                default: throw fail("invalid escape")
                }
            case 0 ..< 0x20: throw fail("control character in string")
            default: out.append(c)
            }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - at >= 4 else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0 ..< 4 {
            let c = bytes[at]
            at += 1
            guard let d = Character(Unicode.Scalar(c)).hexDigitValue else { throw fail("invalid \\u escape") }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    private mutating func unicodeEscape() throws -> [UInt8] {
        var code = try hex4()
        if (0xD800 ..< 0xDC00).contains(code) {
            guard bytes.count - at >= 6, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") else {
                throw fail("unpaired surrogate")
            }
            at += 2
            let low = try hex4()
            guard (0xDC00 ..< 0xE000).contains(low) else { throw fail("unpaired surrogate") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00 ..< 0xE000).contains(code) {
            throw fail("unpaired surrogate")
        }
        guard let scalar = Unicode.Scalar(code) else { throw fail("invalid \\u escape") }
        return Array(String(Character(scalar)).utf8)
    }
}
