import CVLMShm
import Foundation

/// A frame whose pixels are read in place from a publisher's shared-memory ring.
///
/// The publisher may overwrite the slot at any time (it never waits for readers), so whatever
/// was computed from the pixels counts only if the slot was intact afterwards: use
/// `BusMessage.withFramePixels`, which checks, drops and counts a torn read. The subscriber pins
/// the slot of the frame it last handed out, so a reader that takes one frame at a time is not
/// overwritten while the ring has room (publisher `sharedMemorySlots` ≥ readers + 2).
public final class SharedFrame: @unchecked Sendable {
    // Immutable; the segment mapping stays alive as long as this does.
    let segment: ShmSegment
    let slot: Int
    /// The slot's generation when the pixels were written (even).
    let generation: UInt64
    private let counters: SharedMemoryCounters

    init(segment: ShmSegment, slot: Int, generation: UInt64, counters: SharedMemoryCounters) {
        self.segment = segment
        self.slot = slot
        self.generation = generation
        self.counters = counters
    }

    /// The segment name, e.g. `/vlmbus.4242.1234567.1`.
    public var segmentName: String { segment.name }

    /// True while the slot still holds this frame (checked after reading: the seqlock's end).
    public var isIntact: Bool { vlm_shm_read_check(segment.generation(slot), generation) }

    /// Runs `body` on the pixels in place; nil (and a counted torn read) when the slot was
    /// overwritten before or while `body` read it — discard whatever `body` produced then.
    func withPixels<R>(count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        let g = segment.generation(slot)
        guard vlm_shm_read_begin(g) == generation else {
            counters.add(\.torn)
            return nil
        }
        let result = try body(UnsafeRawBufferPointer(start: segment.data(slot), count: count))
        guard vlm_shm_read_check(g, generation) else {
            counters.add(\.torn)
            return nil
        }
        state.lock()
        verified = true
        state.unlock()
        return result
    }

    private let state = NSLock()
    private var verified = false
    private var tornCounted = false

    /// True once a read through `withPixels` (or `Blob.withCheckedBytes`) found the slot intact
    /// afterwards: whatever that read produced is valid even if the slot is reused later.
    public var wasReadIntact: Bool { state.lock(); defer { state.unlock() }; return verified }

    /// For code that read the pixels without a checked read (`Blob.withUnsafeBytes`): throws
    /// `SharedFrameTornError` (counted once) unless the slot still holds this frame or a checked
    /// read already succeeded. Call it after the reads, before using what they produced.
    public func checkIntact() throws {
        if wasReadIntact || isIntact { return }
        state.lock()
        let first = !tornCounted
        tornCounted = true
        state.unlock()
        if first { counters.add(\.torn) }
        throw SharedFrameTornError(segment: segment.name, slot: slot)
    }
}

/// A shared-memory frame whose slot the publisher reused before or while it was read: whatever
/// was computed from its pixels is discarded (the frame is dropped and counted, never delivered).
public struct SharedFrameTornError: Error, CustomStringConvertible, Sendable {
    public let segment: String
    public let slot: Int
    public var description: String { "shared-memory frame torn: slot \(slot) of \(segment) was overwritten while being read" }
}

extension Blob {
    /// Runs `body` on the bytes in place. For a shared-memory frame the slot's generation is
    /// checked after `body` (seqlock): if the publisher reused the slot meanwhile, the read is
    /// counted as torn and `SharedFrameTornError` is thrown, so `body`'s result is never used.
    public func withCheckedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let sharedFrame else { return try withUnsafeBytes(body) }
        guard let r = try withExtendedLifetime(message, { try sharedFrame.withPixels(count: count, body) }) else {
            throw SharedFrameTornError(segment: sharedFrame.segmentName, slot: sharedFrame.slot)
        }
        return r
    }
}

/// What a subscriber saw of shared-memory frames.
public struct SharedMemoryReaderStats: Sendable, Equatable {
    /// `vlm/SharedFrame` references resolved to a mapped slot.
    public var resolved: UInt64 = 0
    /// Frames whose slot was reused before the reader took them (dropped, never delivered).
    public var reclaimed: UInt64 = 0
    /// Reads that found the slot overwritten while reading (`withFramePixels` returned nil).
    public var torn: UInt64 = 0
    /// References whose segment could not be mapped (another host or container, wrong owner or
    /// mode, a malformed segment): dropped.
    public var unavailable: UInt64 = 0
    /// Why the most recent unavailable segment could not be used.
    public var lastUnavailableReason: String?

    public init() {}
}

/// Counters shared by a subscriber and the frames it handed out (which may be read on any thread).
final class SharedMemoryCounters: @unchecked Sendable {
    private let lock = NSLock()
    private var stats = SharedMemoryReaderStats()

    func add(_ key: WritableKeyPath<SharedMemoryReaderStats, UInt64>) {
        lock.lock(); stats[keyPath: key] += 1; lock.unlock()
    }

    func unavailable(_ reason: String) {
        lock.lock(); stats.unavailable += 1; stats.lastUnavailableReason = reason; lock.unlock()
    }

    var snapshot: SharedMemoryReaderStats { lock.lock(); defer { lock.unlock() }; return stats }
}

/// A subscriber's side: mapped segments (a few, reused), its reader entry and pin in each, and
/// turning `@shm:` messages back into ordinary ones.
final class ShmReader: @unchecked Sendable {
    let counters = SharedMemoryCounters()
    private let lock = NSLock()
    private var mappings: [String: Mapping] = [:]
    private var order: [String] = []
    private let token = UInt64.random(in: 1 ... .max)
    static let maxMappings = 8
    /// Set by `resolve` when the last reference named a segment that cannot be mapped here
    /// (receiving thread only).
    private(set) var lastWasUnavailable = false

    private struct Mapping {
        let segment: ShmSegment
        /// This reader's entry in the segment's pin table (nil: table full, reads unpinned).
        let entry: Int?
    }

    deinit {
        for (_, m) in mappings { release(m) }
    }

    /// `message` with the `@shm:` marker removed and a shared frame resolved to its slot; nil when
    /// the frame cannot be had (counted). Other messages pass unchanged.
    func resolve(_ message: BusMessage) throws(EnvelopeError) -> BusMessage? {
        lastWasUnavailable = false
        guard message.topic.hasPrefix(SharedMemoryTopic.marker) else { return message }
        var m = message
        m.topic = String(message.topic.dropFirst(SharedMemoryTopic.marker.count))
        guard m.header.type == ShmFrameRef.messageType else { return m }
        let ref = try ShmFrameRef(json: m.header.fields["shm"])
        m.header.type = FrameInfo.messageType
        m.header.fields["shm"] = nil
        let frame = try FrameInfo(header: m.header)
        guard ref.size == frame.byteCount else {
            throw .blobSizeMismatch("shared frame has \(ref.size) bytes, \(frame.width)x\(frame.height) step \(frame.step) needs \(frame.byteCount)")
        }
        let segment: ShmSegment
        do { segment = try mapping(ref.segment).segment } catch {
            counters.unavailable("\(error)")
            lastWasUnavailable = true
            return nil
        }
        guard ref.slot < segment.slotCount, ref.size <= segment.slotBytes,
              ref.offset == segment.dataOffset + ref.slot * segment.slotBytes else {
            throw .badField("shm", "slot \(ref.slot), offset \(ref.offset), size \(ref.size) do not fit \(ref.segment)")
        }
        guard vlm_shm_read_begin(segment.generation(ref.slot)) == ref.generation else {
            counters.add(\.reclaimed)
            return nil
        }
        let shared = SharedFrame(segment: segment, slot: ref.slot, generation: ref.generation, counters: counters)
        do {
            m.blobs = [Blob(message: try ZMQMessage(wrapping: segment.data(ref.slot), count: ref.size, owner: segment),
                            sharedFrame: shared)]
        } catch {
            counters.unavailable("\(error)")
            return nil
        }
        m.header.blobSizes = [ref.size]
        m.sharedFrame = shared
        counters.add(\.resolved)
        return m
    }

    /// Called as the reader takes `message`: pins its slot (releasing the previous pin in that
    /// segment) and checks it was not reused meanwhile. False: dropped and counted.
    func admit(_ message: BusMessage) -> Bool {
        guard let frame = message.sharedFrame else { return true }
        lock.lock()
        let entry = mappings[frame.segment.name]?.entry
        lock.unlock()
        if let entry { vlm_shm_store(frame.segment.reader(entry) + 1, UInt64(frame.slot + 1)) }
        // After the pin (sequentially consistent): a writer that picked the slot before seeing
        // the pin has made the generation odd or moved it on by now, or will be caught by the
        // read check.
        guard vlm_shm_read_begin(frame.segment.generation(frame.slot)) == frame.generation else {
            counters.add(\.reclaimed)
            return false
        }
        return true
    }

    private func mapping(_ name: String) throws -> Mapping {
        lock.lock()
        defer { lock.unlock() }
        if let m = mappings[name] { return m }
        let segment = try ShmSegment.open(name: name)
        var entry: Int?
        for i in 0..<segment.readerCount where vlm_shm_cas(segment.reader(i), 0, token) {
            vlm_shm_store(segment.reader(i) + 1, 0)
            vlm_shm_store(segment.reader(i) + 2, UInt64(getpid()))
            entry = i
            break
        }
        let m = Mapping(segment: segment, entry: entry)
        mappings[name] = m
        order.append(name)
        if order.count > Self.maxMappings, let old = mappings.removeValue(forKey: order.removeFirst()) { release(old) }
        return m
    }

    private func release(_ m: Mapping) {
        guard let i = m.entry else { return }
        vlm_shm_store(m.segment.reader(i) + 1, 0)
        vlm_shm_store(m.segment.reader(i) + 2, 0)
        _ = vlm_shm_cas(m.segment.reader(i), token, 0)
    }
}
