import Foundation

/// The launcher's stdout, written by a thread of its own through a bounded buffer, so a reader
/// that stops reading (a paused pager, a full pipe) never blocks the supervisor loop, which must
/// keep handling signals, reaping and respawning; lines that do not fit are dropped and counted.
/// A reader that goes away (EPIPE: `vlmnode launch x.launch | head -1`) is reported by
/// `readerGone`, and the supervisor then stops the launch.
final class ScreenWriter: @unchecked Sendable {
    /// Bytes waiting for the reader before new lines are dropped.
    static let capacity = 1 << 20

    private let fd: Int32
    private let condition = NSCondition()
    private var buffer: [UInt8] = []
    private var droppedLines = 0
    private var gone = false
    private var writing = false
    private var closed = false

    init(fd: Int32) {
        self.fd = fd
        let thread = Thread { [self] in self.run() }
        thread.name = "vlmlaunch-stdout"
        thread.start()
    }

    /// True once a write failed with EPIPE (or another error): nobody reads stdout any more.
    var readerGone: Bool {
        condition.lock()
        defer { condition.unlock() }
        return gone
    }

    /// Queues whole lines; never blocks (beyond the lock).
    func write(_ bytes: [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        guard !gone else { return }
        if buffer.count + bytes.count > Self.capacity {
            droppedLines += bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            return
        }
        if droppedLines > 0 {
            buffer += Array("[launch] \(droppedLines) lines dropped: stdout was not being read\n".utf8)
            droppedLines = 0
        }
        buffer += bytes
        condition.signal()
    }

    /// Waits up to `timeout` seconds for queued output to reach the reader (at the end of a launch).
    func drain(timeout: Double) {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while (!buffer.isEmpty || writing) && !gone {
            if !condition.wait(until: deadline) { return }
        }
    }

    /// Ends the thread once the queue is empty (a blocked write still ends it, when it returns).
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while buffer.isEmpty && !closed { condition.wait() }
            if buffer.isEmpty {
                condition.unlock()
                return
            }
            let chunk = buffer
            buffer.removeAll(keepingCapacity: true)
            writing = true
            condition.unlock()
            let ok = writeAll(chunk)
            condition.lock()
            writing = false
            if !ok {
                gone = true
                buffer.removeAll()
            }
            condition.broadcast()
            condition.unlock()
            if !ok { return }
        }
    }

    /// Blocking write of everything; false on EPIPE or any other error.
    private func writeAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }
}
