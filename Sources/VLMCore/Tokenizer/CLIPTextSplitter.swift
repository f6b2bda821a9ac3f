import Foundation

/// CLIP's normalizer and pre-tokenizer, as the `tokenizers` pipeline that transformers 5 builds:
/// NFC, `\s+` -> " ", Lowercase; then the split regex
/// `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`
/// (matches kept, the rest dropped), then ByteLevel's GPT-2 split of each match.
/// Written as a scanner over Unicode scalars with classes measured from `tokenizers`
/// (CLIPUnicodeTables), so it agrees code point for code point and costs no regex engine.
enum CLIPTextSplitter {
    // MARK: classes

    /// 0 = other, 1 = letter, 2 = number, 3 = whitespace; ASCII answered from a table.
    private static let asciiClass: [UInt8] = (0..<128).map { c -> UInt8 in
        switch UInt8(c) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): return 1
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return 2
        case 0x09...0x0D, 0x20: return 3
        default: return 0
        }
    }

    @inline(__always)
    static func inRanges(_ c: UInt32, _ ranges: [UInt32]) -> Bool {
        // Binary search over pairs [first, last].
        var lo = 0, hi = ranges.count / 2
        while lo < hi {
            let mid = (lo + hi) >> 1
            if ranges[2 * mid + 1] < c { lo = mid + 1 } else { hi = mid }
        }
        return lo < ranges.count / 2 && ranges[2 * lo] <= c
    }

    @inline(__always)
    static func kind(_ c: UInt32) -> UInt8 {
        if c < 128 { return asciiClass[Int(c)] }
        if inRanges(c, CLIPUnicodeTables.letterRanges) { return 1 }
        if inRanges(c, CLIPUnicodeTables.numberRanges) { return 2 }
        if inRanges(c, CLIPUnicodeTables.whitespaceRanges) { return 3 }
        return 0
    }

    static func isWhitespace(_ c: UInt32) -> Bool { kind(c) == 3 }

    // MARK: normalizer

    /// Unicode scalars of `text` (NFC when not ASCII).
    static func scalars(_ text: Substring, nfc: Bool) -> [UInt32] {
        let isASCII = text.utf8.allSatisfy { $0 < 0x80 }
        if isASCII || !nfc { return text.unicodeScalars.map(\.value) }
        return String(text).precomposedStringWithCanonicalMapping.unicodeScalars.map(\.value)
    }

    /// NFC -> whitespace runs to one space -> lowercase (per scalar, as Rust's char::to_lowercase).
    static func normalize(_ text: Substring) -> [UInt32] {
        let input = scalars(text, nfc: true)
        var out: [UInt32] = []
        out.reserveCapacity(input.count)
        var inSpace = false
        for c in input {
            if kind(c) == 3 {
                if !inSpace { out.append(0x20) }
                inSpace = true
                continue
            }
            inSpace = false
            if c < 128 {
                out.append(c >= 0x41 && c <= 0x5A ? c + 32 : c)
            } else if let multi = CLIPUnicodeTables.lowercaseMulti[c] {
                out.append(contentsOf: multi)
            } else {
                out.append(lowercase(c))
            }
        }
        return out
    }

    private static func lowercase(_ c: UInt32) -> UInt32 {
        let table = CLIPUnicodeTables.lowercasePairs
        var lo = 0, hi = table.count / 2
        while lo < hi {
            let mid = (lo + hi) >> 1
            if table[2 * mid] < c { lo = mid + 1 } else { hi = mid }
        }
        return lo < table.count / 2 && table[2 * lo] == c ? table[2 * lo + 1] : c
    }

    // MARK: pre-tokenizer

    private static let startOfText = Array("<|startoftext|>".unicodeScalars.map(\.value))
    private static let endOfText = Array("<|endoftext|>".unicodeScalars.map(\.value))
    private static let contractions: [[UInt32]] = ["s", "t", "re", "ve", "m", "ll", "d"].map {
        $0.unicodeScalars.map(\.value)
    }

    @inline(__always)
    private static func hasPrefix(_ s: UnsafeBufferPointer<UInt32>, at i: Int, _ p: [UInt32]) -> Bool {
        guard i + p.count <= s.count else { return false }
        for k in 0..<p.count where s[i + k] != p[k] { return false }
        return true
    }

    /// Calls `piece(start, end)` for each pre-token of normalized scalars `s`, in order.
    static func split(_ s: [UInt32], _ piece: (Int, Int) -> Void) {
        s.withUnsafeBufferPointer { s in
            let n = s.count
            var i = 0
            while i < n {
                let c = s[i]
                let k = kind(c)
                if k == 3 { i += 1; continue }
                if c == 0x3C, hasPrefix(s, at: i, startOfText) || hasPrefix(s, at: i, endOfText) {
                    // Matched whole by CLIP's regex; ByteLevel's GPT-2 regex then splits it in three.
                    let len = hasPrefix(s, at: i, startOfText) ? startOfText.count : endOfText.count
                    piece(i, i + 2)
                    piece(i + 2, i + len - 2)
                    piece(i + len - 2, i + len)
                    i += len
                    continue
                }
                if c == 0x27, let m = contractions.first(where: { hasPrefix(s, at: i + 1, $0) }) {
                    piece(i, i + 1 + m.count)
                    i += 1 + m.count
                    continue
                }
                var j = i + 1
                switch k {
                case 1: while j < n && kind(s[j]) == 1 { j += 1 }
                case 2: break
                default: while j < n && kind(s[j]) == 0 { j += 1 }
                }
                piece(i, j)
                i = j
            }
        }
    }
}
