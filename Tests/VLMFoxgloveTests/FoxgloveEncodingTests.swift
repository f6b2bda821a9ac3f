import Foundation
import SwiftProtobuf
import Testing
import VLMBus
@testable import VLMFoxglove

/// The Foxglove encodings vlmnode writes, checked with swift-protobuf's own decoder.
@Suite struct FoxgloveEncodingTests {
    func frameHeader(width: Int64 = 4, height: Int64 = 2, encoding: String = "rgb8") -> MessageHeader {
        var h = MessageHeader(type: "vlm/Frame", seq: 7, stampNs: 1_764_140_000_123_456_789,
                              fields: ["width": .int(width), "height": .int(height), "step": .int(width * 3), "encoding": .string(encoding)])
        h.blobSizes = [Int(width * height * 3)]
        return h
    }

    @Test func rawImagePrefixPlusPixelsDecodesAsRawImageAndGivesTheWirePartsBack() throws {
        let header = frameHeader()
        let json = Array(header.jsonText.utf8)
        let pixels = (0..<24).map { UInt8($0 * 10) }
        let layout = try #require(FoxgloveFrame.Layout(header: header, pixelBytes: pixels.count))
        let message = try FoxgloveFrame.prefix(header: header, headerJSON: json, layout: layout, pixelBytes: pixels.count) + pixels
        let image = try Foxglove_RawImage(serializedBytes: message)
        #expect(image.width == 4 && image.height == 2 && image.step == 12 && image.encoding == "rgb8")
        #expect(image.timestamp.seconds == 1_764_140_000 && image.timestamp.nanos == 123_456_789)
        #expect(Array(image.data) == pixels)
        // The wire header rides along outside the schema: decoders keep it as an unknown field.
        #expect(!image.unknownFields.data.isEmpty)
        let parts = try message.withUnsafeBytes { try FoxgloveFrame.wireParts(of: $0).map { Array($0) } }
        #expect(parts == [json, pixels])
    }

    @Test func frameLayoutRefusesMismatchedSizesAndUnknownEncodings() {
        #expect(FoxgloveFrame.Layout(header: frameHeader(), pixelBytes: 23) == nil)
        #expect(FoxgloveFrame.Layout(header: frameHeader(encoding: "yuv420"), pixelBytes: 24) == nil)
        #expect(FoxgloveFrame.Layout(header: frameHeader(width: 0), pixelBytes: 0) == nil)
        #expect(FoxgloveFrame.foxgloveEncoding("gray8") == "mono8")
    }

    @Test func wirePartsRefuseTruncatedAndForeignMessages() throws {
        var foreign = Foxglove_RawImage()
        foreign.width = 1; foreign.data = Data([1, 2, 3])
        let bytes: [UInt8] = try foreign.serializedBytes()
        #expect(throws: ProtoWire.DecodeError.self) { try bytes.withUnsafeBytes { _ = try FoxgloveFrame.wireParts(of: $0) } }
        let header = frameHeader()
        let layout = try #require(FoxgloveFrame.Layout(header: header, pixelBytes: 24))
        let truncated = try FoxgloveFrame.prefix(header: header, headerJSON: Array(header.jsonText.utf8), layout: layout, pixelBytes: 24) + [1, 2]
        #expect(throws: ProtoWire.DecodeError.self) { try truncated.withUnsafeBytes { _ = try FoxgloveFrame.wireParts(of: $0) } }
    }

    @Test func descriptorSetsNameTheSchemaAndCarryTimestampProto() throws {
        for (schema, file) in [(FoxgloveSchema.rawImage, "foxglove/RawImage.proto"),
                               (.compressedImage, "foxglove/CompressedImage.proto"),
                               (.imageAnnotations, "foxglove/ImageAnnotations.proto")] {
            let set = try Google_Protobuf_FileDescriptorSet(serializedBytes: schema.data)
            let names = set.file.map(\.name)
            #expect(names.contains("google/protobuf/timestamp.proto") && names.contains(file), "\(names)")
            let message = String(schema.name.dropFirst("foxglove.".count))
            #expect(set.file.first { $0.name == file }?.messageType.contains { $0.name == message } == true)
            #expect(schema.encoding == "protobuf" && schema.messageEncoding == "protobuf")
        }
    }

    @Test func detectionsBecomeLineLoopsAndLabelsAtTheSourceFrameStamp() throws {
        let header = MessageHeader(type: "vlm/Detections", seq: 3, stampNs: 2_000_000_000, sourceSeq: 40, sourceStampNs: 1_500_000_001,
                                   fields: ["detections": [["label": "red cup", "score": 0.71, "box": [10.5, 20, 110, 220]],
                                                           ["label": "bowl", "score": 0.2, "box": [1, 2, 3]]]])
        let a = try #require(ResultAnnotations.annotations(for: header))
        #expect(a.points.count == 1 && a.texts.count == 1)  // the 3-number box is skipped
        let loop = a.points[0]
        #expect(loop.type == .lineLoop)
        #expect(loop.points.map { [$0.x, $0.y] } == [[10.5, 20], [110, 20], [110, 220], [10.5, 220]])
        #expect(loop.timestamp.seconds == 1 && loop.timestamp.nanos == 500_000_001 && a.timestamp == loop.timestamp)
        let rgb = ResultAnnotations.colour(label: "red cup")
        #expect(loop.outlineColor.r == Double(rgb.0) / 255 && loop.outlineColor.g == Double(rgb.1) / 255)
        #expect(a.texts[0].text == "red cup 0.71")
        // Round trip through the wire format.
        let decoded = try Foxglove_ImageAnnotations(serializedBytes: try a.serializedBytes() as [UInt8])
        #expect(decoded == a)
        // No source frame, nothing to annotate.
        #expect(ResultAnnotations.annotations(for: MessageHeader(type: "vlm/Detections", seq: 0)) == nil)
    }

    @Test func groundingPointsBecomeCircles() throws {
        let header = MessageHeader(type: "vlm/Grounding", seq: 0, sourceSeq: 1, sourceStampNs: 5, fields: ["targets": [
            ["role": "object", "phrase": "red cup", "box": [1, 2, 30, 40], "point": [15, 21], "score": 0.8],
            ["role": "destination", "phrase": "blue bowl", "box": .null, "point": [100, 120]],
            ["role": "destination", "phrase": "plate", "found": false, "box": .null, "point": .null]]])
        let a = try #require(ResultAnnotations.annotations(for: header))
        #expect(a.points.count == 1 && a.circles.count == 2)
        #expect(a.circles.map { [$0.position.x, $0.position.y] } == [[15, 21], [100, 120]])
        #expect(a.texts.map(\.text) == ["object: red cup 0.80"])
    }

    @Test func labelColoursAreFNV1aOfTheLabelIntoThePalette() {
        // FNV-1a 32 of "a" is 0xe40c292c (the published test vector); viewer.js computes the same.
        #expect(ResultAnnotations.colour(label: "a") == ResultAnnotations.palette[Int(UInt32(0xe40c_292c) % 10)])
        #expect(ResultAnnotations.colour(label: "") == ResultAnnotations.palette[Int(UInt32(2_166_136_261) % 10)])
    }

    @Test func resultSchemasAreJSONObjectsNamingTheirType() throws {
        for type in ["vlm/Detections", "vlm/Text", "vlm/VideoScores", "vlm/VideoEvent", "vlm/Grounding", "my/Plugin"] {
            let schema = FoxgloveSchema.json(type: type)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(schema.data)) as? [String: Any])
            #expect(object["title"] as? String == type && object["type"] as? String == "object")
            #expect(schema.encoding == "jsonschema" && schema.messageEncoding == "json")
        }
    }
}
