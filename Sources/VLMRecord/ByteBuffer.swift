import Foundation

/// A heap buffer with a stable address, freed in deinit. Decompressed chunks live in one, and
/// every message read from the chunk keeps it alive (messages are views, not copies).
public final class ByteBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutableRawPointer
    public let capacity: Int
    /// Bytes in use (at most `capacity`).
    public var count: Int

    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 64)
        count = 0
    }

    deinit { pointer.deallocate() }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: pointer, count: count) }
}

/// One payload the writer keeps by reference until its chunk is written (no copy of large frames).
/// `Data`, `[UInt8]` and `ByteBuffer` all conform.
public protocol MCAPPayload {
    var payloadCount: Int { get }
    func withPayloadBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Data: MCAPPayload {
    public var payloadCount: Int { count }
    public func withPayloadBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension Array: MCAPPayload where Element == UInt8 {
    public var payloadCount: Int { count }
    public func withPayloadBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension ByteBuffer: MCAPPayload {
    public var payloadCount: Int { count }
    public func withPayloadBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(bytes)
    }
}
