import CZMQ

/// Owns one libzmq socket. Not thread-safe: a socket is used from one thread at a time (libzmq
/// allows handing it to another thread across a full memory barrier, e.g. a lock or thread start).
final class ZMQSocket {
    let handle: UnsafeMutableRawPointer
    /// Kept so the context outlives the socket.
    let context: ZMQContext

    init(_ context: ZMQContext, type: Int32) throws {
        guard let s = zmq_socket(context.handle, type) else {
            throw ZMQError(code: ZMQError.lastErrno, operation: "create socket")
        }
        self.handle = s
        self.context = context
    }

    deinit { zmq_close(handle) }

    /// Socket types by name, so tests and tools need not import CZMQ.
    static let pub = ZMQ_PUB, sub = ZMQ_SUB, xpub = ZMQ_XPUB, xsub = ZMQ_XSUB

    func set(_ option: Int32, _ value: Int32, name: String) throws {
        var v = value
        try ZMQError.check(zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size),
                           "set \(name)")
    }

    func set(_ option: Int32, int64 value: Int64, name: String) throws {
        var v = value
        try ZMQError.check(zmq_setsockopt(handle, option, &v, MemoryLayout<Int64>.size), "set \(name)")
    }

    func set(_ option: Int32, bytes: [UInt8], name: String) throws {
        try bytes.withUnsafeBytes {
            try ZMQError.check(zmq_setsockopt(handle, option, $0.baseAddress, $0.count), "set \(name)")
        }
    }

    func getInt32(_ option: Int32, name: String) throws -> Int32 {
        var v: Int32 = 0
        var size = MemoryLayout<Int32>.size
        try ZMQError.check(zmq_getsockopt(handle, option, &v, &size), "get \(name)")
        return v
    }

    /// The endpoint the socket last bound, with wildcards resolved (`tcp://127.0.0.1:41234`).
    func lastEndpoint() throws -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        try ZMQError.check(zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size), "get ZMQ_LAST_ENDPOINT")
        return String(cString: buffer)
    }

    func bind(_ endpoint: String) throws {
        if Endpoint.needsIPv6(endpoint) { try set(ZMQ_IPV6, 1, name: "ZMQ_IPV6") }
        try ZMQError.check(zmq_bind(handle, endpoint), "bind", subject: endpoint)
    }

    func connect(_ endpoint: String) throws {
        if Endpoint.needsIPv6(endpoint) { try set(ZMQ_IPV6, 1, name: "ZMQ_IPV6") }
        try ZMQError.check(zmq_connect(handle, endpoint), "connect", subject: endpoint)
    }

    /// Sends one part. `msg` is copied by reference count (no byte copy for large payloads), so the
    /// caller's message stays valid. Returns false on EAGAIN (only with `ZMQ_DONTWAIT`).
    @discardableResult
    func send(_ msg: ZMQMessage, more: Bool, dontWait: Bool = false) throws -> Bool {
        let part = try ZMQMessage(referencing: msg)
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        if zmq_msg_send(part.pointer, handle, flags) == -1 {
            let code = ZMQError.lastErrno
            if code == EAGAIN { return false }
            throw ZMQError(code: code, operation: "send")
        }
        return true
    }

    /// Sends raw bytes as one part (copied by libzmq). Returns false on EAGAIN.
    @discardableResult
    func send(bytes: UnsafeRawBufferPointer, more: Bool, dontWait: Bool = false) throws -> Bool {
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        if zmq_send(handle, bytes.baseAddress, bytes.count, flags) == -1 {
            let code = ZMQError.lastErrno
            if code == EAGAIN { return false }
            throw ZMQError(code: code, operation: "send")
        }
        return true
    }

    /// Receives one part; nil on EAGAIN (timeout or `dontWait` with nothing queued). EINTR is
    /// reported as nil too: the caller's loop decides whether to try again.
    func receive(dontWait: Bool = false) throws -> ZMQMessage? {
        let msg = ZMQMessage()
        if zmq_msg_recv(msg.pointer, handle, dontWait ? ZMQ_DONTWAIT : 0) == -1 {
            let code = ZMQError.lastErrno
            if code == EAGAIN || code == EINTR { return nil }
            throw ZMQError(code: code, operation: "receive")
        }
        return msg
    }

    /// Receives a whole multipart message (libzmq delivers the parts atomically); nil on EAGAIN.
    func receiveMultipart(dontWait: Bool = false) throws -> [ZMQMessage]? {
        guard let first = try receive(dontWait: dontWait) else { return nil }
        var parts = [first]
        while zmq_msg_more(parts[parts.count - 1].pointer) != 0 {
            // The remaining parts are already here; a nil would mean the peer vanished mid-message.
            guard let next = try receive(dontWait: true) else { break }
            parts.append(next)
        }
        return parts
    }
}
