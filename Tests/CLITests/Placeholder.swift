import Foundation
import Testing
import TestSupport

@Test func binaryIsBuiltAndPrintsHelp() throws {
    let result = try VLMNodeBinary.run(["--help"])
    #expect(result.status == 0)
    #expect(result.stdout.contains("vlmnode"))
}
