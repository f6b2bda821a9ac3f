#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file memory-mapped read-only (MAP_PRIVATE). The one owner of the mapping: it is
/// unmapped when this object dies, so every view handed out must keep it alive.
///
/// If another process truncates the file while it is mapped, touching the lost pages raises
/// SIGBUS; checkpoints are treated as immutable, as PyTorch and safetensors also do.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    /// The whole file. Empty (and unmapped) for an empty file.
    public let bytes: UnsafeRawBufferPointer

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw Self.systemError("open", path) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 { throw Self.systemError("fstat", path) }
        if (info.st_mode & S_IFMT) != S_IFREG {
            throw CheckpointError(.io, "\(path): not a regular file")
        }
        let size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        if base == MAP_FAILED || base == nil { throw Self.systemError("mmap", path) }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }

    /// True when `view` lies entirely inside this mapping (used to prove zero-copy reads).
    public func contains(_ view: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return view.count == 0 }
        guard let start = view.baseAddress else { return view.count == 0 }
        return start >= base && start + view.count <= base + bytes.count
    }

    /// `count` bytes at `offset`, or nil when that range is not inside the file.
    func slice(_ offset: Int, _ count: Int) -> UnsafeRawBufferPointer? {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else { return nil }
        if count == 0 { return UnsafeRawBufferPointer(start: bytes.baseAddress.map { $0 + offset }, count: 0) }
        return UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + count])
    }

    private static func systemError(_ call: String, _ path: String) -> CheckpointError {
        let code = errno
        return CheckpointError(.io, "\(path): \(call) failed: \(String(cString: strerror(code))) (errno \(code))",
                               code: code)
    }
}

/// Bytes the reader had to produce itself (e.g. a non-contiguous tensor made contiguous).
final class OwnedBytes: @unchecked Sendable {
    let buffer: UnsafeMutableRawBufferPointer
    let count: Int
    init(count: Int) {
        self.count = count
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 64)
    }
    deinit { buffer.deallocate() }
    var view: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: buffer.baseAddress, count: count) }
}

/// Little-endian integer reads at unaligned offsets; callers check bounds first.
extension UnsafeRawBufferPointer {
    @inline(__always) func le16(_ at: Int) -> UInt16 { UInt16(littleEndian: loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
    @inline(__always) func le32(_ at: Int) -> UInt32 { UInt32(littleEndian: loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    @inline(__always) func le64(_ at: Int) -> UInt64 { UInt64(littleEndian: loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
}
