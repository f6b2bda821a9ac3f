// The few protobuf wire-format pieces swift-protobuf does not expose for our zero-copy paths: a
// length-delimited field header (so a frame's pixel bytes can follow a small prefix without being
// copied into a message) and a field scanner that returns views (so play finds the pixels without
// decoding a copy). Everything else goes through the generated SwiftProtobuf types.

/// Protobuf wire-format helpers (little-endian varints, tags).
public enum ProtoWire {
    /// Appends `value` as a base-128 varint.
    public static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
    }

    /// Appends the tag and length of a length-delimited (wire type 2) field; its bytes follow.
    public static func appendLengthDelimitedHeader(field: UInt32, length: Int, to out: inout [UInt8]) {
        appendVarint(UInt64(field) << 3 | 2, to: &out)
        appendVarint(UInt64(length), to: &out)
    }

    /// A malformed protobuf message.
    public struct DecodeError: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// The length-delimited fields of a message as views into `data`, by field number (the last
    /// occurrence wins, as protobuf's merge rule for scalars). Other wire types are skipped.
    public static func lengthDelimitedFields(_ data: UnsafeRawBufferPointer) throws -> [UInt32: UnsafeRawBufferPointer] {
        var fields: [UInt32: UnsafeRawBufferPointer] = [:]
        var i = 0
        func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < data.count else { throw DecodeError(description: "truncated varint at byte \(i)") }
                let b = data[i]; i += 1
                guard shift < 64 else { throw DecodeError(description: "varint longer than 10 bytes at byte \(i)") }
                result |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return result }
                shift += 7
            }
        }
        func skip(_ n: Int) throws {
            guard n >= 0, n <= data.count - i else { throw DecodeError(description: "field of \(n) bytes overruns the message at byte \(i)") }
            i += n
        }
        while i < data.count {
            let tag = try varint()
            let field = UInt32(truncatingIfNeeded: tag >> 3)
            switch tag & 7 {
            case 0: _ = try varint()
            case 1: try skip(8)
            case 5: try skip(4)
            case 2:
                let length = try varint()
                guard length <= UInt64(data.count - i) else {
                    throw DecodeError(description: "field \(field) of \(length) bytes overruns the message at byte \(i)")
                }
                fields[field] = UnsafeRawBufferPointer(rebasing: data[i..<(i + Int(length))])
                i += Int(length)
            default: throw DecodeError(description: "unsupported wire type \(tag & 7) at byte \(i)")
            }
        }
        return fields
    }
}
