import CZMQ
import Foundation

/// Owns one `zmq_msg_t` (and, through it, its payload). The struct lives at a fixed heap address
/// because libzmq forbids moving an initialised `zmq_msg_t`.
final class ZMQMessage: @unchecked Sendable {
    // A message is owned by one holder at a time; libzmq's content reference count is atomic, so
    // reference copies may be released on any thread.
    let pointer: UnsafeMutablePointer<zmq_msg_t>

    /// An empty message to receive into.
    init() {
        pointer = .allocate(capacity: 1)
        zmq_msg_init(pointer)
    }

    /// A message holding a copy of `bytes`.
    init(copying bytes: UnsafeRawBufferPointer) throws {
        pointer = .allocate(capacity: 1)
        guard zmq_msg_init_size(pointer, bytes.count) == 0 else {
            let code = ZMQError.lastErrno
            pointer.deallocate()
            throw ZMQError(code: code, operation: "allocate a \(bytes.count)-byte message")
        }
        if bytes.count > 0 { zmq_msg_data(pointer).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
    }

    /// A message that takes ownership of a `malloc`'d buffer and `free`s it when libzmq is done
    /// with it (possibly on libzmq's I/O thread).
    init(takingOwnershipOf buffer: UnsafeMutableRawPointer, count: Int) throws {
        pointer = .allocate(capacity: 1)
        guard zmq_msg_init_data(pointer, buffer, count, { data, _ in free(data) }, nil) == 0 else {
            let code = ZMQError.lastErrno
            pointer.deallocate()
            free(buffer)
            throw ZMQError(code: code, operation: "wrap a \(count)-byte buffer")
        }
    }

    /// A message over memory it does not own (a shared-memory slot): `owner` is retained until
    /// libzmq and every reference are done with the bytes, then released (on any thread).
    init(wrapping bytes: UnsafeMutableRawPointer, count: Int, owner: AnyObject) throws {
        pointer = .allocate(capacity: 1)
        let hint = Unmanaged.passRetained(owner).toOpaque()
        guard zmq_msg_init_data(pointer, bytes, count, { _, hint in Unmanaged<AnyObject>.fromOpaque(hint!).release() }, hint) == 0 else {
            let code = ZMQError.lastErrno
            pointer.deallocate()
            Unmanaged<AnyObject>.fromOpaque(hint).release()
            throw ZMQError(code: code, operation: "wrap \(count) shared bytes")
        }
    }

    /// A second reference to `other`'s payload (reference counted by libzmq; no byte copy except
    /// for very small messages that libzmq stores inline).
    init(referencing other: ZMQMessage) throws {
        pointer = .allocate(capacity: 1)
        zmq_msg_init(pointer)
        guard zmq_msg_copy(pointer, other.pointer) == 0 else {
            let code = ZMQError.lastErrno
            zmq_msg_close(pointer)
            pointer.deallocate()
            throw ZMQError(code: code, operation: "reference a message")
        }
    }

    deinit {
        zmq_msg_close(pointer)
        pointer.deallocate()
    }

    var count: Int { zmq_msg_size(pointer) }

    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: zmq_msg_data(pointer), count: zmq_msg_size(pointer))
    }
}

/// An immutable binary payload of a bus message (a frame's pixels, a mask…), held by a ZeroMQ
/// message so it can be sent and received without copying the bytes.
///
/// Sending the same `Blob` several times, or forwarding a received one, shares the bytes.
public struct Blob: @unchecked Sendable {
    // Immutable after init; see ZMQMessage for why sharing across threads is safe.
    let message: ZMQMessage
    /// Set when the bytes are a publisher's shared-memory slot (checked reads: `withCheckedBytes`).
    var sharedFrame: SharedFrame?

    init(message: ZMQMessage, sharedFrame: SharedFrame? = nil) {
        self.message = message
        self.sharedFrame = sharedFrame
    }

    /// Takes ownership of `buffer`, which must come from `malloc` (or `posix_memalign`) and must
    /// not be written to afterwards; it is `free`d when the last in-flight copy has been sent.
    /// Use this for frames: nothing is copied.
    public init(takingOwnershipOf buffer: UnsafeMutableRawPointer, count: Int) throws {
        message = try ZMQMessage(takingOwnershipOf: buffer, count: count)
    }

    /// Copies `bytes` (for small payloads).
    public init(_ bytes: [UInt8]) throws {
        message = try bytes.withUnsafeBytes { try ZMQMessage(copying: $0) }
    }

    /// Copies `data` (for small payloads).
    public init(_ data: Data) throws {
        message = try data.withUnsafeBytes { try ZMQMessage(copying: $0) }
    }

    /// Byte count.
    public var count: Int { message.count }

    /// Reads the bytes in place; the pointer is valid only inside `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(message) { try body(message.bytes) }
    }

    /// A copy of the bytes as an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}
