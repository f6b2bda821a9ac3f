import Foundation
import Testing
import VLMMessages
import VLMNode

/// The one escaper of wire text (TerminalText, VLMMessages): logs and JSON lines.
@Suite struct TerminalTextTests {
    static let hostile = "/evil\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m\u{7f}\nforged line\t\\ ok é"

    @Test func logTextHasNoControlCharactersLeft() {
        let escaped = TerminalText.escape(Self.hostile)
        #expect(escaped == "/evil\\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\u{9b}31m\\u{7f}\\u{a}forged line\\u{9}\\ ok é")
        #expect(!escaped.unicodeScalars.contains(where: TerminalText.isControl))
        #expect(NodeLog.escape(Self.hostile) == escaped)  // NodeLog uses the same escaper
        #expect(TerminalText.escape("plain / text é") == "plain / text é")
    }

    @Test func jsonLinesStayValidAndDecodeToTheSameText() throws {
        let object: [String: Any] = ["type": Self.hostile, "list": [Self.hostile]]
        // The envelope's writer escapes C0 only; DEL and C1 are legal raw in JSON and reach terminals.
        let raw = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        let line = TerminalText.escapeJSON(raw)
        #expect(!line.unicodeScalars.contains(where: TerminalText.isControl))
        #expect(line.contains("\\u009b31m\\u007f"))
        let back = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(back["type"] as? String == Self.hostile && (back["list"] as? [String]) == [Self.hostile])
    }
}
