import Foundation
import SwiftProtobuf
import VLMBus
import VLMFoxglove
import VLMMedia

/// Encodes frames to JPEG (foxglove.CompressedImage) on its own thread: one slot per topic holds
/// the newest frame, so a slow encoder skips frames instead of queueing them, and the feed thread
/// never waits for an encode.
public final class JPEGWorker: @unchecked Sendable {
    private let condition = NSCondition()
    private var slots: [String: (channel: UInt32, header: MessageHeader, pixels: Blob)] = [:]
    private var stopped = false
    private var encoders: [String: JPEGEncoder] = [:]
    private let publish: (UInt32, UInt64, [UInt8]) -> Void
    public let quality: Int
    /// Frames encoded, frames replaced before encoding, and the encode time spent (ns).
    public private(set) var encoded: UInt64 = 0
    public private(set) var replaced: UInt64 = 0
    public private(set) var encodeNs: UInt64 = 0
    /// Shared-memory frames whose slot was reused while they were being encoded (not sent).
    public private(set) var torn: UInt64 = 0
    private var errorsLogged = Set<String>()

    public init(quality: Int = 75, publish: @escaping (UInt32, UInt64, [UInt8]) -> Void) {
        self.quality = quality
        self.publish = publish
    }

    /// Replaces the waiting frame of `topic` (feed thread).
    public func offer(topic: String, channel: UInt32, header: MessageHeader, pixels: Blob) {
        condition.lock()
        if slots[topic] != nil { replaced += 1 }
        slots[topic] = (channel, header, pixels)
        condition.signal()
        condition.unlock()
    }

    public func start() {
        let thread = Thread { [self] in self.loop() }
        thread.name = "vlmnode-view-jpeg"
        thread.start()
    }

    public func stop() { condition.lock(); stopped = true; condition.broadcast(); condition.unlock() }

    private func loop() {
        while true {
            condition.lock()
            while slots.isEmpty && !stopped { condition.wait() }
            if stopped { condition.unlock(); return }
            let (topic, item) = slots.first!
            slots[topic] = nil
            condition.unlock()
            let start = BusClock.monotonicNs()
            do {
                let payload = try encode(topic: topic, header: item.header, pixels: item.pixels)
                publish(item.channel, UInt64(clamping: BusClock.nowNs()), payload)
                encoded += 1
            } catch is SharedFrameTornError {
                torn += 1  // the publisher reused the slot before the encoder was done: skipped
            } catch {
                if errorsLogged.insert(topic).inserted {
                    FileHandle.standardError.write(Data("view: cannot encode \(topic) as JPEG: \(error)\n".utf8))
                }
            }
            encodeNs += UInt64(BusClock.monotonicNs() - start)
        }
    }

    /// The CompressedImage message of a frame: timestamp = the frame's `stamp_ns`.
    func encode(topic: String, header: MessageHeader, pixels: Blob) throws -> [UInt8] {
        guard let layout = FoxgloveFrame.Layout(header: header, pixelBytes: pixels.count),
              let encoding = FrameEncoding(rawValue: header.fields["encoding"]?.stringValue ?? "") else {
            throw ProtoWire.DecodeError(description: "not a frame")
        }
        var encoder = encoders[topic]
        if encoder == nil || encoder!.width != layout.width || encoder!.height != layout.height || encoder!.pixelFormat != encoding {
            encoder = try JPEGEncoder(width: layout.width, height: layout.height, encoding: encoding, quality: quality)
            encoders[topic] = encoder
        }
        // A shared-memory frame is encoded straight from the ring slot, checked afterwards.
        let jpeg = try pixels.withCheckedBytes { try encoder!.encode(pixels: $0, step: layout.step) }
        var image = Foxglove_CompressedImage()
        image.timestamp = FoxgloveFrame.timestamp(ns: header.stampNs)
        image.frameID = layout.frameID
        image.format = "jpeg"
        image.data = Data(jpeg)
        return try image.serializedBytes()
    }
}

/// Receives bus messages on its own thread and hands them to the hub; every second it expires
/// topics that went quiet.
public final class ViewerFeed: @unchecked Sendable {
    /// One per endpoint: a same-host one negotiates shared memory for itself (the choice is per
    /// publisher), so frames are read in place from the ring and not copied through the socket.
    private let subscribers: [Subscriber]
    private let hub: ViewerHub
    private let wanted: Set<String>?
    private let done = DispatchSemaphore(value: 0)
    private var stopped = false
    private let lock = NSLock()

    /// `topics` empty: every topic the endpoints publish. `security`: CURVE client keys (`view --server-key`);
    /// without CURVE, a same-host endpoint negotiates shared memory (`sharedMemory`).
    public init(endpoints: [String], topics: [String], hub: ViewerHub, sharedMemory: Bool = true,
                security: BusSecurity = .none) throws {
        let prefixes = topics.isEmpty ? [""] : topics
        subscribers = try endpoints.map {
            try Subscriber(connect: $0, topics: prefixes, qos: .queue(capacity: 64), security: security, sharedMemory: sharedMemory)
        }
        wanted = topics.isEmpty ? nil : Set(topics)
        self.hub = hub
    }

    public func start() {
        let thread = Thread { [self] in
            var lastExpiry = BusClock.monotonicNs()
            while !self.isStopped {
                for m in self.next() {
                    // SUB filters are prefixes: compare exactly.
                    if self.wanted == nil || self.wanted!.contains(m.topic) {
                        self.hub.ingest(topic: m.topic, header: m.header, blobs: m.blobs)
                    }
                }
                let now = BusClock.monotonicNs()
                if now - lastExpiry > 1_000_000_000 { self.hub.expireStale(now: now); lastExpiry = now }
            }
            self.done.signal()
        }
        thread.name = "vlmnode-view-feed"
        thread.start()
    }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    /// What arrived: one endpoint waits on its subscriber; several are polled, with a short nap
    /// when none had anything.
    private func next() -> [BusMessage] {
        if subscribers.count == 1 { return subscribers[0].receive(timeout: 0.1).map { [$0] } ?? [] }
        let got = subscribers.compactMap { $0.receive(timeout: 0) }
        if got.isEmpty { Thread.sleep(forTimeInterval: 0.005) }
        return got
    }

    /// Shared-memory counters over all endpoints (frames read in place, torn, unavailable).
    public var sharedMemoryStats: SharedMemoryReaderStats {
        subscribers.map(\.sharedMemoryStats).reduce(into: SharedMemoryReaderStats()) { sum, s in
            sum.resolved += s.resolved; sum.reclaimed += s.reclaimed; sum.torn += s.torn; sum.unavailable += s.unavailable
        }
    }

    public func stop() {
        lock.lock(); stopped = true; lock.unlock()
        done.wait()
        subscribers.forEach { $0.close() }
    }
}
