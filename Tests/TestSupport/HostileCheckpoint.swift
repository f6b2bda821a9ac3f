import Foundation

/// Builds hostile copies of a torch.save zip (`pytorch_model.bin`) the way an attacker would:
/// the archive is re-written with one tensor's `_rebuild_tensor_v2` size and stride replaced.
/// Only stored entries of a small non-zip64 archive are handled (the committed fixtures).
public enum HostileCheckpoint {
    /// Entries of a stored zip, in archive order.
    public static func entries(_ zip: Data) throws -> [(name: String, data: Data)] {
        let b = [UInt8](zip)
        func le16(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
        func le32(_ i: Int) -> Int { le16(i) | le16(i + 2) << 16 }
        guard let eocd = stride(from: b.count - 22, through: 0, by: -1).first(where: { le32($0) == 0x0605_4B50 }) else {
            throw HostileCheckpointError("no end of central directory")
        }
        var p = le32(eocd + 16)
        var out: [(String, Data)] = []
        for _ in 0 ..< le16(eocd + 10) {
            guard le32(p) == 0x0201_4B50 else { throw HostileCheckpointError("bad central directory") }
            let size = le32(p + 24), nameLength = le16(p + 28), extra = le16(p + 30), comment = le16(p + 32)
            let local = le32(p + 42)
            let name = String(decoding: b[(p + 46) ..< (p + 46 + nameLength)], as: UTF8.self)
            let start = local + 30 + le16(local + 26) + le16(local + 28)
            out.append((name, Data(b[start ..< start + size])))
            p += 46 + nameLength + extra + comment
        }
        return out
    }

    /// A stored zip of `entries` (CRC-32 filled in, so Python's zipfile and torch.load read it too).
    public static func zip(_ entries: [(name: String, data: Data)]) -> Data {
        var out = Data(), directory = Data()
        func u16(_ v: Int, _ d: inout Data) { d.append(contentsOf: [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)]) }
        func u32(_ v: Int, _ d: inout Data) { u16(v & 0xFFFF, &d); u16(v >> 16 & 0xFFFF, &d) }
        for (name, data) in entries {
            let offset = out.count, crc = Int(crc32(data)), n = Data(name.utf8)
            u32(0x0403_4B50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0, &out)
            u32(crc, &out); u32(data.count, &out); u32(data.count, &out); u16(n.count, &out); u16(0, &out)
            out.append(n); out.append(data)
            u32(0x0201_4B50, &directory); u16(20, &directory); u16(20, &directory); u16(0, &directory); u16(0, &directory)
            u16(0, &directory); u16(0, &directory); u32(crc, &directory); u32(data.count, &directory); u32(data.count, &directory)
            u16(n.count, &directory); u16(0, &directory); u16(0, &directory); u16(0, &directory); u16(0, &directory)
            u32(0, &directory); u32(offset, &directory); directory.append(n)
        }
        let directoryOffset = out.count
        out.append(directory)
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(entries.count, &out); u16(entries.count, &out)
        u32(directory.count, &out); u32(directoryOffset, &out); u16(0, &out)
        return out
    }

    /// Pickle for a tuple of ints (MARK, LONG1 8-byte each, TUPLE).
    public static func pickleTuple(_ values: [Int]) -> [UInt8] {
        var out: [UInt8] = [0x28]
        for v in values {
            out += [0x8A, 8]
            out += withUnsafeBytes(of: Int64(v).littleEndian, Array.init)
        }
        return out + [0x74]
    }

    /// `pytorch_model.bin` with the first scalar tensor (size `()`, stride `()`, as torch writes
    /// `logit_scale`) given `size` and `stride` instead. The storage is left as it is.
    public static func patchScalar(_ bin: Data, size: [Int], stride: [Int]) throws -> Data {
        var entries = try entries(bin)
        guard let i = entries.firstIndex(where: { $0.name.hasSuffix("/data.pkl") }) else { throw HostileCheckpointError("no data.pkl") }
        var pickle = [UInt8](entries[i].data)
        // BINPERSID, BININT1 0 (offset), EMPTY_TUPLE (size), EMPTY_TUPLE (stride)
        let needle: [UInt8] = [0x51, 0x4B, 0x00, 0x29, 0x29]
        guard let at = (0 ... pickle.count - needle.count).first(where: { Array(pickle[$0 ..< $0 + needle.count]) == needle }) else {
            throw HostileCheckpointError("no scalar tensor in data.pkl")
        }
        pickle.replaceSubrange((at + 3) ..< (at + 5), with: pickleTuple(size) + pickleTuple(stride))
        entries[i].data = Data(pickle)
        return zip(entries)
    }

    /// Copies the model folder `source` to a fresh temporary folder whose pytorch_model.bin has
    /// its scalar patched (see `patchScalar`); returns the folder.
    public static func folder(from source: URL, size: [Int], stride: [Int]) throws -> URL {
        let dir = try makeTemporaryDirectory("vlmnode-hostile-bin")
        let fm = FileManager.default
        for name in try fm.contentsOfDirectory(atPath: source.path) where name != "pytorch_model.bin" {
            try fm.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        let bin = try Data(contentsOf: source.appendingPathComponent("pytorch_model.bin"))
        try patchScalar(bin, size: size, stride: stride).write(to: dir.appendingPathComponent("pytorch_model.bin"))
        return dir
    }

    static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0 ..< 8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

public struct HostileCheckpointError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Poisons a checkpoint the way a corrupted or malicious upload would.
public enum NaNPoison {
    /// Writes NaN into every element of the F32 `tensor` of a safetensors file.
    public static func safetensors(_ file: URL, tensor: String) throws {
        var bytes = [UInt8](try Data(contentsOf: file))
        let headerLength = bytes[0 ..< 8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard let header = try JSONSerialization.jsonObject(with: Data(bytes[8 ..< 8 + headerLength])) as? [String: Any],
              let entry = header[tensor] as? [String: Any], let offsets = entry["data_offsets"] as? [Int],
              entry["dtype"] as? String == "F32" else {
            throw HostileCheckpointError("\(file.path) has no F32 tensor '\(tensor)'")
        }
        let nan = withUnsafeBytes(of: Float.nan.bitPattern.littleEndian, Array.init)
        for at in stride(from: 8 + headerLength + offsets[0], to: 8 + headerLength + offsets[1], by: 4) {
            bytes.replaceSubrange(at ..< at + 4, with: nan)
        }
        try Data(bytes).write(to: file)
    }
}
