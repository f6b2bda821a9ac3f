// Writes MCAP files: header, schemas and channels in the data section, messages in chunks with
// message indexes, then Data End (with the data-section CRC), the summary section (schemas,
// channels, chunk indexes, statistics), summary offsets and the footer (with the summary CRC).

/// How an `MCAPWriter` lays out the file.
public struct MCAPWriterOptions: Sendable {
    /// Header profile; custom profiles use the `x-` prefix, as the specification asks.
    public var profile = "x-vlmnode"
    public var library = "vlmnode"
    /// Compression for chunks of ordinary (small) messages.
    public var compression: MCAPCompression = .zstd
    /// zstd level (1 is the fast end).
    public var zstdLevel: Int32 = 1
    /// Close a chunk once its uncompressed records reach this many bytes.
    public var chunkSize = 1 << 20
    /// Close a chunk once it spans this much log time (bounds what a crash can lose). nil: no limit.
    public var chunkDuration: UInt64? = 1_000_000_000
    /// Messages at least this big (frames) go in a chunk of their own, written immediately.
    public var largeMessageSize = 512 * 1024
    /// Compression for those large-message chunks (raw frames compress poorly and cost CPU).
    public var largeMessageCompression: MCAPCompression = .none
    /// false: messages go straight into the data section, unchunked and unindexed.
    public var useChunks = true
    /// Replace an existing file at the path (false: refuse; `record` needs --force for that).
    public var overwrite = true

    public init() {}
}

/// An MCAP file being written. Not thread-safe: use it from one thread.
public final class MCAPWriter {
    public let path: String
    public let options: MCAPWriterOptions
    private let output: FileOutput
    private let chunk = ChunkBuilder()
    private let largeChunk = ChunkBuilder()
    private var zstd: ZstdCompressor?
    private var lz4: LZ4Compressor?
    private var schemas: [MCAPSchema] = []
    private var channels: [MCAPChannel] = []
    private var chunkIndexes: [MCAPChunkIndex] = []
    private var statistics = MCAPStatistics()
    private var finished = false

    /// Bytes in the file so far (closed chunks only; the open chunk is still in memory).
    public var bytesWritten: UInt64 { output.offset }
    /// Bytes waiting in the open chunk.
    public var pendingBytes: Int { chunk.size }
    public var messageCount: UInt64 { statistics.messageCount }

    /// Creates (truncates) `path` and writes the magic and Header record.
    public init(path: String, options: MCAPWriterOptions = MCAPWriterOptions()) throws {
        self.path = path
        self.options = options
        output = try FileOutput(path: path, overwrite: options.overwrite)
        try output.write(mcapMagic)
        var e = ByteEncoder()
        e.record(.header) { $0.string(options.profile); $0.string(options.library) }
        try output.write(e.bytes)
    }

    /// Registers a schema (written to the data section at once); returns its id (never 0).
    public func addSchema(name: String, encoding: String, data: [UInt8] = []) throws -> UInt16 {
        try checkOpen()
        if let existing = schemas.first(where: { $0.name == name && $0.encoding == encoding && $0.data == data }) {
            return existing.id
        }
        let schema = MCAPSchema(id: UInt16(schemas.count + 1), name: name, encoding: encoding, data: data)
        var e = ByteEncoder()
        e.schemaRecord(schema)
        try output.write(e.bytes)
        schemas.append(schema)
        statistics.schemaCount += 1
        return schema.id
    }

    /// Registers a channel (written to the data section at once); returns its id.
    public func addChannel(topic: String, messageEncoding: String, schemaID: UInt16,
                           metadata: [String: String] = [:]) throws -> UInt16 {
        try checkOpen()
        guard schemaID == 0 || schemas.contains(where: { $0.id == schemaID }) else {
            throw MCAPError.invalidUse("\(path): channel \(topic) refers to unknown schema id \(schemaID)")
        }
        let channel = MCAPChannel(id: UInt16(channels.count), schemaID: schemaID, topic: topic,
                                  messageEncoding: messageEncoding, metadata: metadata)
        var e = ByteEncoder()
        e.channelRecord(channel)
        try output.write(e.bytes)
        channels.append(channel)
        statistics.channelCount += 1
        return channel.id
    }

    /// Adds a message whose data is the concatenation of `parts` (kept by reference until written).
    public func addMessage(channelID: UInt16, sequence: UInt32, logTime: UInt64, publishTime: UInt64,
                           parts: [any MCAPPayload]) throws {
        try checkOpen()
        guard Int(channelID) < channels.count else {
            throw MCAPError.invalidUse("\(path): message on unknown channel id \(channelID)")
        }
        let size = parts.reduce(0) { $0 + $1.payloadCount }
        if options.useChunks {
            if size >= options.largeMessageSize {
                largeChunk.addMessage(channel: channelID, sequence: sequence, logTime: logTime,
                                      publishTime: publishTime, parts: parts)
                try write(largeChunk, compression: options.largeMessageCompression)
            } else {
                if let span = options.chunkDuration, !chunk.isEmpty, logTime >= chunk.startTime + span {
                    try flushChunk()
                }
                chunk.addMessage(channel: channelID, sequence: sequence, logTime: logTime,
                                 publishTime: publishTime, parts: parts)
                if chunk.size >= options.chunkSize { try flushChunk() }
            }
        } else {
            try writeUnchunked(channelID: channelID, sequence: sequence, logTime: logTime,
                               publishTime: publishTime, parts: parts, size: size)
        }
        statistics.messageCount += 1
        statistics.channelMessageCounts[channelID, default: 0] += 1
        if statistics.messageCount == 1 || logTime < statistics.messageStartTime { statistics.messageStartTime = logTime }
        if logTime > statistics.messageEndTime { statistics.messageEndTime = logTime }
    }

    /// Convenience: one contiguous payload.
    public func addMessage(channelID: UInt16, sequence: UInt32, logTime: UInt64, publishTime: UInt64,
                           data: any MCAPPayload) throws {
        try addMessage(channelID: channelID, sequence: sequence, logTime: logTime, publishTime: publishTime, parts: [data])
    }

    /// Writes the open chunk now (a recorder calls this when idle, so a crash loses little).
    public func flushChunk() throws {
        try checkOpen()
        if !chunk.isEmpty { try write(chunk, compression: options.compression) }
    }

    /// Writes the open chunk, Data End, the summary, summary offsets, footer and closing magic.
    public func finish() throws {
        try flushChunk()
        finished = true
        var dataEnd = ByteEncoder()
        dataEnd.record(.dataEnd) { $0.u32(self.output.crc) }
        try output.write(dataEnd.bytes)

        let summaryStart = output.offset
        var summary = ByteEncoder(capacity: 4096)
        var groups: [(opcode: MCAPOpcode, start: Int, length: Int)] = []
        func group(_ op: MCAPOpcode, _ body: (inout ByteEncoder) -> Void) {
            let start = summary.bytes.count
            body(&summary)
            if summary.bytes.count > start { groups.append((op, start, summary.bytes.count - start)) }
        }
        group(.schema) { e in for s in schemas { e.schemaRecord(s) } }
        group(.channel) { e in for c in channels { e.channelRecord(c) } }
        group(.chunkIndex) { e in for c in chunkIndexes { e.chunkIndexRecord(c) } }
        statistics.chunkCount = UInt32(chunkIndexes.count)
        group(.statistics) { e in e.statisticsRecord(statistics) }
        let summaryOffsetStart = summaryStart + UInt64(summary.bytes.count)
        for g in groups {
            summary.summaryOffsetRecord(opcode: g.opcode.rawValue, start: summaryStart + UInt64(g.start), length: UInt64(g.length))
        }
        // The footer's CRC covers the summary and summary offsets plus the footer up to the CRC field.
        summary.u8(MCAPOpcode.footer.rawValue)
        summary.u64(20)
        summary.u64(summaryStart)
        summary.u64(summaryOffsetStart)
        summary.u32(CRC32.checksum(summary.bytes))
        summary.raw(mcapMagic)
        try output.write(summary.bytes)
        try output.close()
    }

    private func checkOpen() throws {
        if finished { throw MCAPError.invalidUse("\(path): writer already finished") }
    }

    private func writeUnchunked(channelID: UInt16, sequence: UInt32, logTime: UInt64, publishTime: UInt64,
                                parts: [any MCAPPayload], size: Int) throws {
        var e = ByteEncoder(capacity: 31)
        e.messageRecordHeader(channel: channelID, sequence: sequence, logTime: logTime,
                              publishTime: publishTime, dataLength: size)
        try output.write(e.bytes)
        for part in parts { try part.withPayloadBytes { try output.write($0) } }
    }

    /// Writes `builder` as a Chunk record followed by its Message Index records, then resets it.
    private func write(_ builder: ChunkBuilder, compression: MCAPCompression) throws {
        defer { builder.reset() }
        let chunkStart = output.offset
        let compressedSize: Int = try builder.withSegments { segments in
            var recordsCRC: UInt32 = 0
            var segmentCRCs: [UInt32] = []
            segmentCRCs.reserveCapacity(segments.count)
            for s in segments {
                let c = CRC32.update(0, s)
                segmentCRCs.append(c)
                recordsCRC = CRC32.combine(recordsCRC, c, lengthB: s.count)
            }
            let compressed: ByteBuffer?
            switch compression {
            case .none: compressed = nil
            case .zstd: compressed = try zstdCompressor().compress(segments, totalSize: builder.size)
            case .lz4: compressed = try lz4Compressor().compress(segments, totalSize: builder.size)
            }
            let recordsLength = compressed?.count ?? builder.size
            var e = ByteEncoder(capacity: 64)
            e.u8(MCAPOpcode.chunk.rawValue)
            e.u64(UInt64(8 + 8 + 8 + 4 + 4 + compression.rawValue.utf8.count + 8 + recordsLength))
            e.u64(builder.startTime); e.u64(builder.endTime); e.u64(UInt64(builder.size)); e.u32(recordsCRC)
            e.string(compression.rawValue)
            e.u64(UInt64(recordsLength))
            try output.write(e.bytes)
            if let compressed {
                try output.write(compressed.bytes)
            } else {
                for (s, c) in zip(segments, segmentCRCs) { try output.write(s, knownCRC: c) }
            }
            return recordsLength
        }
        let chunkLength = output.offset - chunkStart
        let indexStart = output.offset
        var offsets: [UInt16: UInt64] = [:]
        var e = ByteEncoder(capacity: 64 + builder.messageCount * 16)
        for channel in builder.index.keys.sorted() {
            offsets[channel] = indexStart + UInt64(e.bytes.count)
            e.messageIndexRecord(channel: channel, entries: builder.index[channel]!)
        }
        try output.write(e.bytes)
        chunkIndexes.append(MCAPChunkIndex(
            messageStartTime: builder.startTime, messageEndTime: builder.endTime, chunkStartOffset: chunkStart,
            chunkLength: chunkLength, messageIndexOffsets: offsets, messageIndexLength: UInt64(e.bytes.count),
            compression: compression.rawValue, compressedSize: UInt64(compressedSize),
            uncompressedSize: UInt64(builder.size)))
    }

    private func zstdCompressor() throws -> ZstdCompressor {
        if let zstd { return zstd }
        let made = try ZstdCompressor(level: options.zstdLevel)
        zstd = made
        return made
    }

    private func lz4Compressor() throws -> LZ4Compressor {
        if let lz4 { return lz4 }
        let made = try LZ4Compressor()
        lz4 = made
        return made
    }
}
