// Full-file verification: the data-section CRC (streamed, 1 MiB at a time) and every chunk's CRC.

extension MCAPReader {
    /// Streams the whole file once: checks the Data End CRC against the bytes before it, then
    /// loads every chunk (which checks its records CRC). Throws `crcMismatch` with the offset.
    /// Also checks the structure a lenient read recovers from: damage a scan stopped at, a
    /// Footer whose length or summary_start is wrong, a Data End that is missing or not where
    /// the summary (or footer) starts.
    public func verify() throws {
        try verifyStructure()
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

    private func verifyStructure() throws {
        if let damage { throw damage }
        if let footerProblem { throw MCAPError.malformed(path: path, offset: input.size - 37, what: footerProblem) }
        let footerStart = input.size - 37
        let closing = input.size >= 8 + 17 + 37 ? try input.read(at: input.size - 8, count: 8, what: "closing magic") : nil
        // The buffer must outlive the view of its bytes.
        let endsWithMagic = closing.map { buffer in withExtendedLifetime(buffer) { Array(buffer.bytes) == mcapMagic } } ?? false
        guard endsWithMagic else {
            throw MCAPError.truncated(path: path, offset: input.size, what: "file does not end with a Footer and the MCAP magic")
        }
        guard let dataEnd = try dataEndOffset() else {
            throw MCAPError.malformed(path: path, offset: summaryStart ?? footerStart,
                                      what: "no 4-byte Data End record before the \(usedSummary ? "summary" : "footer")")
        }
        // After Data End come the summary (if any) and the footer, nothing else.
        let next = dataEnd.offset + 13
        let expected = summaryStart ?? footerStart
        if usedSummary ? next != expected : next > footerStart {
            throw MCAPError.malformed(path: path, offset: next,
                                      what: "Data End is followed by byte \(next), but the \(usedSummary ? "Footer's summary_start" : "footer") is at \(expected)")
        }
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
