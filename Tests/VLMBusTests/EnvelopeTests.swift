import Foundation
import Testing
@testable import VLMBus

@Test func headerRoundTripKeepsEveryField() throws {
    var header = MessageHeader(type: "vlm/Detections", seq: 42, stampNs: 1_764_140_000_123_456_789,
                               sourceSeq: 41, sourceStampNs: 1_764_140_000_000_000_001,
                               fields: ["labels": ["red cup", "bowl"], "score": 0.5, "note": "a \"quoted\"\nline"])
    header.blobSizes = [3, 0]
    var text = header.jsonText
    #expect(text.hasPrefix(#"{"v":1,"type":"vlm/Detections","seq":42,"stamp_ns":1764140000123456789"#))
    let decoded = try text.withUTF8 { try MessageHeader(json: UnsafeRawBufferPointer($0)) }
    #expect(decoded == header)
}

@Test func frameEnvelopeRoundTripsWithoutCopyingPixels() throws {
    let (info, blob) = try makeFrameBlob(width: 4, height: 3, seq: 9)
    let header = MessageHeader(type: FrameInfo.messageType, seq: 9, stampNs: 5, fields: info.fields)
    let parts = try Envelope.encode(topic: "/camera/image", header: header, blobs: [blob])
    #expect(parts.count == 3)
    // The blob part is the caller's message itself: the pixels are shared, not copied.
    #expect(parts[2] === blob.message)
    let message = try Envelope.decode(parts)
    #expect(message.topic == "/camera/image")
    #expect(message.header.seq == 9 && message.header.stampNs == 5)
    #expect(message.header.blobSizes == [36])
    #expect(message.frame == info)
    #expect(message.blobs[0].bytes == [UInt8](repeating: 9, count: 36))
}

private func parts(_ strings: [String], blobs: [[UInt8]] = []) throws -> [ZMQMessage] {
    try strings.map { s in try Array(s.utf8).withUnsafeBytes { try ZMQMessage(copying: $0) } }
        + blobs.map { b in try b.withUnsafeBytes { try ZMQMessage(copying: $0) } }
}

@Test(arguments: [
    (["/t"], [], "parts"),
    (["/t", "not json"], [], "JSON"),
    (["/t", #"{"type":"x","seq":1,"stamp_ns":1}"#], [], "\"v\""),
    (["/t", #"{"v":2,"type":"x","seq":1,"stamp_ns":1}"#], [], "version 2"),
    (["/t", #"{"v":1,"type":"x","stamp_ns":1}"#], [], "\"seq\""),
    (["/t", #"{"v":1,"type":"x","seq":-1,"stamp_ns":1}"#], [], "\"seq\""),
    (["/t", #"{"v":1,"type":"x","seq":1,"stamp_ns":1,"blobs":[4]}"#], [[1, 2]], "blob 0 has 2 bytes"),
    (["/t", #"{"v":1,"type":"x","seq":1,"stamp_ns":1,"blobs":[2,2]}"#], [[1, 2]], "lists 2 blobs"),
    (["/t", #"{"v":1,"type":"vlm/Frame","seq":1,"stamp_ns":1,"width":2,"height":2,"encoding":"rgb8","step":6}"#], [[1, 2, 3]], "needs 12 bytes"),
    (["/t", #"{"v":1,"type":"vlm/Frame","seq":1,"stamp_ns":1,"width":2,"height":2,"encoding":"rgb8","step":5}"#], [[UInt8](repeating: 0, count: 10)], "step"),
    (["/t", #"{"v":1,"type":"vlm/Frame","seq":1,"stamp_ns":1,"height":2,"encoding":"rgb8","step":6}"#], [[UInt8](repeating: 0, count: 12)], "\"width\""),
] as [([String], [[UInt8]], String)])
func malformedEnvelopesAreRejectedWithAReason(strings: [String], blobs: [[UInt8]], reason: String) throws {
    do {
        _ = try Envelope.decode(try parts(strings, blobs: blobs))
        Issue.record("accepted \(strings)")
    } catch {
        #expect("\(error)".contains(reason), "\(error)")
    }
}

@Test func endpointsBindOnlyLoopbackUnlessAllowed() throws {
    #expect(try Endpoint.validateForBind("tcp://127.0.0.1:0", allowRemote: false) == "tcp://127.0.0.1:*")
    // libzmq binds addresses, not names: localhost is bound as 127.0.0.1 (it failed with ENODEV).
    #expect(try Endpoint.validateForBind("tcp://localhost:5555", allowRemote: false) == "tcp://127.0.0.1:5555")
    #expect(try Endpoint.validateForBind("tcp://[::1]:5555", allowRemote: false) == "tcp://[::1]:5555")
    #expect(throws: Endpoint.BindRefusal.self) { try Endpoint.validateForBind("tcp://*:5555", allowRemote: false) }
    #expect(throws: Endpoint.BindRefusal.self) { try Endpoint.validateForBind("tcp://0.0.0.0:5555", allowRemote: false) }
    #expect(throws: Endpoint.BindRefusal.self) { try Endpoint.validateForBind("udp://127.0.0.1:1", allowRemote: false) }
    #expect(try Endpoint.validateForBind("tcp://0.0.0.0:5555", allowRemote: true) == "tcp://0.0.0.0:5555")
}

@Test func pendingQueueDropsOldestAndLatestKeepsNewestPerTopic() throws {
    func msg(_ topic: String, _ seq: UInt64) -> BusMessage {
        BusMessage(topic: topic, header: MessageHeader(type: "x", seq: seq, stampNs: 0))
    }
    var queue = PendingMessages(qos: .queue(capacity: 2))
    #expect(queue.push(msg("/a", 1)) == nil)
    #expect(queue.push(msg("/a", 2)) == nil)
    #expect(queue.push(msg("/b", 3)) == "/a")
    #expect(queue.pop()?.header.seq == 2)
    #expect(queue.pop()?.header.seq == 3)
    #expect(queue.pop() == nil)

    var latest = PendingMessages(qos: .latest)
    #expect(latest.push(msg("/a", 1)) == nil)
    #expect(latest.push(msg("/b", 2)) == nil)
    #expect(latest.push(msg("/a", 3)) == "/a")
    #expect(latest.count == 2)
    #expect(latest.pop()?.header.seq == 3)
    #expect(latest.pop()?.header.seq == 2)
    #expect(latest.pop() == nil)
}
