import Foundation
import Testing
import VLMNode

@Suite struct ParamValueTests {
    static let inferred: [(String, String?, ParamValue?)] = [
        ("42", nil, .int(42)),
        ("-3", nil, .int(-3)),
        ("0.5", nil, .double(0.5)),
        ("1e-3", nil, .double(0.001)),
        ("true", nil, .bool(true)),
        ("false", nil, .bool(false)),
        ("red cup", nil, .string("red cup")),
        ("[]", nil, .list([])),
        ("[1, two, 'three, four', \"5\"]", nil, .list([.int(1), .string("two"), .string("three, four"), .string("5")])),
        ("[[1, 2], [3]]", nil, .list([.list([.int(1), .int(2)]), .list([.int(3)])])),
        ("[unclosed", nil, .string("[unclosed")),
        ("42", "string", .string("42")),
        ("42", "double", .double(42)),
        ("4.5", "int", nil),
        ("yes", "bool", .bool(true)),
        ("maybe", "bool", nil),
        ("a, b", "list", .list([.string("a"), .string("b")])),
        ("x", "matrix", nil),
    ]

    @Test(arguments: 0..<inferred.count)
    func parses(_ i: Int) {
        let (text, type, expected) = Self.inferred[i]
        #expect(ParamValue.parse(text, type: type) == expected, "\(text) as \(type ?? "inferred")")
    }

    @Test func jsonKeepsTypes() throws {
        let params: [String: ParamValue] = ["i": .int(3), "d": .double(0.25), "b": .bool(false), "s": .string("x"),
                                            "l": .list([.int(1), .string("a")])]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(params)
        #expect(try JSONDecoder().decode([String: ParamValue].self, from: data) == params)
        #expect(String(decoding: data, as: UTF8.self) == #"{"b":false,"d":0.25,"i":3,"l":[1,"a"],"s":"x"}"#)
    }

    @Test func stringLists() {
        #expect(ParamValue.string("red cup, blue bowl ,").stringListValue == ["red cup", "blue bowl"])
        #expect(ParamValue.list([.string("a, b"), .int(2)]).stringListValue == ["a, b", "2"])
        #expect(ParamValue.int(1).stringListValue == nil)
        #expect(ParamValue.int(2).doubleValue == 2)
    }

    @Test func kindsAccept() {
        #expect(ParamKind.number.accepts(.int(1)) && ParamKind.number.accepts(.double(1)))
        #expect(!ParamKind.int.accepts(.double(1)))
        #expect(ParamKind.stringList.accepts(.string("a, b")) && ParamKind.stringList.accepts(.list([.string("a")])))
        #expect(!ParamKind.stringList.accepts(.list([.list([])])))
        #expect(!ParamKind.bool.accepts(.string("true")))
    }
}
