import Foundation

/// A read-only file descriptor (closed in deinit) read with pread at explicit offsets, so the
/// reader can jump between summary, chunks and indexes without loading the whole file.
final class FileInput {
    let path: String
    let fd: Int32
    let size: UInt64

    init(path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw MCAPError.io(path: path, operation: "open", errno: errno) }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let code = errno
            Foundation.close(fd)
            throw MCAPError.io(path: path, operation: "stat", errno: code)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            Foundation.close(fd)
            throw MCAPError.io(path: path, operation: "open", errno: EISDIR)
        }
        self.path = path
        size = UInt64(st.st_size)
    }

    deinit { Foundation.close(fd) }

    /// Reads exactly `count` bytes at `offset` into `buffer` (from its start); fails if the file is shorter.
    func read(at offset: UInt64, count: Int, into buffer: ByteBuffer, what: String) throws {
        precondition(count <= buffer.capacity)
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw MCAPError.truncated(path: path, offset: offset, what: "\(what) needs \(count) bytes, file ends at byte \(size)")
        }
        var done = 0
        while done < count {
            let n = pread(fd, buffer.pointer + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw MCAPError.io(path: path, operation: "read", errno: errno)
            }
            if n == 0 {
                throw MCAPError.truncated(path: path, offset: offset + UInt64(done), what: "\(what): unexpected end of file")
            }
            done += n
        }
        buffer.count = count
    }

    /// Reads `count` bytes at `offset` into a fresh buffer.
    func read(at offset: UInt64, count: Int, what: String) throws -> ByteBuffer {
        // Check before allocating: a damaged length field must not become a huge allocation.
        guard count >= 0, offset <= size, UInt64(count) <= size - offset else {
            throw MCAPError.truncated(path: path, offset: offset, what: "\(what) needs \(count) bytes, file ends at byte \(size)")
        }
        let buffer = ByteBuffer(capacity: count)
        try read(at: offset, count: count, into: buffer, what: what)
        return buffer
    }
}
