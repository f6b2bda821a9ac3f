// Port of tokenizers 0.23's BertNormalizer (normalizers/bert.rs) and BertPreTokenizer
// (pre_tokenizers/bert.rs), which transformers 5's BertTokenizer runs: its "basic tokenization".
import Foundation

/// BERT's text cleanup and word splitting, on Unicode scalars.
public struct BertNormalizer: Sendable, Equatable {
    /// Drop NUL, U+FFFD and other-category (C*) characters except \t \n \r; whitespace becomes ' '.
    public var cleanText = true
    /// Put spaces around CJK ideographs so each is its own word.
    public var handleChineseChars = true
    /// NFD, then drop nonspacing marks (Mn). nil: follow `lowercase`.
    public var stripAccents: Bool? = nil
    /// Per-character full lowercase mapping (no context: Σ always becomes σ).
    public var lowercase = true

    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    /// The normalised scalars of `text`, in tokenizers' order: clean, CJK, accents, lowercase.
    public func normalize(_ text: ArraySlice<UInt32>) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(text.count)
        for c in text {
            guard let s = Unicode.Scalar(c) else { continue }
            if cleanText {
                if c == 0 || c == 0xFFFD || Self.isControl(s) { continue }
                if Self.isWhitespace(s) { out.append(0x20); continue }
            }
            if handleChineseChars && Self.isChinese(c) {
                out += [0x20, c, 0x20]
            } else {
                out.append(c)
            }
        }
        if stripAccents ?? lowercase {
            let nfd = String(String.UnicodeScalarView(out.compactMap(Unicode.Scalar.init))).decomposedStringWithCanonicalMapping
            out = nfd.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }.map(\.value)
        }
        if lowercase {
            var lowered: [UInt32] = []
            lowered.reserveCapacity(out.count)
            for c in out {
                guard let s = Unicode.Scalar(c) else { continue }
                // ASCII fast path; otherwise Unicode's full per-character mapping (İ -> i + U+0307), as Rust's char::to_lowercase.
                if c < 0x80 { lowered.append(c >= 0x41 && c <= 0x5A ? c + 32 : c) } else {
                    lowered += s.properties.lowercaseMapping.unicodeScalars.map(\.value)
                }
            }
            out = lowered
        }
        return out
    }

    /// BertPreTokenizer: split on whitespace (removed), then isolate each punctuation character.
    /// Calls `word(start, end)` for each word of `s`.
    public static func splitWords(_ s: [UInt32], _ word: (Int, Int) -> Void) {
        var start = -1
        for (i, c) in s.enumerated() {
            let scalar = Unicode.Scalar(c)
            if scalar.map(isWhitespace) ?? false {
                if start >= 0 { word(start, i); start = -1 }
            } else if scalar.map(isPunctuation) ?? false {
                if start >= 0 { word(start, i); start = -1 }
                word(i, i + 1)
            } else if start < 0 {
                start = i
            }
        }
        if start >= 0 { word(start, s.count) }
    }

    /// Rust's char::is_whitespace (the White_Space property), which includes \t \n \r.
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace }

    /// General category C* (Cc, Cf, Cs, Co, Cn) except \t \n \r.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// ASCII punctuation (! to /, : to @, [ to `, { to ~) or any P* category.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// The CJK ideograph blocks of tokenizers' bert.rs (note 0x2B920, not BERT's original 0x2B820).
    static func isChinese(_ c: UInt32) -> Bool {
        switch c {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: return true
        default: return false
        }
    }
}
