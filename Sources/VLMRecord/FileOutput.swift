import Foundation

/// The writer's file descriptor (closed in deinit): appends bytes, tracks the offset, and keeps
/// the running CRC of everything written so far (the data-section CRC).
final class FileOutput {
    let path: String
    private(set) var fd: Int32
    private(set) var offset: UInt64 = 0
    /// CRC-32 of every byte written since the start of the file.
    private(set) var crc: UInt32 = 0

    /// `overwrite` false: an existing file (or symlink) at `path` is an error, never truncated.
    init(path: String, overwrite: Bool = true) throws {
        fd = open(path, O_WRONLY | O_CREAT | (overwrite ? O_TRUNC : O_EXCL) | O_CLOEXEC, 0o644)
        if fd < 0, errno == EEXIST, !overwrite {
            throw MCAPError.invalidUse("\(path): already exists; not overwriting it (pass --force to replace it)")
        }
        if fd < 0 { throw MCAPError.io(path: path, operation: "open for writing", errno: errno) }
        self.path = path
    }

    deinit { if fd >= 0 { Foundation.close(fd) } }

    /// Writes `bytes` and folds them into the running CRC.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try write(bytes, knownCRC: CRC32.update(0, bytes))
    }

    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Writes `bytes` whose CRC the caller already computed (so large payloads are read once).
    func write(_ bytes: UnsafeRawBufferPointer, knownCRC: UInt32) throws {
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw MCAPError.io(path: path, operation: "write", errno: errno)
            }
            done += n
        }
        offset += UInt64(bytes.count)
        crc = CRC32.combine(crc, knownCRC, lengthB: bytes.count)
    }

    func close() throws {
        guard fd >= 0 else { return }
        let result = Foundation.close(fd)
        fd = -1
        if result != 0 { throw MCAPError.io(path: path, operation: "close", errno: errno) }
    }
}
