import Foundation
import Testing
@testable import VLMBus

private func parse(_ text: String) throws -> [String: JSONValue] {
    var t = text
    return try t.withUTF8 { try JSONValue.parseObject(UnsafeRawBufferPointer($0)) }
}

@Test func parserReadsEveryJSONForm() throws {
    let o = try parse(#" { "i": -42, "big": 1764140000123456789, "d": 2.5e-3, "t": true, "f": false, "n": null,"#
        + #" "s": "a\"b\\c\/d\n\u00e9\ud83d\ude00", "a": [1, [2], {}], "o": {"k": []} } "#)
    #expect(o["i"] == .int(-42))
    #expect(o["big"] == .int(1_764_140_000_123_456_789))
    #expect(o["d"] == .double(0.0025))
    #expect(o["t"] == .bool(true) && o["f"] == .bool(false) && o["n"] == .null)
    #expect(o["s"] == .string("a\"b\\c/d\né😀"))
    #expect(o["a"] == .array([.int(1), .array([.int(2)]), .object([:])]))
    #expect(o["o"] == .object(["k": .array([])]))
}

@Test func writerOutputParsesBackToTheSameValue() throws {
    let value: JSONValue = ["ctrl": "tab\t nul\u{1} quote\" é", "n": [1, -2.5, 1e300, true, .null], "e": [:]]
    #expect(try parse(value.jsonText) == value.objectValue)
}

@Test(arguments: [
    "", "[]", "{", "{\"a\":}", "{\"a\":1,}", "{\"a\":1} x", "{\"a\":01x}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}",
    "{\"a\":\"\\ud800\"}", "{\"a\":tru}", "{\"a\":\"line\nbreak\"}", "{a:1}", "{\"a\":-}", "{\"a\":1e999}",
    String(repeating: "{\"a\":", count: 100) + "1" + String(repeating: "}", count: 100),
])
func parserRejectsMalformedInput(text: String) {
    #expect(throws: (any Error).self) { try parse(text) }
}

@Test func parserRejectsInvalidUTF8() {
    let bytes: [UInt8] = Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
    #expect(throws: (any Error).self) { try bytes.withUnsafeBytes { try JSONValue.parseObject($0) } }
}
