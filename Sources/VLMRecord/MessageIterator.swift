// Merges the messages of chunks (which may overlap in time) into one log-time-ordered stream,
// loading a chunk only when its earliest message could be next: memory stays at a few chunks.

/// The messages of one loaded chunk (or loose message), sorted by log time.
struct LoadedItem {
    struct Entry {
        let channelID: UInt16
        let sequence: UInt32
        let logTime: UInt64
        let publishTime: UInt64
        let dataStart: Int
        let dataCount: Int
        let order: Int
    }
    let buffer: ByteBuffer
    /// The records the entries' offsets are relative to (inside `buffer`).
    let bytes: UnsafeRawBufferPointer
    let entries: [Entry]
    let fileOffset: UInt64
    var position = 0

    init(buffer: ByteBuffer, bytes: UnsafeRawBufferPointer, entries: [Entry], fileOffset: UInt64) {
        self.buffer = buffer; self.bytes = bytes; self.entries = entries; self.fileOffset = fileOffset
    }

    var current: Entry? { position < entries.count ? entries[position] : nil }
}

/// Messages in log-time order. `next()` throws on damage (e.g. a chunk CRC mismatch, with its offset).
public final class MCAPMessageIterator: Sequence, IteratorProtocol {
    private let reader: MCAPReader
    private let items: [DataItem]
    private var nextItem = 0
    private var active: [LoadedItem] = []
    private let topics: Set<String>?
    private let start: UInt64?
    private let end: UInt64?
    /// The first error `next()` met when used as a plain Sequence (for-in cannot throw).
    public private(set) var error: Error?

    init(reader: MCAPReader, items: [DataItem], topics: Set<String>?, start: UInt64?, end: UInt64?) {
        self.reader = reader
        // Chunks in order of their first message; ties in file order.
        self.items = items.sorted { ($0.startTime, $0.offset) < ($1.startTime, $1.offset) }
        self.topics = topics
        self.start = start
        self.end = end
    }

    /// Sequence conformance: stops at the first error and keeps it in `error`.
    public func next() -> MCAPMessage? {
        guard error == nil else { return nil }
        do { return try nextMessage() } catch {
            self.error = error
            return nil
        }
    }

    /// The next message, nil at the end; throws on damage.
    public func nextMessage() throws -> MCAPMessage? {
        while true {
            var best: Int?
            for i in active.indices {
                guard let e = active[i].current else { continue }
                if let b = best, let be = active[b].current,
                   (be.logTime, active[b].fileOffset) <= (e.logTime, active[i].fileOffset) { continue }
                best = i
            }
            if nextItem < items.count,
               best == nil || items[nextItem].startTime <= active[best!].current!.logTime {
                let loaded = try reader.load(items[nextItem])
                nextItem += 1
                if !loaded.entries.isEmpty { active.append(loaded) }
                continue
            }
            guard let b = best else { return nil }
            let entry = active[b].current!
            active[b].position += 1
            let owner = active[b].buffer
            let bytes = active[b].bytes
            let itemOffset = active[b].fileOffset
            if active[b].current == nil { active.remove(at: b) }
            if let start, entry.logTime < start { continue }
            if let end, entry.logTime >= end { continue }
            guard let channel = reader.channels[entry.channelID] else {
                throw MCAPError.unknownChannel(path: reader.path, id: entry.channelID, offset: itemOffset)
            }
            if let topics, !topics.contains(channel.topic) { continue }
            return MCAPMessage(
                channel: channel, schema: reader.schemas[channel.schemaID], sequence: entry.sequence,
                logTime: entry.logTime, publishTime: entry.publishTime,
                data: UnsafeRawBufferPointer(rebasing: bytes[entry.dataStart..<(entry.dataStart + entry.dataCount)]),
                owner: owner)
        }
    }
}
