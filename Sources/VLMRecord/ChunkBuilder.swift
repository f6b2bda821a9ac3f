// Collects records for one Chunk. Small records are copied into one scratch array; large payloads
// (frames) stay where the caller has them and are written (or compressed) straight from there.

final class ChunkBuilder {
    /// A piece of the chunk's uncompressed records, in order.
    enum Segment {
        case scratch(Range<Int>)
        case external(any MCAPPayload)
    }

    /// Payloads at least this big are referenced, not copied.
    static let copyLimit = 64 * 1024

    private(set) var scratch: [UInt8] = []
    private(set) var segments: [Segment] = []
    private var scratchSegmentStart = 0
    private(set) var size = 0
    private(set) var messageCount = 0
    private(set) var startTime: UInt64 = 0
    private(set) var endTime: UInt64 = 0
    /// Per channel: (log time, offset of the Message record within the uncompressed records).
    private(set) var index: [UInt16: [(logTime: UInt64, offset: UInt64)]] = [:]

    var isEmpty: Bool { size == 0 }

    init() { scratch.reserveCapacity(64 * 1024) }

    /// Appends a Message record whose data is the concatenation of `parts`.
    func addMessage(channel: UInt16, sequence: UInt32, logTime: UInt64, publishTime: UInt64,
                    parts: [any MCAPPayload]) {
        let dataLength = parts.reduce(0) { $0 + $1.payloadCount }
        index[channel, default: []].append((logTime, UInt64(size)))
        var header = ByteEncoder(capacity: 31)
        header.messageRecordHeader(channel: channel, sequence: sequence, logTime: logTime,
                                   publishTime: publishTime, dataLength: dataLength)
        appendScratch(header.bytes)
        for part in parts {
            if part.payloadCount >= Self.copyLimit {
                closeScratchSegment()
                segments.append(.external(part))
                size += part.payloadCount
            } else {
                part.withPayloadBytes { scratch.append(contentsOf: $0) }
                size += part.payloadCount
            }
        }
        if messageCount == 0 || logTime < startTime { startTime = logTime }
        if messageCount == 0 || logTime > endTime { endTime = logTime }
        messageCount += 1
    }

    private func appendScratch(_ bytes: [UInt8]) {
        scratch.append(contentsOf: bytes)
        size += bytes.count
    }

    private func closeScratchSegment() {
        if scratch.count > scratchSegmentStart {
            segments.append(.scratch(scratchSegmentStart..<scratch.count))
            scratchSegmentStart = scratch.count
        }
    }

    /// Calls `body` with every segment's bytes in order (pointers valid only inside `body`).
    func withSegments<R>(_ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        closeScratchSegment()
        return try scratch.withUnsafeBytes { scratchBytes in
            try collect(0, [], scratchBytes, body)
        }
    }

    /// Recursion keeps each external payload's `withPayloadBytes` scope open while `body` runs.
    private func collect<R>(_ i: Int, _ acc: [UnsafeRawBufferPointer], _ scratchBytes: UnsafeRawBufferPointer,
                            _ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        if i == segments.count { return try body(acc) }
        switch segments[i] {
        case .scratch(let range):
            return try collect(i + 1, acc + [UnsafeRawBufferPointer(rebasing: scratchBytes[range])], scratchBytes, body)
        case .external(let payload):
            return try payload.withPayloadBytes { try collect(i + 1, acc + [$0], scratchBytes, body) }
        }
    }

    func reset() {
        scratch.removeAll(keepingCapacity: scratch.capacity <= 8 << 20)
        segments.removeAll(keepingCapacity: true)
        scratchSegmentStart = 0
        size = 0
        messageCount = 0
        startTime = 0
        endTime = 0
        index.removeAll(keepingCapacity: true)
    }
}
