import Foundation
import VLMMessages

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

    /// C0 controls (newline and tab too: one call is one line), DEL and C1 controls as `\u{XX}`:
    /// `TerminalText.escape` (VLMMessages), the escaper every command printing wire text uses.
    public static func escape(_ text: String) -> String { TerminalText.escape(text) }
}
