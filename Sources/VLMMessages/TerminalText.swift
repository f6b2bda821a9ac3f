/// Text from the wire or from files (topics, types, header fields, recordings' names), made safe to
/// print: control characters are escaped, so a hostile message cannot move the cursor, retitle the
/// terminal or forge log lines. The one escaper: node logs (`NodeLog`), `vlmnode topic …` and
/// `vlmnode bag …` output all use it.
public enum TerminalText {
    /// C0 controls (newline and tab too: one call is one line), DEL and C1 controls as `\u{XX}`;
    /// a backslash stays as is. Everything else passes unchanged.
    public static func escape(_ text: String) -> String {
        escaping(text) { "\\u{\(String($0, radix: 16))}" }
    }

    /// For JSON text (one line of it): the same characters as JSON's `\u00XX`, so the line stays valid
    /// JSON that decodes to the same strings. Outside strings JSON holds no control characters, so
    /// only string contents change (a JSON writer escapes C0 already; DEL and C1 are legal raw).
    public static func escapeJSON(_ json: String) -> String {
        escaping(json) { value in
            let hex = String(value, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
    }

    /// C0, DEL and C1: the code points a terminal may act on.
    public static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7f ... 0x9f).contains(s.value)
    }

    private static func escaping(_ text: String, _ replacement: (UInt32) -> String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                out.append(contentsOf: replacement(scalar.value).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }
}
