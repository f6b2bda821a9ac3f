// Encoding and decoding of the individual record bodies (field order per the specification).

extension ByteEncoder {
    mutating func record(_ op: MCAPOpcode, _ body: (inout ByteEncoder) -> Void) {
        let start = beginRecord(op)
        body(&self)
        endRecord(start)
    }

    mutating func schemaRecord(_ s: MCAPSchema) {
        record(.schema) { e in e.u16(s.id); e.string(s.name); e.string(s.encoding); e.prefixedBytes32(s.data) }
    }

    mutating func channelRecord(_ c: MCAPChannel) {
        record(.channel) { e in
            e.u16(c.id); e.u16(c.schemaID); e.string(c.topic); e.string(c.messageEncoding); e.stringMap(c.metadata)
        }
    }

    mutating func chunkIndexRecord(_ c: MCAPChunkIndex) {
        record(.chunkIndex) { e in
            e.u64(c.messageStartTime); e.u64(c.messageEndTime); e.u64(c.chunkStartOffset); e.u64(c.chunkLength)
            e.u16u64Map(c.messageIndexOffsets); e.u64(c.messageIndexLength); e.string(c.compression)
            e.u64(c.compressedSize); e.u64(c.uncompressedSize)
        }
    }

    mutating func statisticsRecord(_ s: MCAPStatistics) {
        record(.statistics) { e in
            e.u64(s.messageCount); e.u16(s.schemaCount); e.u32(s.channelCount); e.u32(s.attachmentCount)
            e.u32(s.metadataCount); e.u32(s.chunkCount); e.u64(s.messageStartTime); e.u64(s.messageEndTime)
            e.u16u64Map(s.channelMessageCounts)
        }
    }

    mutating func messageIndexRecord(channel: UInt16, entries: [(logTime: UInt64, offset: UInt64)]) {
        record(.messageIndex) { e in
            e.u16(channel)
            e.u32(UInt32(entries.count * 16))
            for entry in entries { e.u64(entry.logTime); e.u64(entry.offset) }
        }
    }

    mutating func summaryOffsetRecord(opcode: UInt8, start: UInt64, length: UInt64) {
        record(.summaryOffset) { e in e.u8(opcode); e.u64(start); e.u64(length) }
    }

    /// The fixed part of a Message record up to (not including) its data.
    mutating func messageRecordHeader(channel: UInt16, sequence: UInt32, logTime: UInt64,
                                      publishTime: UInt64, dataLength: Int) {
        u8(MCAPOpcode.message.rawValue)
        u64(UInt64(2 + 4 + 8 + 8 + dataLength))
        u16(channel); u32(sequence); u64(logTime); u64(publishTime)
    }
}

extension ByteDecoder {
    mutating func schemaBody() throws -> MCAPSchema {
        MCAPSchema(id: try u16("schema id"), name: try string("schema name"),
                   encoding: try string("schema encoding"), data: try prefixedBytes32("schema data"))
    }

    mutating func channelBody() throws -> MCAPChannel {
        MCAPChannel(id: try u16("channel id"), schemaID: try u16("channel schema id"),
                    topic: try string("channel topic"), messageEncoding: try string("channel message encoding"),
                    metadata: try stringMap("channel metadata"))
    }

    mutating func chunkIndexBody() throws -> MCAPChunkIndex {
        MCAPChunkIndex(
            messageStartTime: try u64(), messageEndTime: try u64(), chunkStartOffset: try u64(),
            chunkLength: try u64(), messageIndexOffsets: try u16u64Map("chunk index message index offsets"),
            messageIndexLength: try u64(), compression: try string("chunk index compression"),
            compressedSize: try u64(), uncompressedSize: try u64())
    }

    mutating func statisticsBody() throws -> MCAPStatistics {
        var s = MCAPStatistics()
        s.messageCount = try u64(); s.schemaCount = try u16(); s.channelCount = try u32()
        s.attachmentCount = try u32(); s.metadataCount = try u32(); s.chunkCount = try u32()
        s.messageStartTime = try u64(); s.messageEndTime = try u64()
        s.channelMessageCounts = try u16u64Map("statistics channel message counts")
        return s
    }
}
