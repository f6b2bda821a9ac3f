import CZMQ

/// Owns one libzmq context. Sockets keep their context alive, so the context is terminated only
/// after its last socket is closed; termination then waits for each socket's linger period, which
/// is what flushes a publisher's last messages at exit.
public final class ZMQContext: @unchecked Sendable {
    // zmq contexts are thread-safe; the pointer never changes after init.
    let handle: UnsafeMutableRawPointer

    /// A context shared by subscribers and tools in this process (never terminated).
    public static let shared: ZMQContext = try! ZMQContext()

    /// - Parameter ioThreads: libzmq I/O threads; one is enough below ~1 GB/s.
    public init(ioThreads: Int32 = 1) throws {
        guard let ctx = zmq_ctx_new() else {
            throw ZMQError(code: ZMQError.lastErrno, operation: "create context")
        }
        handle = ctx
        try ZMQError.check(zmq_ctx_set(ctx, ZMQ_IO_THREADS, ioThreads), "set ZMQ_IO_THREADS")
    }

    deinit {
        // EINTR means a signal arrived while waiting for lingering messages: keep waiting.
        while zmq_ctx_term(handle) == -1 && ZMQError.lastErrno == EINTR {}
    }
}
