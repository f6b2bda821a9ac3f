import Foundation
import Testing
import TestSupport
@testable import VLMLaunch

/// Launch files found by fuzzing (Tests/Fixtures/launch/fuzz): each once killed the process.
@Suite struct FuzzReproLaunchTests {
    /// Launch/video_watch.launch with bytes 170-177 (inside an XML comment) changed to invalid
    /// UTF-8: FoundationXML's comment callback trapped (SIGILL) on them.
    static let invalidUTF8 = Fixtures.url("launch/fuzz/launch-comment-invalid-utf8.launch")

    @Test func invalidUTF8InACommentIsOneErrorNotACrash() throws {
        do {
            _ = try LaunchXMLParser.parse(fileAt: Self.invalidUTF8.path, displayPath: "bad.launch")
            Issue.record("parsed a file that is not UTF-8")
        } catch let error as LaunchError {
            #expect(error.description == "bad.launch:3:78: not UTF-8: byte 0x8D at byte offset 170 (launch files must be UTF-8)")
        }
    }

    @Test func anIncludedFileIsCheckedToo() throws {
        let files = try LaunchFiles(["main.launch": "<launch>\n<include file=\"inc.launch\"/>\n</launch>\n"])
        try FileManager.default.copyItem(atPath: Self.invalidUTF8.path, toPath: files.path("inc.launch"))
        let text = try #require(files.errorText(), "loaded although it should not")
        #expect(text.hasPrefix("DIR/inc.launch:3:78: not UTF-8: byte 0x8D at byte offset 170"), "\(text)")
    }

    @Test func firstInvalidUTF8FindsTheOffset() {
        #expect(LaunchXMLParser.firstInvalidUTF8(Array("<launch/>ü€😀".utf8)) == nil)
        #expect(LaunchXMLParser.firstInvalidUTF8([0x3C, 0xC3]) == 1)          // truncated sequence
        #expect(LaunchXMLParser.firstInvalidUTF8([0x41, 0xC0, 0x80]) == 1)    // overlong NUL
        #expect(LaunchXMLParser.firstInvalidUTF8([0x41, 0x42, 0xED, 0xA0, 0x80]) == 2) // surrogate
        #expect(LaunchXMLParser.firstInvalidUTF8([0x41, 0xFF]) == 1)
    }
}
