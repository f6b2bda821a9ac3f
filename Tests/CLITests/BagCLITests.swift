import Foundation
import Testing
import TestSupport
import VLMRecord

/// `vlmnode bag info|verify` on files from vlmnode and from the Python writer, and on bad input.
@Suite struct BagCLITests {
    @Test func infoOnPythonWrittenFile() throws {
        let path = Fixtures.url("mcap/python_writer.mcap").path
        let result = try VLMNodeBinary.run(["bag", "info", path])
        #expect(result.status == 0, "\(result.stderr)")
        let out = result.stdout
        #expect(out.contains("messages:    40"))
        #expect(out.contains("duration:    0.967 s"))
        #expect(out.contains("chunks:      4   (zstd: 4"))
        let cam = try #require(out.split(separator: "\n").first { $0.contains("/camera/image") })
        #expect(cam.contains("vlm/Frame") && cam.contains("30 msgs") && cam.contains("30.00 Hz"))
        let det = try #require(out.split(separator: "\n").first { $0.contains("/detections") })
        #expect(det.contains("vlm/Detections") && det.contains("10 msgs") && det.contains("10.00 Hz"))
        let verify = try VLMNodeBinary.run(["bag", "verify", path])
        #expect(verify.status == 0 && verify.stdout.contains("OK, 40 messages"))
    }

    @Test func infoOnTruncatedRecordingReportsDamageAndWhatRemains() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir.appendingPathComponent("t.mcap").path
        var options = MCAPWriterOptions()
        options.chunkSize = 500
        let writer = try WireRecordingWriter(path: path, options: options)
        for i in 0..<100 {
            try writer.write(topic: "/x", parts: [Array(#"{"v":1,"type":"t/T","seq":\#(i),"stamp_ns":\#(i)}"#.utf8)],
                             receiveTime: UInt64(i) * 10_000_000)
        }
        try writer.finish()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(try MCAPReader(path: path).chunkIndexes[5].chunkStartOffset + 10))
        try handle.close()
        let result = try VLMNodeBinary.run(["bag", "info", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("linear scan"))
        #expect(result.stdout.contains("damage:") && result.stdout.contains("truncated at byte"))
        let verify = try VLMNodeBinary.run(["bag", "verify", path])
        #expect(verify.status != 0 && verify.stdout.contains("messages recovered"))
    }

    @Test func notMCAPAndMissingFilesGiveOneLine() throws {
        let dir = try makeTemporaryDirectory()
        let text = dir.appendingPathComponent("x.mcap")
        try Data("plain text".utf8).write(to: text)
        for args in [["bag", "info", text.path], ["bag", "info", dir.appendingPathComponent("none.mcap").path]] {
            let result = try VLMNodeBinary.run(args)
            #expect(result.status != 0)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains(args[2]), "\(result.stderr)")
        }
    }
}
