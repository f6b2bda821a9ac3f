import Foundation
import Testing
import VLMBus
import VLMMessages
import VLMNode

@Suite struct TypedMessageTests {
    @Test func detectionsRoundTripThroughAHeader() throws {
        let m = DetectionsMessage(detections: [.init(label: "red cup", labelIndex: 0, score: 0.25, box: [1, 2, 3, 4.5])],
                                  queries: ["red cup"], queriesVersion: 3, imageSize: [640, 480], inferenceMs: 12.5)
        let header = try m.header(seq: 7, stampNs: 100, sourceSeq: 5, sourceStampNs: 90)
        // Through the wire text and back.
        let parsed = try header.jsonText.utf8CString.withUnsafeBytes { raw in
            try MessageHeader(json: UnsafeRawBufferPointer(rebasing: raw.dropLast()))
        }
        let back = try DetectionsMessage(header: parsed)
        #expect(back.detections == m.detections && back.queries == ["red cup"] && back.queriesVersion == 3)
        #expect(back.imageSize == [640, 480] && back.inferenceMs == 12.5)
        #expect(parsed.fields["detections"]?.arrayValue?.first?.objectValue?["label_index"] == .int(0))
        #expect(parsed.sourceSeq == 5 && parsed.type == "vlm/Detections")
    }

    @Test func decodingNamesTheBadField() throws {
        let header = MessageHeader(type: "vlm/Detections", seq: 0, fields: ["queries": ["a"], "queries_version": "two", "detections": []])
        do { _ = try DetectionsMessage(header: header); Issue.record("decoded a bad header") } catch {
            #expect("\(error)".contains("queries_version"), "\(error)")
        }
        #expect(throws: MessageDecodeError.self) { try VideoEventMessage(header: header) }
    }

    @Test func nonFiniteNumbersBecomeNull() throws {
        let m = VideoScoresMessage(prompts: ["a"], promptsVersion: 1, probs: [.nan], logits: [.infinity], scoreKind: "logit",
                                   windowStartNs: 0, windowEndNs: 1, frameSeqs: [1])
        let f = try m.headerFields()
        #expect(f["probs"] == .array([.null]) && f["logits"] == .array([.null]))
    }

    @Test func groundingTargetsWriteNullsReadersIndex() throws {
        var t = GroundingMessage.Target(role: "destination", phrase: nil, found: false, candidates: 0)
        t.status = "not_found"
        let f = try GroundingMessage(command: "put it left", targets: [t], commandVersion: 1).headerFields()
        let target = try #require(f["targets"]?.arrayValue?.first?.objectValue)
        #expect(target["phrase"] == .null && target["box"] == .null && target["point"] == .null && target["runner_up"] == .null)
        #expect(target["qualifier"] == nil && target["status"] == .string("not_found"))
        #expect(f["error"] == nil)
    }

    @Test func textReadsTheFieldOrTheBlob() throws {
        let field = BusMessage(topic: "/t", header: MessageHeader(type: "vlm/Text", seq: 0, fields: ["text": "a, b"]))
        #expect(try TextMessage(message: field).commaList == ["a", "b"])
        let blob = BusMessage(topic: "/t", header: MessageHeader(type: "vlm/Text", seq: 0), blobs: [try Blob(Array("c".utf8))])
        #expect(try TextMessage(message: blob).text == "c")
        #expect(throws: MessageDecodeError.self) { try TextMessage(message: BusMessage(topic: "/t", header: MessageHeader(type: "vlm/Text", seq: 0))) }
    }

    @Test func frameChecksItsBlob() throws {
        let info = FrameInfo(width: 4, height: 2, encoding: .rgb8)
        let ok = BusMessage(topic: "/c", header: MessageHeader(type: "vlm/Frame", seq: 0, fields: info.fields),
                            blobs: [try Blob([UInt8](repeating: 0, count: 24))])
        #expect(try FrameMessage(message: ok).info == info)
        let short = BusMessage(topic: "/c", header: MessageHeader(type: "vlm/Frame", seq: 0, fields: info.fields),
                               blobs: [try Blob([UInt8](repeating: 0, count: 20))])
        #expect(throws: MessageDecodeError.self) { try FrameMessage(message: short) }
    }

    @Test func schemaComesFromTheDefinition() throws {
        let schema = try #require(DetectionsMessage.jsonSchema.objectValue)
        #expect(schema["title"] == .string("vlm/Detections"))
        let props = try #require(schema["properties"]?.objectValue)
        let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        #expect(required.isSuperset(of: ["v", "type", "seq", "stamp_ns", "detections", "queries", "queries_version"]))
        #expect(!required.contains("image_size") && !required.contains("latency_ms"))
        #expect(props["latency_ms"] != nil && props["source_seq"] != nil && props["frames_overwritten"] != nil)
        let item = try #require(props["detections"]?.objectValue?["items"]?.objectValue)
        let box = try #require(item["properties"]?.objectValue?["box"]?.objectValue)
        #expect(box["type"] == .string("array") && box["items"] == .object(["type": "number"]))
        #expect(box["description"] == .string("[x0, y0, x1, y1] in image pixels"))
        #expect(props["image_size"]?.objectValue?["type"] == .array(["array", "null"]))
        // Every type has a schema; frames are not results.
        for m in MessageTypes.all { #expect(MessageTypes.schema(for: m.messageType) != nil) }
        #expect(FrameMessage.jsonSchema.objectValue?["properties"]?.objectValue?["latency_ms"] == nil)
        #expect(MessageType.detections == DetectionsMessage.messageType)
    }
}
