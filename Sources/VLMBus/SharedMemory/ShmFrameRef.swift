/// Where a frame's pixels are: the `shm` object of a `vlm/SharedFrame` header.
struct ShmFrameRef: Equatable, Sendable {
    static let messageType = "vlm/SharedFrame"

    var segment: String
    var slot: Int
    /// The slot's (even) generation once these pixels were written.
    var generation: UInt64
    /// Byte offset of the pixels from the start of the segment.
    var offset: Int
    var size: Int

    var json: JSONValue {
        .object(["segment": .string(segment), "slot": .int(Int64(slot)), "generation": .int(Int64(bitPattern: generation)),
                 "offset": .int(Int64(offset)), "size": .int(Int64(size))])
    }

    /// Reads and range-checks the `shm` field (the segment itself is checked when mapped).
    init(json: JSONValue?) throws(EnvelopeError) {
        guard let o = json?.objectValue else { throw .badField("shm", "not an object") }
        guard let segment = o["segment"]?.stringValue, SharedMemoryJanitor.isValidName(segment) else {
            throw .badField("shm", "segment is not a VLMBus segment name")
        }
        func int(_ key: String) throws(EnvelopeError) -> Int64 {
            guard let i = o[key]?.intValue, i >= 0 else { throw .badField("shm", "\(key) is not a non-negative integer") }
            return i
        }
        self.segment = segment
        slot = Int(try int("slot"))
        generation = UInt64(try int("generation"))
        offset = Int(try int("offset"))
        size = Int(try int("size"))
        guard generation & 1 == 0 else { throw .badField("shm", "generation is odd") }
    }

    init(segment: String, slot: Int, generation: UInt64, offset: Int, size: Int) {
        self.segment = segment
        self.slot = slot
        self.generation = generation
        self.offset = offset
        self.size = size
    }
}
