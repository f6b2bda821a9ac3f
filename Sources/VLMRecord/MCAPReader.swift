// Opens an MCAP file: the summary (via the footer) when there is one, else a linear scan of record
// headers that stops cleanly at the first damaged or missing byte (a recorder that was killed).

/// Where a chunk or a loose (unchunked) message sits in the data section.
struct DataItem {
    enum Kind { case chunk, message }
    let kind: Kind
    let offset: UInt64
    /// Whole record length, opcode and length prefix included.
    let length: UInt64
    let startTime: UInt64
    let endTime: UInt64
    /// Channels inside (from the chunk index); empty means unknown.
    let channels: Set<UInt16>
}

/// Reads an MCAP file without loading it whole: one chunk at a time.
public final class MCAPReader {
    public let path: String
    public var fileSize: UInt64 { input.size }
    public private(set) var profile = ""
    public private(set) var library = ""
    public internal(set) var schemas: [UInt16: MCAPSchema] = [:]
    public internal(set) var channels: [UInt16: MCAPChannel] = [:]
    /// The Statistics record, when the file has a summary with one.
    public private(set) var statistics: MCAPStatistics?
    /// Chunk Index records from the summary, or rebuilt from chunk headers by a linear scan.
    public private(set) var chunkIndexes: [MCAPChunkIndex] = []
    /// True when the summary was used; false when the file was scanned record by record.
    public private(set) var usedSummary = false
    /// The damage a linear scan stopped at (a truncated or corrupt file); nil for a sound file.
    public private(set) var damage: MCAPError?
    /// Data End's data-section CRC (0: not recorded or not reached).
    public private(set) var dataSectionCRC: UInt32 = 0
    /// Where the summary section starts (from the footer), when it was used.
    public private(set) var summaryStart: UInt64?
    var dataEndScanned: (offset: UInt64, crc: UInt32)?

    let input: FileInput
    var items: [DataItem] = []
    private var decompressors = Decompressors()

    /// Opens `path`; throws `notMCAP` for other files. Damage past the header is not an error
    /// here: the reader recovers what precedes it and reports it in `damage`.
    public init(path: String) throws {
        self.path = path
        input = try FileInput(path: path)
        guard input.size >= 8 else { throw MCAPError.notMCAP(path: path) }
        let magic = try input.read(at: 0, count: 8, what: "magic")
        guard Array(magic.bytes) == mcapMagic else { throw MCAPError.notMCAP(path: path) }
        let headerEnd = try readHeader()
        if try !readSummary() {
            try scan(from: headerEnd)
        }
    }

    /// Topics in the file, sorted.
    public var topics: [String] { Array(Set(channels.values.map(\.topic))).sorted() }

    /// Messages in log-time order (ties in file order), optionally only some topics and a
    /// log-time window [start, end). Throws `unknownTopics` for topics the file does not have.
    public func messages(topics wanted: Set<String>? = nil, start: UInt64? = nil,
                         end: UInt64? = nil) throws -> MCAPMessageIterator {
        // After a scan, channels recorded inside chunks are not known yet: check only what is known.
        let channelsComplete = usedSummary || !items.contains { $0.kind == .chunk } || !channels.isEmpty
        if let wanted, channelsComplete {
            let missing = wanted.subtracting(Set(topics)).sorted()
            if !missing.isEmpty { throw MCAPError.unknownTopics(path: path, topics: missing, available: topics) }
        }
        let wantedIDs = wanted.map { w in Set(channels.values.filter { w.contains($0.topic) }.map(\.id)) }
        let selected = items.filter { item in
            if let start, item.endTime < start { return false }
            if let end, item.startTime >= end { return false }
            if let wantedIDs, !item.channels.isEmpty, item.channels.isDisjoint(with: wantedIDs) { return false }
            return true
        }
        return MCAPMessageIterator(reader: self, items: selected, topics: wanted, start: start, end: end)
    }

    // MARK: opening

    private func readHeader() throws -> UInt64 {
        let (op, length) = try recordPrefix(at: 8)
        guard op == MCAPOpcode.header.rawValue else {
            throw MCAPError.malformed(path: path, offset: 8, what: "first record is opcode 0x\(String(op, radix: 16)), not Header")
        }
        guard length <= input.size - 17 else {
            throw MCAPError.truncated(path: path, offset: 8, what: "Header record of \(length) bytes")
        }
        let body = try input.read(at: 17, count: Int(length), what: "Header")
        var d = ByteDecoder(body.bytes, base: 17, path: path)
        profile = try d.string("header profile")
        library = try d.string("header library")
        return 17 + length
    }

    /// (opcode, content length) of the record at `offset`.
    func recordPrefix(at offset: UInt64) throws -> (UInt8, UInt64) {
        let b = try input.read(at: offset, count: 9, what: "record prefix")
        var d = ByteDecoder(b.bytes, base: offset, path: path)
        return (try d.u8(), try d.u64())
    }

    /// Uses the footer and summary if both are present and sound; returns false to fall back to a scan.
    private func readSummary() throws -> Bool {
        let footerLength: UInt64 = 9 + 20
        guard input.size >= 8 + footerLength + 8 + 17 else { return false }
        let footerStart = input.size - 8 - footerLength
        let tail = try input.read(at: footerStart, count: Int(footerLength) + 8, what: "footer")
        guard Array(tail.bytes[Int(footerLength)...]) == mcapMagic else { return false }
        var d = ByteDecoder(tail.bytes, base: footerStart, path: path)
        guard try d.u8() == MCAPOpcode.footer.rawValue, try d.u64() == 20 else { return false }
        let summaryStart = try d.u64(), _ = try d.u64(), summaryCRC = try d.u32()
        guard summaryStart != 0, summaryStart < footerStart else { return false }
        // The summary plus the footer fields before its CRC: one read, checked, then parsed.
        let covered = try input.read(at: summaryStart, count: Int(footerStart - summaryStart) + 1 + 8 + 16, what: "summary")
        if summaryCRC != 0 {
            let computed = CRC32.update(0, covered.bytes)
            if computed != summaryCRC {
                throw MCAPError.crcMismatch(path: path, what: "summary section", offset: summaryStart, stored: summaryCRC, computed: computed)
            }
        }
        var s = ByteDecoder(UnsafeRawBufferPointer(rebasing: covered.bytes[..<Int(footerStart - summaryStart)]), base: summaryStart, path: path)
        var chunkItems: [DataItem] = []
        while s.remaining > 0 {
            let op = try s.u8("summary record opcode")
            let length = try s.length("summary record length")
            let start = s.fileOffset
            var body = ByteDecoder(try s.view(length, "summary record"), base: start, path: path)
            switch MCAPOpcode(rawValue: op) {
            case .schema:
                let schema = try body.schemaBody()
                if schema.id != 0 { schemas[schema.id] = schema }
            case .channel:
                let channel = try body.channelBody()
                channels[channel.id] = channel
            case .chunkIndex:
                let c = try body.chunkIndexBody()
                chunkIndexes.append(c)
                chunkItems.append(DataItem(kind: .chunk, offset: c.chunkStartOffset, length: c.chunkLength,
                                           startTime: c.messageStartTime, endTime: c.messageEndTime,
                                           channels: Set(c.messageIndexOffsets.keys)))
            case .statistics:
                statistics = try body.statisticsBody()
            default:
                break
            }
        }
        // Without chunk indexes the messages are unchunked (or the index is missing): scan instead.
        if chunkItems.isEmpty && (statistics?.messageCount ?? 1) > 0 { return false }
        items = chunkItems
        usedSummary = true
        self.summaryStart = summaryStart
        return true
    }

    /// Walks record headers from `offset` to Data End, noting chunks and loose messages and
    /// registering schemas/channels; stops at the first record that does not fit in the file.
    private func scan(from offset: UInt64) throws {
        var offset = offset
        while true {
            if offset == input.size { damage = .truncated(path: path, offset: offset, what: "file ends without Data End or footer"); return }
            guard offset + 9 <= input.size else {
                damage = .truncated(path: path, offset: offset, what: "incomplete record prefix"); return
            }
            let (op, length) = try recordPrefix(at: offset)
            guard length <= input.size - offset - 9 else {
                damage = .truncated(path: path, offset: offset,
                                    what: "record (opcode 0x\(String(op, radix: 16))) of \(length) bytes runs past the end of the file (\(input.size) bytes)")
                return
            }
            let recordLength = 9 + length
            switch MCAPOpcode(rawValue: op) {
            case .chunk:
                let head = try input.read(at: offset + 9, count: Int(min(length, 96)), what: "chunk header")
                var d = ByteDecoder(head.bytes, base: offset + 9, path: path)
                let start = try d.u64(), end = try d.u64(), uncompressed = try d.u64()
                _ = try d.u32()
                let compression = try d.string("chunk compression")
                let compressed = try d.u64("chunk records length")
                items.append(DataItem(kind: .chunk, offset: offset, length: recordLength,
                                      startTime: start, endTime: end, channels: []))
                chunkIndexes.append(MCAPChunkIndex(
                    messageStartTime: start, messageEndTime: end, chunkStartOffset: offset, chunkLength: recordLength,
                    messageIndexOffsets: [:], messageIndexLength: 0, compression: compression,
                    compressedSize: compressed, uncompressedSize: uncompressed))
            case .message:
                let head = try input.read(at: offset + 9, count: Int(min(length, 14)), what: "message header")
                var d = ByteDecoder(head.bytes, base: offset + 9, path: path)
                _ = try d.u16(); _ = try d.u32()
                let t = try d.u64()
                items.append(DataItem(kind: .message, offset: offset, length: recordLength, startTime: t, endTime: t, channels: []))
            case .schema, .channel:
                let body = try input.read(at: offset + 9, count: Int(length), what: "schema/channel")
                var d = ByteDecoder(body.bytes, base: offset + 9, path: path)
                if op == MCAPOpcode.schema.rawValue {
                    let schema = try d.schemaBody()
                    if schema.id != 0 { schemas[schema.id] = schema }
                } else {
                    let channel = try d.channelBody()
                    channels[channel.id] = channel
                }
            case .dataEnd:
                if length >= 4 {
                    let body = try input.read(at: offset + 9, count: 4, what: "data end")
                    var d = ByteDecoder(body.bytes, base: offset + 9, path: path)
                    dataSectionCRC = try d.u32()
                    dataEndScanned = (offset, dataSectionCRC)
                }
                return
            case .footer:
                return
            default:
                break
            }
            offset += recordLength
        }
    }

    // MARK: chunks

    /// Reads one item and returns its messages sorted by log time (stable), with their buffer.
    func load(_ item: DataItem) throws -> LoadedItem {
        let record = try input.read(at: item.offset, count: Int(clamping: item.length), what: item.kind == .chunk ? "chunk" : "message")
        // A record shorter than its 9-byte opcode + length header (found by Fuzz/ mcap).
        guard record.bytes.count >= 9 else { throw MCAPError.truncated(path: path, offset: item.offset, what: "record") }
        let content = UnsafeRawBufferPointer(rebasing: record.bytes[9...])
        switch item.kind {
        case .message:
            var entries: [LoadedItem.Entry] = []
            try parseRecords(record.bytes, base: item.offset, into: &entries, fileOffsetOfRecords: item.offset)
            return LoadedItem(buffer: record, bytes: record.bytes, entries: entries, fileOffset: item.offset)
        case .chunk:
            var d = ByteDecoder(content, base: item.offset + 9, path: path)
            _ = try d.u64(); _ = try d.u64()
            let uncompressedSize = try d.u64("chunk uncompressed size")
            let storedCRC = try d.u32()
            let compressionName = try d.string("chunk compression")
            let recordsLength = try d.length("chunk records length")
            let recordsStart = d.fileOffset
            let records = try d.view(recordsLength, "chunk records")
            guard uncompressedSize <= 1 << 32 else { throw d.fail("chunk claims \(uncompressedSize) uncompressed bytes") }
            let buffer: ByteBuffer
            let bytes: UnsafeRawBufferPointer
            switch MCAPCompression(rawValue: compressionName) {
            case .none?:
                buffer = record
                bytes = records
            case .zstd?, .lz4?:
                buffer = ByteBuffer(capacity: Int(uncompressedSize))
                do {
                    buffer.count = compressionName == "zstd"
                        ? try decompressors.zstd().decompress(records, into: buffer)
                        : try decompressors.lz4().decompress(records, into: buffer)
                } catch let MCAPError.compression(library, code, message) {
                    throw MCAPError.malformed(path: path, offset: item.offset, what: "chunk does not decompress (\(library) error \(code): \(message))")
                }
                bytes = buffer.bytes
            case nil:
                throw MCAPError.unsupportedCompression(path: path, name: compressionName, offset: item.offset)
            }
            guard bytes.count == Int(uncompressedSize) else {
                throw MCAPError.malformed(path: path, offset: item.offset, what: "chunk holds \(bytes.count) bytes, header says \(uncompressedSize)")
            }
            if storedCRC != 0 {
                let computed = CRC32.update(0, bytes)
                if computed != storedCRC {
                    throw MCAPError.crcMismatch(path: path, what: "chunk records", offset: item.offset, stored: storedCRC, computed: computed)
                }
            }
            var entries: [LoadedItem.Entry] = []
            // Offsets inside compressed records are not file offsets; name the chunk's records start instead.
            try parseRecords(bytes, base: compressionName.isEmpty ? recordsStart : item.offset, into: &entries, fileOffsetOfRecords: recordsStart)
            entries.sort { ($0.logTime, $0.order) < ($1.logTime, $1.order) }
            return LoadedItem(buffer: buffer, bytes: bytes, entries: entries, fileOffset: item.offset)
        }
    }

    private func parseRecords(_ bytes: UnsafeRawBufferPointer, base: UInt64, into entries: inout [LoadedItem.Entry],
                              fileOffsetOfRecords: UInt64) throws {
        var d = ByteDecoder(bytes, base: base, path: path)
        while d.remaining > 0 {
            let op = try d.u8("record opcode")
            let length = try d.length("record length")
            let bodyStart = d.position
            var body = ByteDecoder(try d.view(length, "record"), base: base + UInt64(bodyStart), path: path)
            switch MCAPOpcode(rawValue: op) {
            case .schema:
                let schema = try body.schemaBody()
                if schema.id != 0 { schemas[schema.id] = schema }
            case .channel:
                let channel = try body.channelBody()
                channels[channel.id] = channel
            case .message:
                let channel = try body.u16(), sequence = try body.u32(), logTime = try body.u64(), publishTime = try body.u64()
                entries.append(LoadedItem.Entry(channelID: channel, sequence: sequence, logTime: logTime, publishTime: publishTime,
                                                dataStart: bodyStart + 22, dataCount: length - 22, order: entries.count))
            default:
                break
            }
        }
    }
}

/// Decompression contexts, made on first use and reused for every chunk.
struct Decompressors {
    private var zstdContext: ZstdDecompressor?
    private var lz4Context: LZ4Decompressor?

    mutating func zstd() throws -> ZstdDecompressor {
        if let zstdContext { return zstdContext }
        let made = try ZstdDecompressor()
        zstdContext = made
        return made
    }

    mutating func lz4() throws -> LZ4Decompressor {
        if let lz4Context { return lz4Context }
        let made = try LZ4Decompressor()
        lz4Context = made
        return made
    }
}
