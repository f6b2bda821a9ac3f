import Foundation
import Testing
import TestSupport

@Test func groundParseOnlyPrintsTheIntentAsJSON() throws {
    let result = try VLMNodeBinary.run(["ground", "--parse-only", "--json", "pick up the red cup and put it in the blue bowl"])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(object["action"] as? String == "pick")
    #expect((object["object"] as? [String: Any])?["query"] as? String == "red cup")
    let destination = try #require(object["destination"] as? [String: Any])
    #expect(destination["relation"] as? String == "in")
    #expect((destination["phrase"] as? [String: Any])?["query"] as? String == "blue bowl")
}

@Test func groundRefusesAnEmptyCommandWithOneLine() throws {
    let result = try VLMNodeBinary.run(["ground", "--parse-only", ""])
    #expect(result.status != 0)
    #expect(result.stderr.contains("empty command"))
    #expect(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)
}
