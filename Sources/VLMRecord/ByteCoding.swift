// Little-endian serialization of MCAP's field types (fixed-width ints, String, Bytes, Map).

/// Appends MCAP fields to a growing byte array.
struct ByteEncoder {
    var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        u32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }
    mutating func prefixedBytes32(_ b: [UInt8]) { u32(UInt32(b.count)); bytes.append(contentsOf: b) }
    mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    mutating func stringMap(_ map: [String: String]) {
        var inner = ByteEncoder()
        for key in map.keys.sorted() { inner.string(key); inner.string(map[key]!) }
        prefixedBytes32(inner.bytes)
    }
    mutating func u16u64Map(_ map: [UInt16: UInt64]) {
        u32(UInt32(map.count * 10))
        for key in map.keys.sorted() { u16(key); u64(map[key]!) }
    }

    /// Starts a record: opcode and a length placeholder; returns where the content begins.
    mutating func beginRecord(_ op: MCAPOpcode) -> Int {
        u8(op.rawValue)
        u64(0)
        return bytes.count
    }

    /// Fills in the length of the record begun at `contentStart`.
    mutating func endRecord(_ contentStart: Int) {
        let length = UInt64(bytes.count - contentStart).littleEndian
        withUnsafeBytes(of: length) { src in
            for i in 0..<8 { bytes[contentStart - 8 + i] = src[i] }
        }
    }
}

/// Reads MCAP fields from a byte range with bounds checks; `base` is the file offset of byte 0,
/// so errors can name where in the file the damage is.
struct ByteDecoder {
    let buffer: UnsafeRawBufferPointer
    var position: Int = 0
    let base: UInt64
    let path: String

    init(_ buffer: UnsafeRawBufferPointer, base: UInt64, path: String) {
        self.buffer = buffer; self.base = base; self.path = path
    }

    var remaining: Int { buffer.count - position }
    var fileOffset: UInt64 { base + UInt64(position) }

    func fail(_ what: String) -> MCAPError { .malformed(path: path, offset: fileOffset, what: what) }

    mutating func need(_ n: Int, _ what: String) throws {
        if n < 0 || n > remaining { throw fail("\(what) needs \(n) bytes, \(remaining) left") }
    }
    mutating func u8(_ what: String = "uint8") throws -> UInt8 {
        try need(1, what); defer { position += 1 }
        return buffer[position]
    }
    mutating func u16(_ what: String = "uint16") throws -> UInt16 {
        try need(2, what); defer { position += 2 }
        return UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: UInt16.self))
    }
    mutating func u32(_ what: String = "uint32") throws -> UInt32 {
        try need(4, what); defer { position += 4 }
        return UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }
    mutating func u64(_ what: String = "uint64") throws -> UInt64 {
        try need(8, what); defer { position += 8 }
        return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }
    /// A uint64 length, as an Int (huge values clamp, so the next bounds check rejects them).
    mutating func length(_ what: String) throws -> Int { Int(clamping: try u64(what)) }

    /// A view of the next `n` bytes (no copy).
    mutating func view(_ n: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        try need(n, what); defer { position += n }
        return UnsafeRawBufferPointer(rebasing: buffer[position..<(position + n)])
    }
    mutating func string(_ what: String) throws -> String {
        let n = Int(try u32(what))
        return String(decoding: try view(n, what), as: UTF8.self)
    }
    mutating func prefixedBytes32(_ what: String) throws -> [UInt8] {
        let n = Int(try u32(what))
        return Array(try view(n, what))
    }
    mutating func stringMap(_ what: String) throws -> [String: String] {
        let n = Int(try u32(what))
        var inner = ByteDecoder(try view(n, what), base: fileOffset - UInt64(n), path: path)
        var map: [String: String] = [:]
        while inner.remaining > 0 { map[try inner.string(what)] = try inner.string(what) }
        return map
    }
    mutating func u16u64Map(_ what: String) throws -> [UInt16: UInt64] {
        let n = Int(try u32(what))
        var inner = ByteDecoder(try view(n, what), base: fileOffset - UInt64(n), path: path)
        var map: [UInt16: UInt64] = [:]
        while inner.remaining > 0 { map[try inner.u16(what)] = try inner.u64(what) }
        return map
    }
}
