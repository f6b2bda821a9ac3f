import Foundation

/// Where a node's log lines go. Every line is escaped first: text from the wire (a message type, a
/// topic, a query) may hold control characters, and raw terminal escapes must never reach a log.
public struct NodeLog: Sendable {
    private let sink: @Sendable (String) -> Void

    /// Lines go to `sink` already escaped.
    public init(_ sink: @escaping @Sendable (String) -> Void) { self.sink = sink }

    /// Standard output, flushed per line (the launcher prefixes and interleaves node output).
    public static let stdout = NodeLog { line in
        print(line)
        fflush(Foundation.stdout)
    }

    public func callAsFunction(_ line: String) { sink(Self.escape(line)) }

    /// C0 controls (newline and tab too: one call is one line), DEL and C1 controls as `\u{XX}`;
    /// a backslash stays as is. Everything else passes unchanged.
    public static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7f ... 0x9f).contains(s.value)
    }
}
