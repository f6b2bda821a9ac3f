import CVLMShm
import Foundation

/// The publisher's side of shared-memory frames: one ring segment per frame topic.
///
/// Readers never block the writer. Each same-host reader pins at most one slot (the frame it was
/// last handed); the writer takes the next slot after the newest that nobody pins, so with
/// `slots` ≥ readers + 2 a pinned frame is never overwritten. With more readers than that, the
/// oldest slot is reclaimed anyway and its reader drops the frame (counted on both sides). Not
/// thread-safe: the publisher's lock serialises it.
final class ShmFrameWriter {
    /// Slots per new ring (default: four pinning readers plus two spare).
    var slotsPerRing = 6
    private(set) var stats = SharedMemoryPublisherStats()
    private var rings: [String: Ring] = [:]

    private struct Ring {
        let segment: ShmSegment
        var newest = -1
    }

    /// Writes one frame through `fill` (handed the slot's `byteCount` bytes) and returns where it is.
    func write(topic: String, byteCount: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws -> ShmFrameRef {
        var ring = try ring(for: topic, byteCount: byteCount)
        let segment = ring.segment
        let slot = pickSlot(segment, newest: ring.newest)
        let generation = segment.generation(slot)
        let odd = vlm_shm_write_begin(generation)
        // Even on a throwing fill the generation moves on, so no reader ever accepts the slot's
        // old reference against half-new bytes.
        defer { vlm_shm_write_end(generation, odd) }
        try fill(UnsafeMutableRawBufferPointer(start: segment.data(slot), count: byteCount))
        ring.newest = slot
        rings[topic] = ring
        stats.framesWritten += 1
        return ShmFrameRef(segment: segment.name, slot: slot, generation: odd + 1,
                           offset: segment.dataOffset + slot * segment.slotBytes, size: byteCount)
    }

    /// Removes every segment now (the publisher is going away; readers keep their mappings).
    func close() { rings.removeAll() }

    /// The segment of `topic`'s ring, if one was made (tests and diagnostics).
    func segmentName(topic: String) -> String? { rings[topic]?.segment.name }

    private func ring(for topic: String, byteCount: Int) throws -> Ring {
        if let r = rings[topic], r.segment.slotBytes >= byteCount, r.segment.slotCount == max(slotsPerRing, 2) { return r }
        rings[topic] = nil  // a larger frame: a new segment; the old name goes now
        SharedMemoryJanitor.reclaimStale()
        let r = Ring(segment: try ShmSegment.create(name: SharedMemoryJanitor.newName(), slots: max(slotsPerRing, 2),
                                                    slotBytes: byteCount))
        rings[topic] = r
        stats.segmentsCreated += 1
        return r
    }

    /// The first slot after `newest` that no reader pins; the oldest one when all are pinned.
    private func pickSlot(_ s: ShmSegment, newest: Int) -> Int {
        let n = s.slotCount
        var pinned = Set<Int>()
        for i in 0..<s.readerCount {
            let entry = s.reader(i)
            guard vlm_shm_load(entry) != 0 else { continue }
            let p = vlm_shm_load(entry + 1)
            if p > 0 && p <= UInt64(n) { pinned.insert(Int(p) - 1) }
        }
        for k in 1...n {
            let slot = (newest + k + n) % n
            if slot == newest { continue }  // readers are about to take the newest
            if !pinned.contains(slot) { return slot }
        }
        stats.pinnedSlotsReclaimed += 1
        releaseDeadReaders(s)
        return (newest + 1 + n) % n
    }

    /// Frees the entries of readers whose process is gone (SIGKILLed subscribers keep no slot).
    private func releaseDeadReaders(_ s: ShmSegment) {
        for i in 0..<s.readerCount {
            let entry = s.reader(i)
            let token = vlm_shm_load(entry)
            let pid = Int32(truncatingIfNeeded: vlm_shm_load(entry + 2))
            if token != 0, pid > 0, kill(pid, 0) != 0, errno == ESRCH {
                vlm_shm_store(entry + 1, 0)
                _ = vlm_shm_cas(entry, token, 0)
            }
        }
    }
}

/// What a publisher did with shared memory.
public struct SharedMemoryPublisherStats: Sendable, Equatable {
    /// Frames written into a ring (each sent as one `vlm/SharedFrame` reference).
    public var framesWritten: UInt64 = 0
    /// Ring segments created (one per frame topic, again when frames grow).
    public var segmentsCreated: UInt64 = 0
    /// Slots overwritten while a reader pinned them (more readers than the ring has room for).
    public var pinnedSlotsReclaimed: UInt64 = 0
}
