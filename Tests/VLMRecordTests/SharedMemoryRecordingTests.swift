import Foundation
import Testing
import VLMBus
import VLMRecord

/// The recorder keeps shared-memory frames as the inline `vlm/Frame` messages they stand for.
@Test func sharedMemoryFramesAreRecordedAsInlineFrames() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shm-rec-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let pub = try Publisher(bind: "ipc://\(dir.path)/p.sock")
    let sub = try Subscriber(connect: [pub.endpoint], sharedMemoryTopics: ["/cam"], qos: .queue(capacity: 8))
    #expect(pub.waitForSubscribers(1, timeout: 5))
    let info = FrameInfo(width: 16, height: 8, encoding: .rgb8)
    var message: BusMessage?
    for seq in UInt64(0)..<50 where message == nil {
        try pub.publishFrame(topic: "/cam", seq: seq, stampNs: 42, frame: info) { buffer in
            for i in 0..<buffer.count { buffer[i] = UInt8(truncatingIfNeeded: i &+ Int(seq)) }
        }
        message = sub.receive(timeout: 0.1)
    }
    let m = try #require(message)
    #expect(m.sharedFrame != nil)
    let parts = try #require(m.recordableParts)
    #expect(parts.count == 2)
    let header = parts[0].withPayloadBytes { String(decoding: $0, as: UTF8.self) }
    #expect(header.contains("\"type\":\"vlm/Frame\"") && header.contains("\"blobs\":[384]") && !header.contains("shm"), "\(header)")
    let pixels = parts[1].withPayloadBytes { Array($0) }
    #expect(pixels == (0..<384).map { UInt8(truncatingIfNeeded: $0 &+ Int(m.header.seq)) })
    // The recorded copy is the recorder's own: the slot may be reused now.
    for seq in UInt64(100)..<120 { try pub.publishFrame(topic: "/cam", seq: seq, stampNs: 42, frame: info) { $0.initializeMemory(as: UInt8.self, repeating: 0) } }
    #expect(parts[1].withPayloadBytes { Array($0) } == pixels)
}
