// Full-file verification: the data-section CRC (streamed, 1 MiB at a time) and every chunk's CRC.

extension MCAPReader {
    /// Streams the whole file once: checks the Data End CRC against the bytes before it, then
    /// loads every chunk (which checks its records CRC). Throws `crcMismatch` with the offset.
    public func verify() throws {
        if let dataEnd = try dataEndOffset(), dataEnd.crc != 0 {
            let block = ByteBuffer(capacity: 1 << 20)
            var crc: UInt32 = 0
            var offset: UInt64 = 0
            while offset < dataEnd.offset {
                let n = Int(min(UInt64(block.capacity), dataEnd.offset - offset))
                try input.read(at: offset, count: n, into: block, what: "data section")
                crc = CRC32.update(crc, block.bytes)
                offset += UInt64(n)
            }
            if crc != dataEnd.crc {
                throw MCAPError.crcMismatch(path: path, what: "data section", offset: 0, stored: dataEnd.crc, computed: crc)
            }
        }
        for item in items where item.kind == .chunk { _ = try load(item) }
    }

    /// The Data End record's offset and CRC: right before the summary, or found by the scan.
    private func dataEndOffset() throws -> (offset: UInt64, crc: UInt32)? {
        if let scanned = dataEndScanned { return scanned }
        guard usedSummary, let start = summaryStart, start >= 13 else { return nil }
        let (op, length) = try recordPrefix(at: start - 13)
        guard op == MCAPOpcode.dataEnd.rawValue, length == 4 else { return nil }
        let body = try input.read(at: start - 4, count: 4, what: "data end")
        var d = ByteDecoder(body.bytes, base: start - 4, path: path)
        return (start - 13, try d.u32())
    }
}
