import CZMQ
import Foundation
import Testing
import TestSupport
@testable import VLMBus
import VLMMessages
@testable import VLMNode

/// Pixels that differ in every byte and between frames (byte i of frame `seq`).
private func pattern(_ seq: UInt64, count: Int) -> [UInt8] {
    (0 ..< count).map { UInt8(truncatingIfNeeded: seq &* 31 &+ UInt64($0) &* 7) }
}

private func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 1469598103934665603
    for b in bytes { h = (h ^ UInt64(b)) &* 1099511628211 }
    return h
}

/// How the test processor reads a frame's pixels.
enum PixelRead { case rgbImage, checkedLapping, uncheckedLapping, holdWhilePublishing }

/// Reads each frame as `mode` says and publishes one `vlm/Detections` whose only label is the
/// checksum of what it read (so the test can compare with what was published).
final class PixelProcessor: NodeProcessor, @unchecked Sendable {
    let mode: PixelRead
    /// Called once, in the middle of the first read (publishes frames behind the reader's back).
    var duringFirstRead: (() -> Void)?
    var inPlace: [Bool] = []
    var shared: [Bool] = []
    /// The nonzero pins (slot + 1) in the segment's reader table, and the frame's own slot + 1.
    var pinsSeen: [[UInt64]] = []
    var ownSlot: [UInt64] = []

    init(_ mode: PixelRead) { self.mode = mode }

    func process(_ message: BusMessage, input role: String, runtime: NodeRuntime) throws {
        let frame = try FrameMessage(message: message)
        let blob = frame.pixels!
        shared.append(message.sharedFrame != nil)
        if let f = message.sharedFrame {
            inPlace.append(blob.withUnsafeBytes { $0.baseAddress } == UnsafeRawPointer(f.segment.data(f.slot)))
        }
        let sum: UInt64
        switch mode {
        case .rgbImage:
            sum = try NodeMessages.rgbImage(frame.info, blob).pixels.withUnsafeBytes(checksum)
        case .checkedLapping:
            sum = try blob.withCheckedBytes { bytes in
                let s = checksum(bytes)
                lap()
                return s
            }
        case .uncheckedLapping:
            sum = blob.withUnsafeBytes { bytes in
                let s = checksum(bytes)
                lap()
                return s
            }
        case .holdWhilePublishing:
            lap()
            if let f = message.sharedFrame {
                let segment = try ShmSegment.open(name: f.segmentName)
                pinsSeen.append((0 ..< segment.readerCount).map { vlm_pin(segment, $0) }.filter { $0 != 0 })
                ownSlot.append(UInt64(f.slot + 1))
            }
            sum = try blob.withCheckedBytes(checksum)
        }
        try runtime.publish(DetectionsMessage(detections: [], queries: [String(sum)], queriesVersion: 1,
                                              imageSize: [frame.width, frame.height]),
                            on: "out", stampedFrom: message)
    }

    private func lap() {
        if let f = duringFirstRead {
            duringFirstRead = nil
            f()
        }
    }

    func started(runtime: NodeRuntime) {}
}

/// Reader entry `i`'s pinned slot + 1 (0: none).
private func vlm_pin(_ s: ShmSegment, _ i: Int) -> UInt64 { s.reader(i).advanced(by: 1).pointee }

/// A frames publisher on ipc (same host) and a runtime whose frame input reads from it.
struct SharedRig {
    let frames: Publisher
    let runtime: NodeRuntime
    let results: Subscriber
    static let info = FrameInfo(width: 8, height: 4, encoding: .rgb8)

    init(slots: Int = 6, sharedMemory: Bool = true, frames: Publisher? = nil) throws {
        self.frames = try frames ?? Publisher(bind: "ipc://\(try makeTemporaryDirectory("node-shm").path)/f.sock",
                                             qos: .queue(capacity: 100))
        self.frames.sharedMemorySlots = slots
        var o = NodeOverrides()
        o.inputs["image"] = PortOverride(endpoint: self.frames.endpoint)
        let wiring = NodeWiring.resolve(spec: RuntimeRig.spec, wiring: nil, overrides: o)
        runtime = try NodeRuntime(spec: RuntimeRig.spec, wiring: wiring, options: .init(sharedMemory: sharedMemory),
                                  log: LogLines().log)
        results = try Subscriber(connect: [runtime.outputEndpoint("out")!], topics: ["/echo/out"], qos: .queue(capacity: 100))
        #expect(self.frames.waitForSubscribers(1, timeout: 5))
        #expect(runtime.publisher("out")!.waitForSubscribers(1, timeout: 5))
    }

    func send(_ seq: UInt64) throws {
        try frames.publishFrame(topic: "/camera/image", seq: seq, stampNs: BusClock.nowNs(), frame: Self.info,
                                pixels: try Blob(pattern(seq, count: Self.info.byteCount)))
    }

    static func expectedSum(_ seq: UInt64) -> String { String(pattern(seq, count: info.byteCount).withUnsafeBytes(checksum)) }

    /// Sends frames one at a time (each taken before the next) and returns the results received.
    func run(_ processor: PixelProcessor, seqs: [UInt64]) throws -> [MessageHeader] {
        let stop = StopSignal()
        let done = DispatchSemaphore(value: 0)
        let runtime = self.runtime
        Thread.detachNewThread { runtime.run(processor, until: stop); done.signal() }
        var got: [MessageHeader] = []
        for seq in seqs {
            let before = runtime.stats("image")
            try send(seq)
            // Wait until this frame produced a result or was dropped torn (bounded).
            let deadline = Date(timeIntervalSinceNow: 10)
            while Date() < deadline {
                if let m = results.receive(timeout: 0.02) {
                    got.append(m.header)
                    if m.header.sourceSeq == seq { break }
                }
                if runtime.stats("image").torn > before.torn { break }
            }
        }
        stop.raise()
        #expect(done.wait(timeout: .now() + 5) == .success, "run did not return after stop")
        return got
    }
}

@Suite(.serialized) struct NodeSharedMemoryTests {
    @Test func aSameHostFrameInputReadsThePixelsInPlaceAndDropsTheInlineCopy() throws {
        let rig = try SharedRig()
        let p = PixelProcessor(.rgbImage)
        let got = try rig.run(p, seqs: [0, 1, 2])
        #expect(got.map(\.sourceSeq) == [0, 1, 2])
        #expect(got.map { $0.fields["queries"]?.arrayValue?.first?.stringValue } == [0, 1, 2].map(SharedRig.expectedSum))
        #expect(p.shared == [true, true, true] && p.inPlace == [true, true, true], "no copy before the plugin reads")
        let s = rig.runtime.stats("image")
        #expect(s.sharedMemory == 3 && s.torn == 0 && s.received == 3 && s.dropped == 0)
        // The node took its plain subscription back: the publisher stopped copying frames inline.
        let route = rig.frames.withSharedMemory { $0.subscriptions.route("/camera/image") }
        #expect(route == ShmRoute(plain: false, shared: true))
    }

    @Test func aFrameOverwrittenDuringACheckedReadIsDroppedAndCountedNeverDelivered() throws {
        // Two slots: publishing two frames during the read makes the writer reclaim the pinned slot.
        let rig = try SharedRig(slots: 2)
        let p = PixelProcessor(.checkedLapping)
        p.duringFirstRead = { for s in UInt64(100) ..< 102 { try? rig.send(s) } }
        let got = try rig.run(p, seqs: [0, 1, 2])
        let sources = got.compactMap(\.sourceSeq)
        #expect(!sources.contains(0), "the torn frame produced no result")
        #expect(rig.runtime.stats("image").torn == 1)
        #expect(rig.runtime.stats("image").skipped == 0, "a torn frame is a drop, not a refusal")
        for h in got {
            #expect(h.fields["queries"]?.arrayValue?.first?.stringValue == SharedRig.expectedSum(h.sourceSeq!))
        }
        #expect(sources.suffix(2) == [1, 2] && rig.runtime.summary.contains("torn 1"), "\(sources) \(rig.runtime.summary)")
    }

    @Test func aResultFromAnUncheckedReadOfAnOverwrittenSlotIsNotPublished() throws {
        let rig = try SharedRig(slots: 2)
        let p = PixelProcessor(.uncheckedLapping)
        p.duringFirstRead = { for s in UInt64(100) ..< 102 { try? rig.send(s) } }
        let got = try rig.run(p, seqs: [0, 1])
        #expect(!got.contains { $0.sourceSeq == 0 })
        #expect(rig.runtime.stats("image").torn == 1)
        #expect(got.allSatisfy { $0.fields["queries"]?.arrayValue?.first?.stringValue == SharedRig.expectedSum($0.sourceSeq!) })
    }

    @Test func aLatestWinsInputPinsOneSlotAndKeepsItWhileTheRingTurns() throws {
        let rig = try SharedRig(slots: 3)
        let p = PixelProcessor(.holdWhilePublishing)
        p.duringFirstRead = { for s in UInt64(100) ..< 110 { try? rig.send(s) } }
        let got = try rig.run(p, seqs: [0])
        // Ten frames went through a three-slot ring while frame 0 was held: its slot was pinned.
        // Each frame processed (the held one and any taken after it) was the reader's only pin.
        #expect(!p.pinsSeen.isEmpty && p.pinsSeen == p.ownSlot.map { [$0] }, "\(p.pinsSeen) \(p.ownSlot)")
        #expect(got.first?.sourceSeq == 0 && got.first?.fields["queries"]?.arrayValue?.first?.stringValue == SharedRig.expectedSum(0))
        // (Frames behind it may be reclaimed before the node takes them: the ring is small.)
    }

    @Test func inlineWhenSharedMemoryIsOffOrThePublisherDoesNotSpeakIt() throws {
        let off = try SharedRig(sharedMemory: false)
        let p = PixelProcessor(.rgbImage)
        let got = try off.run(p, seqs: [0, 1])
        #expect(got.map(\.sourceSeq) == [0, 1] && p.shared == [false, false])
        #expect(off.runtime.stats("image").sharedMemory == 0)

        // A plain ZeroMQ publisher (what pyzmq or a C client is) never sends `@shm:` topics.
        let dir = try makeTemporaryDirectory("node-plain")
        let endpoint = "ipc://\(dir.path)/plain.sock"
        let pub = try ZMQSocket(ZMQContext.shared, type: ZMQ_PUB)
        try pub.bind(endpoint)
        var o = NodeOverrides()
        o.inputs["image"] = PortOverride(endpoint: endpoint)
        let runtime = try NodeRuntime(spec: RuntimeRig.spec, wiring: NodeWiring.resolve(spec: RuntimeRig.spec, wiring: nil, overrides: o),
                                      log: LogLines().log)
        let header = try Envelope.encode(topic: "/camera/image",
                                         header: MessageHeader(type: FrameInfo.messageType, seq: 5, stampNs: BusClock.nowNs(),
                                                               fields: SharedRig.info.fields),
                                         blobs: [try Blob(pattern(5, count: SharedRig.info.byteCount))])
        var message: (String, BusMessage)?
        let deadline = Date(timeIntervalSinceNow: 10)
        while message == nil && Date() < deadline {  // slow joiner: resend until it arrives
            let parts = try header.map { try ZMQMessage(referencing: $0) }
            for (i, part) in parts.enumerated() { try pub.send(part, more: i + 1 < parts.count) }
            message = runtime.nextData(timeout: 0.1)
        }
        let m = try #require(message?.1)
        #expect(m.sharedFrame == nil && m.header.seq == 5)
        #expect(m.blobs.first.map { $0.withUnsafeBytes(checksum) } == pattern(5, count: SharedRig.info.byteCount).withUnsafeBytes(checksum))
    }

    @Test func negotiationFallsBackInlineWhenTheSegmentCannotBeMapped() {
        let n = ShmNegotiation(prefixes: ["/camera/image"])
        #expect(ShmNegotiation.subscriptions(["/a"]) == ["@shm:/a", "/a"])
        #expect(n.admit(topic: "/camera/image", seq: 1, shared: true, unavailable: true) == false)
        #expect(n.state(of: "/camera/image") == .inline)
        var sent: [[UInt8]] = []
        n.flush { sent.append($0) }
        #expect(sent == [[0] + Array("@shm:/camera/image".utf8)])
        #expect(n.admit(topic: "/camera/image", seq: 1, shared: false, unavailable: false))
        #expect(!n.admit(topic: "/camera/image", seq: 2, shared: true, unavailable: false))

        // A mirrored non-frame message comes inline first, then shared: one copy is delivered.
        let m = ShmNegotiation(prefixes: ["/t"])
        #expect(m.admit(topic: "/t", seq: 7, shared: false, unavailable: false))
        #expect(!m.admit(topic: "/t", seq: 7, shared: true, unavailable: false))
        #expect(m.state(of: "/t") == .shared && !m.admit(topic: "/t", seq: 8, shared: false, unavailable: false))
        #expect(m.state(of: "/elsewhere") == nil && m.admit(topic: "/elsewhere", seq: 0, shared: false, unavailable: false))
    }
}
