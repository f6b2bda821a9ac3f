import Foundation

/// Everything that can go wrong reading or writing an MCAP file. Each case names the thing that is
/// wrong and, for damaged files, the byte offset where the damage starts.
public enum MCAPError: Error, CustomStringConvertible, Equatable {
    /// The file does not start with the MCAP magic bytes.
    case notMCAP(path: String)
    /// A system call failed (the errno is kept).
    case io(path: String, operation: String, errno: Int32)
    /// A record runs past the end of the file (or its enclosing record).
    case truncated(path: String, offset: UInt64, what: String)
    /// A record's fields do not add up.
    case malformed(path: String, offset: UInt64, what: String)
    /// A stored CRC-32 does not match the bytes.
    case crcMismatch(path: String, what: String, offset: UInt64, stored: UInt32, computed: UInt32)
    /// A chunk uses a compression this build cannot decode.
    case unsupportedCompression(path: String, name: String, offset: UInt64)
    /// zstd or lz4 reported an error (the library's own code and message are kept).
    case compression(library: String, code: Int, message: String)
    /// A message refers to a channel that no Channel record defined.
    case unknownChannel(path: String, id: UInt16, offset: UInt64)
    /// A topic filter names topics the file does not contain.
    case unknownTopics(path: String, topics: [String], available: [String])
    /// The writer was used after `finish()` or with an unknown channel/schema id.
    case invalidUse(String)

    public var description: String {
        switch self {
        case .notMCAP(let path):
            return "\(path): not an MCAP file (missing magic bytes 89 4D 43 41 50 30 0D 0A)"
        case .io(let path, let operation, let code):
            return "\(path): \(operation) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .truncated(let path, let offset, let what):
            return "\(path): truncated at byte \(offset): \(what)"
        case .malformed(let path, let offset, let what):
            return "\(path): malformed record at byte \(offset): \(what)"
        case .crcMismatch(let path, let what, let offset, let stored, let computed):
            return "\(path): CRC mismatch in \(what) at byte \(offset): stored "
                + "0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16))"
        case .unsupportedCompression(let path, let name, let offset):
            return "\(path): chunk at byte \(offset) uses unsupported compression '\(name)'"
        case .compression(let library, let code, let message):
            return "\(library) error \(code): \(message)"
        case .unknownChannel(let path, let id, let offset):
            return "\(path): message at byte \(offset) refers to undefined channel id \(id)"
        case .unknownTopics(let path, let topics, let available):
            return "\(path): no such topic(s) \(topics.joined(separator: ", ")); "
                + "the file has: \(available.isEmpty ? "(none)" : available.joined(separator: ", "))"
        case .invalidUse(let what):
            return what
        }
    }
}
