import Foundation
import Testing
@testable import VLMBus

/// `Publisher.stage` (what `vlmnode play` does before each deadline): a frame for shared-memory
/// subscribers is written into its slot at staging time; the send hands over only the reference.
@Suite(.serialized) struct SharedMemoryStagingTests {
    @Test func aStagedFrameIsInItsSlotBeforeTheSendAndArrivesIntact() throws {
        let pub = try Publisher(bind: temporaryIPCEndpoint("stage"))
        let shared = try Subscriber(connect: [pub.endpoint], sharedMemoryTopics: ["/t"], qos: .queue(capacity: 10))
        #expect(pub.waitForSubscribers(1, timeout: 5))
        Thread.sleep(forTimeInterval: 0.05)
        let (info, blob) = try patternFrame(width: 16, height: 8, seq: 3)
        let header = MessageHeader(type: FrameInfo.messageType, seq: 3, stampNs: BusClock.nowNs(), fields: info.fields)
        _ = pub.stats  // drains the subscription so the route is known at staging time
        let staged = try pub.stage(topic: "/t", header: header, blobs: [blob])
        #expect(pub.sharedMemoryStats.framesWritten == 1, "written at staging, before the send")
        #expect(shared.receive(timeout: 0.1) == nil)
        try pub.publish(staged)
        let m = try #require(shared.receive(timeout: 5))
        #expect(m.sharedFrame != nil && m.header.seq == 3)
        #expect(m.withFramePixels { isPattern($0, seq: 3) } == true)
        #expect(pub.sharedMemoryStats.framesWritten == 1)

        // Staged with nobody asking for shared memory: an inline subscriber gets it inline, and a
        // shared one that subscribed after staging gets its slot written at the send.
        let pub2 = try Publisher(bind: temporaryIPCEndpoint("stage2"))
        let (info2, blob2) = try patternFrame(width: 16, height: 8, seq: 4)
        let staged2 = try pub2.stage(topic: "/t", header: MessageHeader(type: FrameInfo.messageType, seq: 4, fields: info2.fields),
                                     blobs: [blob2])
        let late = try Subscriber(connect: [pub2.endpoint], sharedMemoryTopics: ["/t"], qos: .queue(capacity: 10))
        let inline = try Subscriber(connect: [pub2.endpoint], topics: ["/t"], qos: .queue(capacity: 10))
        #expect(pub2.waitForSubscribers(2, timeout: 5))
        Thread.sleep(forTimeInterval: 0.05)
        #expect(pub2.sharedMemoryStats.framesWritten == 0)
        try pub2.publish(staged2)
        let a = try #require(late.receive(timeout: 5)), b = try #require(inline.receive(timeout: 5))
        #expect(a.sharedFrame != nil && b.sharedFrame == nil)
        #expect(a.withFramePixels { isPattern($0, seq: 4) } == true && b.withFramePixels { isPattern($0, seq: 4) } == true)
    }
}
