import Foundation
import Testing
@testable import VLMBus

/// A publisher thread emitting 320x240 frames every 4 ms, recording how long each publish took.
private final class FramePump: @unchecked Sendable {
    let pub: Publisher
    private let lock = NSLock()
    private var _seq: UInt64 = 0
    private var _stop = false
    private(set) var publishNs: [Int64] = []
    private let done = DispatchSemaphore(value: 0)

    init(_ pub: Publisher) { self.pub = pub }

    var seq: UInt64 { lock.withLock { _seq } }

    func start() {
        Thread { [self] in
            while !lock.withLock({ _stop }) {
                let s = seq
                guard let (info, blob) = try? makeFrameBlob(width: 320, height: 240, seq: s) else { break }
                let t0 = BusClock.monotonicNs()
                try? pub.publishFrame(topic: "/camera/image", seq: s, stampNs: BusClock.nowNs(), frame: info, pixels: blob)
                publishNs.append(BusClock.monotonicNs() - t0)
                lock.withLock { _seq = s + 1 }
                usleep(4000)
            }
            done.signal()
        }.start()
    }

    /// Idempotent: the second call returns at once.
    func stop() {
        let first = lock.withLock { () -> Bool in
            defer { _stop = true }
            return !_stop
        }
        if first { done.wait() }
    }
}

@Test func slowSubscriberGetsNewestFrameWithoutSlowingThePublisher() throws {
    let pub = try Publisher(bind: temporaryIPCEndpoint())
    let sub = try Subscriber(connect: [pub.endpoint], topics: ["/camera/image"], qos: .latest)
    #expect(pub.waitForSubscribers(1, timeout: 5))
    let pump = FramePump(pub)
    pump.start()
    defer { pump.stop() }
    _ = try #require(sub.receive(timeout: 5))
    var lastSeq: UInt64 = 0
    for _ in 0..<6 {
        usleep(250_000)  // the slow reader: ~60 frames go by
        let before = pump.seq
        let m = try #require(sub.receive(timeout: 2))
        // Newest wins: we get a frame published just before we asked (a few may still be in
        // flight on a loaded machine), not one from the start of the nap ~60 frames back.
        #expect(m.header.seq + 10 >= before, "got seq \(m.header.seq), publisher was at \(before)")
        #expect(m.header.seq > lastSeq)
        lastSeq = m.header.seq
    }
    let stats = sub.stats
    #expect(stats.overwritten > 100, "overwritten \(stats.overwritten)")
    #expect(stats.delivered == 7)
    // ~350 frames of 230 KB went by; a growing queue would hold them all. (The process's RSS is
    // no measure here: other suites run in parallel in this process — the hostile-bus test alone
    // grows it by ~64 MiB.)
    #expect(sub.core.pendingCount <= 1, "\(sub.core.pendingCount) messages held")
    usleep(700_000)  // let a stats report travel upstream
    pump.stop()
    let published = pump.publishNs
    let publishing = Double(published.reduce(0, +)) / 1e9
    #expect(publishing < 0.25 * Double(published.count) * 0.004, "publish calls took \(publishing) s in total")
    #expect(pub.stats.totalDroppedForSlowPeers >= stats.overwritten - 20,
            "publisher saw \(pub.stats.totalDroppedForSlowPeers) drops, subscriber \(stats.dropped)")
    #expect(pub.stats.reportingSubscribers == 1)
}

@Test func boundedQueueKeepsTheNewestCapacityMessages() throws {
    let pub = try Publisher(bind: "tcp://127.0.0.1:0", qos: .queue(capacity: 100))
    let sub = try Subscriber(connect: [pub.endpoint], topics: ["/events"], qos: .queue(capacity: 5))
    #expect(pub.waitForSubscribers(1, timeout: 5))
    for seq in UInt64(0)..<50 {
        try pub.publish(topic: "/events", header: MessageHeader(type: "vlm/VideoEvent", seq: seq), blobs: [try Blob([1, 2, 3])])
    }
    // Wait until all 50 arrived at the subscriber's buffer.
    let deadline = Date(timeIntervalSinceNow: 5)
    while sub.stats.received < 50 && Date() < deadline { usleep(10_000) }
    #expect((0..<5).compactMap { _ in sub.receive(timeout: 1)?.header.seq } == [45, 46, 47, 48, 49])
    #expect(sub.receive(timeout: 0.05) == nil)
    #expect(sub.stats.overwritten == 45 && sub.stats.gaps == 0)
}

@Test func garbageMessagesAreSkippedAndCounted() throws {
    let endpoint = "tcp://127.0.0.1:0"
    let raw = try ZMQSocket(ZMQContext.shared, type: ZMQSocket.pub)
    try raw.bind(endpoint)
    let bound = try raw.lastEndpoint()
    let sub = try Subscriber(connect: [bound], topics: ["/t"], qos: .queue(capacity: 100))
    func send(_ parts: [[UInt8]]) throws {
        for (i, p) in parts.enumerated() {
            try p.withUnsafeBytes { _ = try raw.send(bytes: $0, more: i + 1 < parts.count) }
        }
    }
    func valid(_ seq: UInt64) -> [[UInt8]] {
        [Array("/t".utf8), Array(#"{"v":1,"type":"vlm/Frame","seq":\#(seq),"stamp_ns":1,"width":2,"height":1,"encoding":"gray8","step":2}"#.utf8), [7, 7]]
    }
    let first = try awaitFirstMessage(sub, publish: { try send(valid(0)) })
    #expect(first?.header.seq == 0)
    while sub.receive(timeout: 0.1) != nil {}
    let before = sub.stats.malformed
    try send([Array("/t".utf8)])                                                  // one part
    try send([Array("/t".utf8), Array("{not json".utf8)])                          // bad JSON
    try send([Array("/t".utf8), Array(#"{"v":1,"seq":3,"stamp_ns":1}"#.utf8)])     // no type
    try send([valid(4)[0], valid(4)[1], [7]])                                      // short blob
    try send([valid(5)[0], valid(5)[1]])                                           // blob missing
    try send([Array("/t".utf8), [0xFF, 0xFE, 0x00]])                               // binary header
    try send(valid(100))
    let after = try #require(sub.receive(timeout: 5))
    #expect(after.header.seq == 100)
    #expect(sub.stats.malformed - before == 6)
    #expect(sub.stats.lastMalformedReason?.contains("JSON") == true)
    // Hostile sequence numbers (a huge jump, then back) are valid messages, not loss or a trap.
    try send(valid(1 << 62))
    try send(valid(101))
    #expect(sub.receive(timeout: 5)?.header.seq == 1 << 62)
    #expect(sub.receive(timeout: 5)?.header.seq == 101)
    #expect(sub.stats.gaps == 99, "only seq 1...99, skipped before 100, count as lost")
}
