import Foundation
import Testing
import TestSupport
@testable import VLMBus
@testable import VLMViewer

/// `vlmnode view`'s feed against a publisher on this host: frames come through shared memory
/// (read in place from the ring, no inline copy through the socket), every message exactly once,
/// and the raw image a Foxglove client gets carries the published pixels.
@Suite(.serialized) struct ViewerSharedMemoryTests {
    @Test func aLocalFeedReadsFramesFromSharedMemoryOnceEach() throws {
        let dir = try makeTemporaryDirectory("view-shm")
        defer { try? FileManager.default.removeItem(at: dir) }
        let pub = try Publisher(bind: "ipc://\(dir.path)/cam.sock", qos: .queue(capacity: 100))
        let hub = ViewerHub(staleAfter: 60)
        let client = hub.connect()
        let feed = try ViewerFeed(endpoints: [pub.endpoint], topics: [], hub: hub)
        feed.start()
        defer { feed.stop() }
        #expect(pub.waitForSubscribers(2, timeout: 5))
        let info = FrameInfo(width: 8, height: 4, encoding: .rgb8)
        func pixels(_ seq: UInt64) -> [UInt8] { (0 ..< info.byteCount).map { UInt8(truncatingIfNeeded: Int(seq) * 31 + $0 * 7) } }
        var subscribed = false
        for seq in UInt64(0) ..< 20 {
            try pub.publishFrame(topic: "/camera/image", seq: seq, stampNs: BusClock.nowNs(), frame: info, pixels: try Blob(pixels(seq)))
            try pub.publish(topic: "/detections", header: MessageHeader(type: "vlm/Detections", seq: seq, fields: ["detections": []]))
            let deadline = Date(timeIntervalSinceNow: 5)
            while (hub.received["/camera/image"] ?? 0) < seq + 1 && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
            if !subscribed, let raw = hub.advertisedChannels.first(where: { $0.kind == .rawImage }) {
                subscribed = client.subscribe(id: 1, channel: raw.id, latestOnly: true)
            }
        }
        let deadline = Date(timeIntervalSinceNow: 5)
        while (hub.received["/detections"] ?? 0) < 20 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        Thread.sleep(forTimeInterval: 0.1)
        // Once each: the inline copies of the first messages were dropped by the negotiation.
        #expect(hub.received["/camera/image"] == 20 && hub.received["/detections"] == 20, "\(hub.received)")
        #expect(feed.sharedMemoryStats.resolved >= 19, "\(feed.sharedMemoryStats)")
        #expect(pub.withSharedMemory { $0.subscriptions.route("/camera/image") } == ShmRoute(plain: false, shared: true))
        // The raw image the client got (the newest) ends with that frame's pixels.
        let images = client.take().messages.filter { $0.subscriptionID == 1 }
        let last = try #require(images.last)
        #expect(subscribed && Array(last.payload.suffix(info.byteCount)) == pixels(19))
    }
}
