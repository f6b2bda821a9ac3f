/// The entries of a zip file read from its central directory (zip64 included), over a memory
/// map. Only stored (uncompressed) entries can be viewed: that is what torch.save writes, and
/// it lets tensors be views into the map. Deflated entries are reported, not inflated.
struct ZipArchive: Sendable {
    struct Entry: Sendable {
        let name: String
        let method: UInt16
        let compressedSize: Int
        let size: Int
        let localHeaderOffset: Int
    }

    let file: MappedFile
    let entries: [String: Entry]

    init(file: MappedFile) throws {
        self.file = file
        let bytes = file.bytes
        let path = file.path
        func bad(_ message: String) -> CheckpointError { CheckpointError(.malformed, "\(path): zip: \(message)") }

        // End of central directory: 22 bytes plus a comment of up to 65535 bytes, at the end.
        let eocdSize = 22
        guard bytes.count >= eocdSize else { throw bad("file is too short to be a zip archive") }
        var eocd = -1
        var at = bytes.count - eocdSize
        let lowest = max(0, bytes.count - eocdSize - 0xFFFF)
        while at >= lowest {
            if bytes.le32(at) == 0x0605_4B50, at + eocdSize + Int(bytes.le16(at + 20)) == bytes.count { eocd = at; break }
            at -= 1
        }
        guard eocd >= 0 else { throw bad("no end-of-central-directory record (not a zip file?)") }
        var count = Int(bytes.le16(eocd + 10))
        var directorySize = Int(bytes.le32(eocd + 12))
        var directoryOffset = Int(bytes.le32(eocd + 16))

        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // zip64: a 20-byte locator right before the EOCD points at the zip64 EOCD record.
            let locator = eocd - 20
            guard locator >= 0, bytes.le32(locator) == 0x0706_4B50 else { throw bad("zip64 locator missing") }
            let record64 = bytes.le64(locator + 8)
            guard bytes.count >= 56, record64 <= UInt64(bytes.count - 56), bytes.le32(Int(record64)) == 0x0606_4B50 else {
                throw bad("zip64 end-of-central-directory record missing or outside the file")
            }
            let r = Int(record64)
            let (c64, s64, o64) = (bytes.le64(r + 32), bytes.le64(r + 40), bytes.le64(r + 48))
            guard c64 <= UInt64(bytes.count), s64 <= UInt64(bytes.count), o64 <= UInt64(bytes.count) else {
                throw bad("zip64 central directory fields are larger than the file")
            }
            (count, directorySize, directoryOffset) = (Int(c64), Int(s64), Int(o64))
        }
        guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
            throw bad("central directory at \(directoryOffset) (+\(directorySize)) lies outside the file")
        }

        var entries: [String: Entry] = [:]
        var p = directoryOffset
        let end = directoryOffset + directorySize
        for _ in 0 ..< count {
            guard end - p >= 46, bytes.le32(p) == 0x0201_4B50 else { throw bad("damaged central directory entry at byte \(p)") }
            let method = bytes.le16(p + 10)
            var compressed = UInt64(bytes.le32(p + 20))
            var size = UInt64(bytes.le32(p + 24))
            let nameLength = Int(bytes.le16(p + 28))
            let extraLength = Int(bytes.le16(p + 30))
            let commentLength = Int(bytes.le16(p + 32))
            var local = UInt64(bytes.le32(p + 42))
            guard end - p - 46 >= nameLength + extraLength + commentLength else { throw bad("central directory entry at byte \(p) is truncated") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[p + 46 ..< p + 46 + nameLength]), as: UTF8.self)

            // The zip64 extra field holds, in order, only the fields whose 32-bit value is 0xFFFFFFFF.
            var x = p + 46 + nameLength
            let extraEnd = x + extraLength
            while extraEnd - x >= 4 {
                let tag = bytes.le16(x), length = Int(bytes.le16(x + 2))
                guard extraEnd - x - 4 >= length else { throw bad("entry '\(name)' has a truncated extra field") }
                if tag == 0x0001 {
                    var f = x + 4
                    func next() throws -> UInt64 {
                        guard f + 8 <= x + 4 + length else { throw bad("entry '\(name)' has a short zip64 extra field") }
                        defer { f += 8 }
                        return bytes.le64(f)
                    }
                    if size == 0xFFFF_FFFF { size = try next() }
                    if compressed == 0xFFFF_FFFF { compressed = try next() }
                    if local == 0xFFFF_FFFF { local = try next() }
                }
                x += 4 + length
            }
            guard size <= UInt64(bytes.count) * 1024, compressed <= UInt64(bytes.count), local <= UInt64(bytes.count) else {
                throw bad("entry '\(name)' has sizes or offsets beyond the file")
            }
            if entries[name] != nil { throw bad("entry '\(name)' appears twice") }
            entries[name] = Entry(name: name, method: method, compressedSize: Int(compressed), size: Int(size),
                                  localHeaderOffset: Int(local))
            p += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }

    /// Everything about `entry` that the central directory can tell, without touching its data:
    /// stored, consistent sizes, and header + data inside the file.
    func checkReadable(_ entry: Entry) throws {
        let path = file.path
        guard entry.method == 0 else {
            let how = entry.method == 8 ? "deflate-compressed" : "compressed (method \(entry.method))"
            throw CheckpointError(.unsupported, "\(path): zip entry '\(entry.name)' is \(how); only stored entries are supported (torch.save writes them stored)")
        }
        guard entry.compressedSize == entry.size else {
            throw CheckpointError(.malformed, "\(path): zip: stored entry '\(entry.name)' has different compressed and uncompressed sizes")
        }
        guard entry.localHeaderOffset <= file.bytes.count - 30, entry.size <= file.bytes.count - 30 - entry.localHeaderOffset else {
            throw CheckpointError(.malformed, "\(path): zip: entry '\(entry.name)' (\(entry.size) bytes at \(entry.localHeaderOffset)) runs past the end of the file")
        }
    }

    /// The stored bytes of `entry`, a view into the map.
    func data(_ entry: Entry) throws -> UnsafeRawBufferPointer {
        let bytes = file.bytes
        let path = file.path
        try checkReadable(entry)
        let h = entry.localHeaderOffset
        guard bytes.le32(h) == 0x0403_4B50 else {
            throw CheckpointError(.malformed, "\(path): zip: local header of '\(entry.name)' missing at byte \(h)")
        }
        let start = h + 30 + Int(bytes.le16(h + 26)) + Int(bytes.le16(h + 28))
        guard let view = file.slice(start, entry.size) else {
            throw CheckpointError(.malformed, "\(path): zip: data of '\(entry.name)' (\(entry.size) bytes at \(start)) runs past the end of the file")
        }
        return view
    }
}
