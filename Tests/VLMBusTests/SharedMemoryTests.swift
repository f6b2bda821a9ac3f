import CZMQ
import Foundation
import Testing
import TestSupport
@testable import VLMBus

/// Frame pixels that differ in every byte and between frames: byte i of frame `seq` is
/// (seq * 31 + i * 7) mod 256, so a read mixing two frames cannot pass `isPattern`.
func patternFrame(width: Int, height: Int, seq: UInt64) throws -> (FrameInfo, Blob) {
    let info = FrameInfo(width: width, height: height, encoding: .rgb8)
    let buffer = malloc(info.byteCount)!.assumingMemoryBound(to: UInt8.self)
    for i in 0..<info.byteCount { buffer[i] = UInt8(truncatingIfNeeded: seq &* 31 &+ UInt64(i) &* 7) }
    return (info, try Blob(takingOwnershipOf: buffer, count: info.byteCount))
}

func isPattern(_ bytes: UnsafeRawBufferPointer, seq: UInt64) -> Bool {
    for i in 0..<bytes.count where bytes[i] != UInt8(truncatingIfNeeded: seq &* 31 &+ UInt64(i) &* 7) { return false }
    return true
}

/// zlib's CRC-32 (what Python's `zlib.crc32` prints), to compare pixels across clients.
func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
    }
    return ~crc
}

func patternCRC(width: Int, height: Int, seq: UInt64) -> UInt32 {
    let bytes = (0..<width * height * 3).map { UInt8(truncatingIfNeeded: seq &* 31 &+ UInt64($0) &* 7) }
    return bytes.withUnsafeBytes { crc32($0) }
}

/// This process's VLMBus segments in /dev/shm.
func ownSegments() -> [String] {
    SharedMemoryJanitor.segments().filter { SharedMemoryJanitor.parse($0)?.pid == getpid() }
}

@Suite(.serialized) struct SharedMemoryTests {
    @Test func sharedSubscriberReadsFramesInPlaceAndThePublisherRemovesItsSegment() throws {
        var segmentName = ""
        do {
            let pub = try Publisher(bind: temporaryIPCEndpoint("shm"))
            let sub = try Subscriber(connect: [pub.endpoint], sharedMemoryTopics: ["/camera/image"], qos: .queue(capacity: 16))
            var seq: UInt64 = 0
            let first = try awaitFirstMessage(sub) {
                let (info, blob) = try patternFrame(width: 64, height: 48, seq: seq)
                try pub.publishFrame(topic: "/camera/image", seq: seq, stampNs: BusClock.nowNs(), frame: info, pixels: blob)
                seq += 1
            }
            let m = try #require(first)
            #expect(m.topic == "/camera/image")
            #expect(m.header.type == FrameInfo.messageType)
            #expect(m.frame == FrameInfo(width: 64, height: 48, encoding: .rgb8))
            let shared = try #require(m.sharedFrame)
            segmentName = shared.segmentName
            #expect(m.withFramePixels { isPattern($0, seq: m.header.seq) } == true)
            // In place: the blob points into the mapping, not into a copy.
            let inSegment = m.blobs[0].withUnsafeBytes { $0.baseAddress! >= UnsafeRawPointer(shared.segment.base) &&
                $0.baseAddress! < UnsafeRawPointer(shared.segment.base) + shared.segment.size }
            #expect(inSegment)
            #expect(FileManager.default.fileExists(atPath: "/dev/shm" + segmentName))
            #expect(pub.sharedMemoryStats.framesWritten >= 1)
            // Nobody subscribed inline: no inline copy was sent.
            #expect(sub.stats.malformed == 0)
        }
        #expect(!segmentName.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "/dev/shm" + segmentName), "publisher gone, segment stays")
    }

    /// Must show: a slot overwritten during a deliberately slow read is dropped and counted; every
    /// delivered frame's bytes are exactly what was published.
    @Test func tornReadsAreDroppedAndCountedAndDeliveredFramesAreIntact() throws {
        let pub = try Publisher(bind: temporaryIPCEndpoint("torn"))
        pub.sharedMemorySlots = 2  // the smallest ring: the pinned slot is the only one to reuse
        let sub = try Subscriber(connect: [pub.endpoint], sharedMemoryTopics: ["/t"], qos: .latest)
        let (w, h) = (160, 120)
        nonisolated(unsafe) var seq: UInt64 = 0
        @Sendable func publishOne() throws {
            let (info, blob) = try patternFrame(width: w, height: h, seq: seq)
            try pub.publishFrame(topic: "/t", seq: seq, stampNs: BusClock.nowNs(), frame: info, pixels: blob)
            seq += 1
        }
        _ = try #require(try awaitFirstMessage(sub, publish: publishOne))

        // A writer thread keeps publishing every 2 ms while the reader reads slowly.
        let stop = DispatchSemaphore(value: 0)
        let writerDone = DispatchSemaphore(value: 0)
        Thread {
            while stop.wait(timeout: .now() + .milliseconds(2)) == .timedOut { try? publishOne() }
            writerDone.signal()
        }.start()
        var delivered = 0, torn = 0, corrupt = 0, reads = 0
        let deadline = Date(timeIntervalSinceNow: 20)
        while (torn < 3 || delivered < 20) && Date() < deadline {
            guard let m = sub.receive(timeout: 1) else { continue }
            reads += 1
            let slow = reads % 4 == 0
            let ok: Bool? = m.withFramePixels { bytes in
                // The slow case reads half, naps while the writer laps the 2-slot ring, reads the rest.
                let half = bytes.count / 2
                let a = isPattern(UnsafeRawBufferPointer(rebasing: bytes[..<half]), seq: m.header.seq)
                if slow { usleep(30_000) }
                return a && (0..<bytes.count - half).allSatisfy { bytes[half + $0] == UInt8(truncatingIfNeeded: m.header.seq &* 31 &+ UInt64(half + $0) &* 7) }
            }
            switch ok {
            case .some(true): delivered += 1
            case .some(false): corrupt += 1
            case .none: torn += 1
            }
        }
        stop.signal()
        writerDone.wait()
        #expect(corrupt == 0, "a delivered frame differed from what was published")
        #expect(torn >= 3, "slow reads never saw their slot overwritten")
        #expect(delivered >= 20)
        #expect(sub.sharedMemoryStats.torn == UInt64(torn))
        #expect(pub.sharedMemoryStats.pinnedSlotsReclaimed > 0)
    }

    @Test func aRingWithRoomForItsReadersNeverTearsAPinnedFrame() throws {
        let pub = try Publisher(bind: temporaryIPCEndpoint("pins"))
        pub.sharedMemorySlots = 4
        let subs = try (0..<2).map { _ in try Subscriber(connect: [pub.endpoint], sharedMemoryTopics: ["/t"]) }
        var seq: UInt64 = 0
        func publishOne() throws {
            let (info, blob) = try patternFrame(width: 32, height: 16, seq: seq)
            try pub.publishFrame(topic: "/t", seq: seq, stampNs: BusClock.nowNs(), frame: info, pixels: blob)
            seq += 1
        }
        #expect(pub.waitForSubscribers(2, timeout: 5))
        let held = try subs.map { sub in try #require(try awaitFirstMessage(sub, publish: publishOne)) }
        for _ in 0..<40 { try publishOne() }  // ten laps of the ring while both readers hold a frame
        for m in held { #expect(m.withFramePixels { isPattern($0, seq: m.header.seq) } == true) }
        #expect(pub.sharedMemoryStats.pinnedSlotsReclaimed == 0)
    }

    @Test func inlineAndSharedSubscribersGetIdenticalPixelsAndNonFramesOnce() throws {
        let pub = try Publisher(bind: temporaryIPCEndpoint("mixed"))
        let shared = try Subscriber(connect: [pub.endpoint], sharedMemoryTopics: ["/cam"], qos: .queue(capacity: 64))
        let inline = try Subscriber(connect: [pub.endpoint], topics: ["/cam"], qos: .queue(capacity: 64))
        #expect(pub.waitForSubscribers(2, timeout: 5))
        var sharedFrames: [UInt64: UInt32] = [:], inlineFrames: [UInt64: UInt32] = [:]
        var sharedTexts = 0, inlineTexts = 0, wrongKind = 0
        for seq in UInt64(0)..<10 {
            let (info, blob) = try patternFrame(width: 40, height: 30, seq: seq)
            if seq % 2 == 0 {
                try pub.publishFrame(topic: "/cam/image", seq: seq, stampNs: BusClock.nowNs(), frame: info, pixels: blob)
            } else {  // written in place into the slot; the inline copy comes from the slot
                try pub.publishFrame(topic: "/cam/image", seq: seq, stampNs: BusClock.nowNs(), frame: info) { slot in
                    blob.withUnsafeBytes { slot.copyMemory(from: $0) }
                }
            }
            try pub.publish(topic: "/cam/info", header: MessageHeader(type: "vlm/Text", seq: seq, fields: ["text": .string("x")]))
            // Take each frame before the next lap of the ring (a queued reference can be reclaimed).
            for (sub, isShared) in [(shared, true), (inline, false)] {
                for _ in 0..<2 {
                    guard let m = sub.receive(timeout: 2) else { continue }
                    if m.header.type == "vlm/Text" { if isShared { sharedTexts += 1 } else { inlineTexts += 1 }; continue }
                    if (m.sharedFrame != nil) != isShared { wrongKind += 1 }
                    let crc = try #require(m.withFramePixels { crc32($0) })
                    if isShared { sharedFrames[m.header.seq] = crc } else { inlineFrames[m.header.seq] = crc }
                }
            }
        }
        #expect(shared.receive(timeout: 0.3) == nil && inline.receive(timeout: 0.3) == nil, "a message came twice")
        #expect(wrongKind == 0)
        #expect(sharedFrames.count == 10 && inlineFrames.count == 10)
        #expect(sharedFrames == inlineFrames)
        #expect(sharedFrames[3] == patternCRC(width: 40, height: 30, seq: 3))
        #expect(sharedTexts == 10 && inlineTexts == 10, "each kind gets each message once")
    }

    @Test func framesPublishedAsGenericMessagesGoThroughTheRingToo() throws {
        // The player republishes recorded frames with `publish(topic:header:blobs:)`.
        let pub = try Publisher(bind: temporaryIPCEndpoint("generic"))
        let sub = try Subscriber(connect: [pub.endpoint], sharedMemoryTopics: ["/cam"], qos: .queue(capacity: 4))
        var seq: UInt64 = 0
        let got = try awaitFirstMessage(sub) {
            let (info, blob) = try patternFrame(width: 20, height: 10, seq: seq)
            let header = MessageHeader(type: FrameInfo.messageType, seq: seq, fields: info.fields)
            try pub.publish(topic: "/cam", header: header, blobs: [blob])
            seq += 1
        }
        let m = try #require(got)
        #expect(m.sharedFrame != nil && m.header.blobSizes == [600])
        #expect(m.withFramePixels { isPattern($0, seq: m.header.seq) } == true)
    }

    /// Must show: 1000 publisher restarts, each making a segment, leave /dev/shm as it was.
    @Test func aThousandPublisherRestartsLeaveDevShmAsItWas() throws {
        // Other suites in this process make segments of their own meanwhile: count only ours.
        var made: Set<String> = []
        let ctx = try ZMQContext()
        for i in 0..<1000 {
            let pub = try Publisher(bind: "inproc://restart-\(i)", qos: .latest, lingerMs: 0, context: ctx)
            // A bare XSUB on this thread asks for shared memory (no receiving thread to stop).
            let sub = try ZMQSocket(ctx, type: ZMQ_XSUB)
            try sub.set(ZMQ_LINGER, 0, name: "ZMQ_LINGER")
            try sub.set(ZMQ_RCVTIMEO, 2000, name: "ZMQ_RCVTIMEO")
            var request = [UInt8(1)] + Array(SharedMemoryTopic.request("/t").utf8)
            try request.withUnsafeBytes { _ = try sub.send(bytes: $0, more: false) }
            try sub.connect(pub.endpoint)
            #expect(pub.waitForSubscribers(1, timeout: 5))
            let (info, blob) = try patternFrame(width: 8, height: 8, seq: UInt64(i))
            try pub.publishFrame(topic: "/t", seq: UInt64(i), stampNs: BusClock.nowNs(), frame: info, pixels: blob)
            let parts = try #require(try sub.receiveMultipart())
            let m = try Envelope.decode(parts)
            #expect(m.topic == "@shm:/t" && m.header.type == "vlm/SharedFrame")
            request = []
            let name = try #require(pub.withSharedMemory { $0.writer.segmentName(topic: "/t") })
            made.insert(String(name.dropFirst()))
            if i % 250 == 0 { #expect(ownSegments().filter(made.contains) == [String(name.dropFirst())]) }
        }
        #expect(made.count == 1000)
        #expect(ownSegments().filter(made.contains).isEmpty)
    }

    @Test func segmentsOfDeadProcessesAreReclaimedAndLiveOnesKept() throws {
        // A name for a pid that cannot exist, and one for this process with a wrong start time.
        let dead = "/vlmbus.\(Int32.max - 7).123.1"
        let recycled = "/vlmbus.\(getpid()).1.1"
        for name in [dead, recycled] {
            let fd = shm_open(name, O_CREAT | O_RDWR, 0o600)
            #expect(fd >= 0)
            close(fd)
        }
        let live = try ShmSegment.create(name: SharedMemoryJanitor.newName(), slots: 2, slotBytes: 100)
        let removed = SharedMemoryJanitor.reclaimStale()
        #expect(removed.contains(dead) && removed.contains(recycled))
        #expect(!removed.contains(live.name))
        #expect(FileManager.default.fileExists(atPath: "/dev/shm" + live.name))
    }

    @Test func segmentsWithGroupOrOtherAccessAreRefused() throws {
        let name = SharedMemoryJanitor.newName()
        let seg = try ShmSegment.create(name: name, slots: 2, slotBytes: 100)
        #expect(try ShmSegment.open(name: name).slotCount == 2)
        #expect(chmod("/dev/shm" + name, 0o644) == 0)
        #expect(throws: ShmError.self) { try ShmSegment.open(name: name) }
        if getuid() == 0 {
            #expect(chmod("/dev/shm" + name, 0o600) == 0)
            #expect(chown("/dev/shm" + name, 65534, 65534) == 0)
            #expect(throws: ShmError.self) { try ShmSegment.open(name: name) }
        }
        _ = seg
    }

    @Test func subscriptionRoutesAndTheirCap() {
        var subs = ShmSubscriptions()
        func note(_ kind: UInt8, _ prefix: String) { ([kind] + Array(prefix.utf8)).withUnsafeBytes { subs.note($0) } }
        #expect(subs.route("/a") == ShmRoute(plain: true, shared: false))  // no @shm: asks: exactly v1
        note(1, "@shm:/a")
        #expect(subs.route("/a/b") == ShmRoute(plain: false, shared: true))
        #expect(subs.route("/b") == ShmRoute(plain: false, shared: false))
        note(1, "/a")
        #expect(subs.route("/a/b") == ShmRoute(plain: true, shared: true))
        note(0, "/a")  // the last plain holder left
        #expect(subs.route("/a/b") == ShmRoute(plain: false, shared: true))
        note(1, "")  // a catch-all plain client wants everything inline
        #expect(subs.route("/b") == ShmRoute(plain: true, shared: false))
        note(0, "")
        for i in 0..<ShmSubscriptions.maxPrefixes { note(1, "/flood/\(i)") }
        #expect(subs.overflowed)
        #expect(subs.route("/a/b") == ShmRoute(plain: true, shared: true), "past the cap everything also goes inline")
    }

    @Test func hostileReferencesAreCountedNotFollowed() throws {
        let reader = ShmReader()
        func message(_ shm: JSONValue) -> BusMessage {
            BusMessage(topic: "@shm:/x", header: MessageHeader(type: "vlm/SharedFrame", seq: 1, fields: [
                "width": .int(4), "height": .int(4), "encoding": .string("rgb8"), "step": .int(12), "shm": shm]))
        }
        let bad: [JSONValue] = [
            .string("x"),
            .object(["segment": .string("/etc/passwd"), "slot": .int(0), "generation": .int(2), "offset": .int(0), "size": .int(48)]),
            .object(["segment": .string("/vlmbus.1.2.3"), "slot": .int(-1), "generation": .int(2), "offset": .int(0), "size": .int(48)]),
            .object(["segment": .string("/vlmbus.1.2.3"), "slot": .int(0), "generation": .int(3), "offset": .int(0), "size": .int(48)]),
            .object(["segment": .string("/vlmbus.1.2.3"), "slot": .int(0), "generation": .int(2), "offset": .int(0), "size": .int(47)]),
        ]
        for shm in bad { #expect(throws: EnvelopeError.self) { _ = try reader.resolve(message(shm)) } }
        // Well-formed but naming no segment: dropped and counted as unavailable.
        let missing = JSONValue.object(["segment": .string("/vlmbus.1.2.3"), "slot": .int(0), "generation": .int(2),
                                        "offset": .int(4096), "size": .int(48)])
        #expect(try reader.resolve(message(missing)) == nil)
        #expect(reader.counters.snapshot.unavailable == 1)
        // A slot index past the ring is refused against the real segment.
        let seg = try ShmSegment.create(name: SharedMemoryJanitor.newName(), slots: 2, slotBytes: 48)
        let past = JSONValue.object(["segment": .string(seg.name), "slot": .int(2), "generation": .int(0),
                                     "offset": .int(Int64(seg.dataOffset + 2 * seg.slotBytes)), "size": .int(48)])
        #expect(throws: EnvelopeError.self) { _ = try reader.resolve(message(past)) }
    }
}
