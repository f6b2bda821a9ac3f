import Foundation
import Testing
import TestSupport
import VLMBus

/// Must show: a `vlmnode source` that exits removes its shared-memory segment; one that is
/// SIGKILLed leaves it behind until the next publisher start (or the janitor) reclaims it.
@Suite(.serialized) struct SharedMemorySourceTests {
    /// Starts a source, takes one shared-memory frame from it and returns the process and segment.
    private func startSourceAndReadOneFrame(_ dir: URL) throws -> (Process, String) {
        let endpoint = "ipc://\(dir.path)/shm.sock"
        let source = try VLMNodeBinary.start(["source", "lavfi:testsrc=size=320x240:rate=30", "--frames", "100000",
                                              "--bind", endpoint, "--wait-subscribers", "1", "--wait-timeout", "20"],
                                             log: dir.appendingPathComponent("source.log"))
        let sub = try Subscriber(connect: [endpoint], sharedMemoryTopics: ["/camera/image"], qos: .latest)
        let m = try #require(sub.receive(timeout: 20), "no frame from vlmnode source")
        let frame = try #require(m.sharedFrame, "the frame did not come through shared memory")
        #expect(m.frame == FrameInfo(width: 320, height: 240, encoding: .rgb8))
        #expect(m.withFramePixels { $0.count } == 320 * 240 * 3)
        #expect(FileManager.default.fileExists(atPath: "/dev/shm" + frame.segmentName))
        return (source, frame.segmentName)
    }

    @Test func aSourceThatExitsRemovesItsSegment() throws {
        let dir = try makeTemporaryDirectory("shm-exit")
        let (source, segment) = try startSourceAndReadOneFrame(dir)
        source.terminate()  // SIGTERM: the source ends cleanly
        source.waitUntilExit()
        #expect(!FileManager.default.fileExists(atPath: "/dev/shm" + segment))
    }

    @Test func aSIGKILLedSourceLeavesNoSegmentAfterTheNextStart() throws {
        let dir = try makeTemporaryDirectory("shm-kill")
        let (source, segment) = try startSourceAndReadOneFrame(dir)
        kill(source.processIdentifier, SIGKILL)
        source.waitUntilExit()
        #expect(FileManager.default.fileExists(atPath: "/dev/shm" + segment), "SIGKILL runs no cleanup")
        // The next publisher to make a segment reclaims what dead publishers left.
        let pub = try Publisher(bind: "ipc://\(dir.path)/next.sock")
        let sub = try Subscriber(connect: [pub.endpoint], sharedMemoryTopics: ["/t"])
        #expect(pub.waitForSubscribers(1, timeout: 5))
        let info = FrameInfo(width: 4, height: 4, encoding: .gray8)
        try pub.publishFrame(topic: "/t", seq: 0, stampNs: BusClock.nowNs(), frame: info) { $0.initializeMemory(as: UInt8.self, repeating: 1) }
        #expect(sub.receive(timeout: 5)?.sharedFrame != nil)
        #expect(!FileManager.default.fileExists(atPath: "/dev/shm" + segment))
        #expect(SharedMemoryJanitor.segments().allSatisfy { !SharedMemoryJanitor.isStale($0) })
    }
}
