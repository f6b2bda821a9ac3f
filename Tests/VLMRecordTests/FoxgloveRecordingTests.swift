import Foundation
import SwiftProtobuf
import Testing
import TestSupport
import VLMBus
import VLMFoxglove
@testable import VLMRecord

/// The Foxglove-native recording layout: channels and schemas a viewer decodes, and `play`/`bag
/// export` get the exact wire messages back.
@Suite struct FoxgloveRecordingTests {
    static func frame(seq: UInt64, stamp: Int64, width: Int = 8, height: Int = 4) -> (header: [UInt8], pixels: [UInt8]) {
        var h = MessageHeader(type: "vlm/Frame", seq: seq, stampNs: stamp,
                              fields: ["width": .int(Int64(width)), "height": .int(Int64(height)), "step": .int(Int64(width * 3)),
                                       "encoding": "rgb8", "pts": .int(Int64(seq) * 3000)])
        h.blobSizes = [width * height * 3]
        return (Array(h.jsonText.utf8), (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seq)) })
    }

    static func detections(seq: UInt64, source: Int64) -> [UInt8] {
        Array(MessageHeader(type: "vlm/Detections", seq: seq, stampNs: source + 5_000_000, sourceSeq: seq * 2, sourceStampNs: source,
                            fields: ["detections": [["label": "cup", "label_index": 0, "score": 0.5, "box": [1.5, 2, 30, 40]]],
                                     "queries": ["cup"], "queries_version": 1]).jsonText.utf8)
    }

    /// Writes frames, detections, a text with a blob and a non-JSON message; returns what went in, in order.
    static func writeSample(_ path: String, format: RecordFormat) throws -> [(topic: String, parts: [[UInt8]])] {
        var options = RecordOptions(path: path)
        options.format = format
        let recorder = try Recorder(options: options)
        var sent: [(String, [[UInt8]])] = []
        for i in 0..<6 {
            let stamp = 1_700_000_000_000_000_000 + Int64(i) * 33_000_000
            let f = frame(seq: UInt64(i), stamp: stamp)
            sent.append(("/cam", [f.header, f.pixels]))
            if i % 2 == 0 { sent.append(("/det", [detections(seq: UInt64(i / 2), source: stamp)])) }
        }
        var text = MessageHeader(type: "vlm/Text", seq: 0)
        text.blobSizes = [5]
        sent.append(("/q", [Array(text.jsonText.utf8), Array("hello".utf8)]))
        sent.append(("/raw", [Array("not json".utf8)]))
        for (i, m) in sent.enumerated() {
            try recorder.record(topic: m.0, parts: m.1.map { $0 as any MCAPPayload }, receiveTime: 1_000 + UInt64(i) * 1_000_000)
        }
        try recorder.finish()
        return sent.map { (topic: $0.0, parts: $0.1) }
    }

    static func played(_ path: String) throws -> [(topic: String, parts: [[UInt8]])] {
        var options = PlaybackOptions()
        options.rate = 1000
        let player = try Player(path: path, options: options)
        var got: [(String, [[UInt8]])] = []
        _ = try player.run { topic, parts in got.append((topic, parts.map { Array($0) })) }
        return got.map { (topic: $0.0, parts: $0.1) }
    }

    @Test func channelsUseFoxgloveSchemasAndPlayGivesTheWireMessagesBack() throws {
        let path = try makeTemporaryDirectory("foxrec").appendingPathComponent("f.mcap").path
        let sent = try Self.writeSample(path, format: .foxglove)
        let reader = try MCAPReader(path: path)
        let byTopic = Dictionary(grouping: reader.channels.values, by: \.topic)
        let cam = try #require(byTopic["/cam"]?.first)
        #expect(cam.messageEncoding == "protobuf" && reader.schemas[cam.schemaID]?.name == "foxglove.RawImage"
                && reader.schemas[cam.schemaID]?.encoding == "protobuf")
        let det = try #require(byTopic["/det"]?.first)
        #expect(det.messageEncoding == "json" && reader.schemas[det.schemaID]?.encoding == "jsonschema")
        let ann = try #require(byTopic["/det/annotations"]?.first)
        #expect(reader.schemas[ann.schemaID]?.name == "foxglove.ImageAnnotations" && ann.metadata[RecordedChannel.derivedKey] == "annotations")
        // What fits no viewer schema keeps the old framing instead of being dropped.
        #expect(byTopic["/q"]?.first?.messageEncoding == WireEncoding.messageEncoding)
        #expect(byTopic["/raw"]?.first?.messageEncoding == WireEncoding.messageEncoding)

        // Frames decode as RawImage with the frame's stamp; annotations carry the source stamp.
        let it = try reader.messages(topics: ["/cam", "/det/annotations"])
        var frames = 0, annotations = 0
        while let m = try it.nextMessage() {
            if m.channel.topic == "/cam" {
                let image = try Foxglove_RawImage(serializedBytes: Array(m.data))
                let f = Self.frame(seq: UInt64(frames), stamp: 1_700_000_000_000_000_000 + Int64(frames) * 33_000_000)
                #expect(Array(image.data) == f.pixels && image.width == 8 && image.step == 24)
                #expect(Int64(image.timestamp.seconds) * 1_000_000_000 + Int64(image.timestamp.nanos) == Int64(m.publishTime))
                frames += 1
            } else {
                let a = try Foxglove_ImageAnnotations(serializedBytes: Array(m.data))
                let stamp = Int64(a.timestamp.seconds) * 1_000_000_000 + Int64(a.timestamp.nanos)
                #expect(stamp == 1_700_000_000_000_000_000 + Int64(annotations) * 66_000_000)
                #expect(a.points.first?.points.map(\.x) == [1.5, 30, 30, 1.5])
                annotations += 1
            }
        }
        #expect(frames == 6 && annotations == 3)

        let got = try Self.played(path)
        #expect(got.map(\.topic) == sent.map(\.topic))
        #expect(got.map(\.parts) == sent.map(\.parts))
    }

    @Test func bagExportConvertsAnOldFileAndBack() throws {
        let dir = try makeTemporaryDirectory("foxexport")
        let old = dir.appendingPathComponent("old.mcap").path
        let sent = try Self.writeSample(old, format: .native)
        let new = dir.appendingPathComponent("new.mcap").path
        let result = try BagExport.convert(input: old, output: new)
        #expect(result.messages == sent.count && result.skippedDerived == 0)
        #expect(try MCAPReader(path: new).channels.values.contains { $0.messageEncoding == "protobuf" })
        #expect(try Self.played(new).map(\.parts) == sent.map(\.parts))
        let back = dir.appendingPathComponent("back.mcap").path
        let again = try BagExport.convert(input: new, output: back, format: .native)
        #expect(again.skippedDerived == 3 && again.messages == sent.count)
        #expect(try Self.played(back).map(\.parts) == sent.map(\.parts))
        #expect(throws: MCAPError.self) { try BagExport.convert(input: old, output: old) }
    }

    @Test func bagInfoShowsSchemaAndEncodings() throws {
        let path = try makeTemporaryDirectory("foxinfo").appendingPathComponent("i.mcap").path
        _ = try Self.writeSample(path, format: .foxglove)
        let text = try BagInfo(path: path).render()
        #expect(text.contains("vlm/Frame") && text.contains("protobuf  foxglove.RawImage (protobuf)"), "\(text)")
        #expect(text.contains("json  vlm/Detections (jsonschema)") || text.contains("json (jsonschema)"), "\(text)")
        #expect(text.contains("/det/annotations"), "\(text)")
    }
}
