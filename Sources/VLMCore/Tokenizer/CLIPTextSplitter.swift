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

    /// NFC as `tokenizers` computes it. Its tables are Unicode 9.0 (measured: every code point with a
    /// canonical combining class or decomposition assigned up to 9.0 is handled, none from 10.0 on),
    /// so a newer mark is an inert starter there. Normalisation data of assigned characters never
    /// changes (Unicode stability policy), so NFC of the runs between such characters, with the
    /// characters kept as they are, equals the old NFC exactly; Foundation does the runs.
    static func nfc(_ input: ArraySlice<UInt32>) -> [UInt32] {
        // Nothing below U+0300 decomposes or composes with what follows.
        if input.allSatisfy({ $0 < 0x300 }) { return Array(input) }
        var out: [UInt32] = []
        out.reserveCapacity(input.count)
        var run = String.UnicodeScalarView()
        func flush() {
            guard !run.isEmpty else { return }
            out.append(contentsOf: String(run).precomposedStringWithCanonicalMapping.unicodeScalars.map(\.value))
            run = String.UnicodeScalarView()
        }
        var hasJamo = false
        for c in input {
            guard let scalar = Unicode.Scalar(c) else { continue }
            let jamo = isJamo(c)
            hasJamo = hasJamo || jamo
            if c >= 0x300, jamo || isNewerThanUnicode9(scalar) {
                flush()
                out.append(c)
            } else {
                run.append(scalar)
            }
        }
        flush()
        return hasJamo ? composeHangul(out) : out
    }

    /// Conjoining jamo are kept away from Foundation, whose NFC composes out-of-range jamo pairs
    /// (e.g. U+1113 U+1166) into U+FFFD; they are composed here with UAX #15's arithmetic.
    @inline(__always)
    private static func isJamo(_ c: UInt32) -> Bool {
        (0x1100...0x11FF).contains(c) || (0xA960...0xA97F).contains(c) || (0xD7B0...0xD7FF).contains(c)
    }

    /// Canonical composition of adjacent L+V and LV+T (jamo are starters: nothing else interacts).
    static func composeHangul(_ s: [UInt32]) -> [UInt32] {
        let sBase: UInt32 = 0xAC00, lBase: UInt32 = 0x1100, vBase: UInt32 = 0x1161, tBase: UInt32 = 0x11A7
        let lCount: UInt32 = 19, vCount: UInt32 = 21, tCount: UInt32 = 28
        var out: [UInt32] = []
        out.reserveCapacity(s.count)
        for c in s {
            if let last = out.last {
                if last >= lBase && last < lBase + lCount && c >= vBase && c < vBase + vCount {
                    out[out.count - 1] = sBase + ((last - lBase) * vCount + (c - vBase)) * tCount
                    continue
                }
                if last >= sBase && last < sBase + lCount * vCount * tCount && (last - sBase) % tCount == 0
                    && c > tBase && c < tBase + tCount {
                    out[out.count - 1] = last + (c - tBase)
                    continue
                }
            }
            out.append(c)
        }
        return out
    }

    private static func isNewerThanUnicode9(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return true }  // unassigned: inert everywhere
        return age.major > 9 || (age.major == 9 && age.minor > 0)
    }

    /// NFC -> whitespace runs to one space -> lowercase (per scalar, as Rust's char::to_lowercase).
    static func normalize(_ text: ArraySlice<UInt32>) -> [UInt32] {
        let input = nfc(text)
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
