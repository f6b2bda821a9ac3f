import Foundation

/// Byte-level parsers for the two big tokenizer files (vocab.json: ~49k entries, merges.txt:
/// ~49k lines). JSONSerialization and String splitting take hundreds of ms on them; these take a
/// few tens. Anything unexpected returns nil and the caller falls back to the general path.
enum VocabFastParse {
    /// A JSON object whose values are all integers: `{"token": 12, ...}`.
    static func stringIntObject(_ data: Data) -> [String: Int32]? {
        data.withUnsafeBytes { raw -> [String: Int32]? in
            let b = raw.bindMemory(to: UInt8.self)
            var i = 0
            let n = b.count
            func skipSpace() { while i < n && (b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09) { i += 1 } }
            var out: [String: Int32] = [:]
            out.reserveCapacity(n / 12)
            var scratch: [UInt8] = []
            skipSpace()
            guard i < n, b[i] == UInt8(ascii: "{") else { return nil }
            i += 1
            skipSpace()
            if i < n && b[i] == UInt8(ascii: "}") { return out }
            while true {
                skipSpace()
                guard i < n, b[i] == UInt8(ascii: "\""), let key = string(b, &i, &scratch) else { return nil }
                skipSpace()
                guard i < n, b[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                skipSpace()
                var negative = false
                if i < n && b[i] == UInt8(ascii: "-") { negative = true; i += 1 }
                var value: Int64 = 0, digits = 0
                while i < n, b[i] >= 0x30, b[i] <= 0x39, digits < 10 {
                    value = value * 10 + Int64(b[i] - 0x30); i += 1; digits += 1
                }
                guard digits > 0, value <= Int64(Int32.max) else { return nil }
                out[key] = Int32(negative ? -value : value)
                skipSpace()
                guard i < n else { return nil }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { return out }
                return nil
            }
        }
    }

    /// The JSON string starting at `b[i]` (a quote); leaves `i` after the closing quote.
    private static func string(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ scratch: inout [UInt8]) -> String? {
        i += 1
        let start = i
        while i < b.count && b[i] != UInt8(ascii: "\"") && b[i] != UInt8(ascii: "\\") { i += 1 }
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "\"") {
            defer { i += 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: b[start..<i])
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; return String(decoding: scratch, as: UTF8.self) }
            if c != UInt8(ascii: "\\") { scratch.append(c); i += 1; continue }
            guard i + 1 < b.count else { return nil }
            let e = b[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(e)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                guard var code = hex4(b, i) else { return nil }
                i += 4
                if (0xD800..<0xDC00).contains(code) {
                    guard i + 6 <= b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u"),
                          let low = hex4(b, i + 2), (0xDC00..<0xE000).contains(low) else { return nil }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                guard let scalar = Unicode.Scalar(code) else { return nil }
                scratch.append(contentsOf: Array(String(scalar).utf8))
            default: return nil
            }
        }
        return nil
    }

    private static func hex4(_ b: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32? {
        guard at + 4 <= b.count else { return nil }
        var v: UInt32 = 0
        for k in at..<(at + 4) {
            let c = b[k]
            switch c {
            case 0x30...0x39: v = v << 4 | UInt32(c - 0x30)
            case 0x41...0x46: v = v << 4 | UInt32(c - 0x41 + 10)
            case 0x61...0x66: v = v << 4 | UInt32(c - 0x61 + 10)
            default: return nil
            }
        }
        return v
    }

    /// merges.txt lines: "left right", an optional first "#version" line, empty lines skipped.
    /// nil (caller reports the line) when a line does not have exactly one space.
    static func merges(_ data: Data) -> [(String, String)]? {
        data.withUnsafeBytes { raw -> [(String, String)]? in
            let b = raw.bindMemory(to: UInt8.self)
            var out: [(String, String)] = []
            out.reserveCapacity(b.count / 10)
            var lineStart = 0, lineNumber = 0
            while lineStart < b.count {
                var end = lineStart
                while end < b.count && b[end] != 0x0A { end += 1 }
                var stop = end
                if stop > lineStart && b[stop - 1] == 0x0D { stop -= 1 }
                defer { lineStart = end + 1; lineNumber += 1 }
                if stop == lineStart { continue }
                let line = UnsafeBufferPointer(rebasing: b[lineStart..<stop])
                if lineNumber == 0 && line.starts(with: Array("#version".utf8)) { continue }
                guard let space = line.firstIndex(of: 0x20), line[(space + 1)...].firstIndex(of: 0x20) == nil else {
                    return nil
                }
                out.append((String(decoding: UnsafeBufferPointer(rebasing: line[..<space]), as: UTF8.self),
                            String(decoding: UnsafeBufferPointer(rebasing: line[(space + 1)...]), as: UTF8.self)))
            }
            return out
        }
    }
}
