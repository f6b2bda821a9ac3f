import Foundation
import VLMBus

// The bus side of record and play: bus messages in, wire parts out. The bus hands over parsed
// headers, so a recorded header is `MessageHeader.jsonText`, VLMBus's canonical form — the exact
// bytes a VLMBus publisher sent. Blobs are recorded straight from libzmq's buffers.

extension Blob: MCAPPayload {
    public var payloadCount: Int { count }
    public func withPayloadBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension BusMessage {
    /// The parts after the topic, as the recorder stores them: header JSON, then the blobs (by reference).
    public var recordedParts: [any MCAPPayload] {
        [Array(header.jsonText.utf8)] + blobs.map { $0 as any MCAPPayload }
    }

    /// `recordedParts` safe to keep: a shared-memory frame is copied out of its ring slot (and
    /// recorded as the inline `vlm/Frame` it stands for); nil when the slot was overwritten before
    /// the copy completed (counted by the subscriber as torn).
    public var recordableParts: [any MCAPPayload]? { detachedFromSharedMemory()?.recordedParts }
}

/// A recorded message made ready to publish: header parsed, blobs copied into libzmq messages.
public struct PreparedBusMessage: Sendable {
    public let topic: String
    public let header: MessageHeader
    public let blobs: [Blob]

    /// Parses the header part and copies each blob once into a libzmq message.
    public init(topic: String, recordedParts parts: [UnsafeRawBufferPointer]) throws {
        guard let headerBytes = parts.first else {
            throw MCAPError.invalidUse("recorded message on \(topic) has no header part")
        }
        do { header = try MessageHeader(json: headerBytes) } catch {
            throw MCAPError.invalidUse("recorded message on \(topic) has an invalid header: \(error)")
        }
        var blobs: [Blob] = []
        blobs.reserveCapacity(parts.count - 1)
        for part in parts.dropFirst() {
            guard let buffer = malloc(max(part.count, 1)) else { throw MCAPError.invalidUse("out of memory for a \(part.count)-byte blob") }
            if part.count > 0 { buffer.copyMemory(from: part.baseAddress!, byteCount: part.count) }
            blobs.append(try Blob(takingOwnershipOf: buffer, count: part.count))
        }
        self.topic = topic
        self.blobs = blobs
    }
}

extension Publisher {
    /// Publishes a prepared recorded message (VLMBus re-encodes the header canonically).
    public func publish(_ message: PreparedBusMessage) throws {
        try publish(topic: message.topic, header: message.header, blobs: message.blobs)
    }

    /// Stages a prepared recorded message ahead of its send time (`publish(_: StagedMessage)`).
    public func stage(_ message: PreparedBusMessage) throws -> StagedMessage {
        try stage(topic: message.topic, header: message.header, blobs: message.blobs)
    }
}

/// A bounded hand-off between the receiving thread (which stamps receive times) and the writing
/// thread, so a slow disk write never delays the next receive timestamp. Bounded in bytes: when
/// full, new messages are dropped and counted (the recorder never grows without limit).
public final class RecordingQueue: @unchecked Sendable {
    public struct Item {
        public let topic: String
        public let parts: [any MCAPPayload]
        public let receiveTime: UInt64
        let size: Int
    }

    private let condition = NSCondition()
    private var items: [Item] = []
    private var head = 0
    private var bytes = 0
    private var closed = false
    public let capacityBytes: Int
    public private(set) var dropped: UInt64 = 0

    public init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    /// Adds a message; false (and counted) if the queue is full.
    @discardableResult
    public func push(topic: String, parts: [any MCAPPayload], receiveTime: UInt64) -> Bool {
        let size = parts.reduce(0) { $0 + $1.payloadCount }
        condition.lock(); defer { condition.unlock() }
        if bytes + size > capacityBytes && items.count > head {
            dropped += 1
            return false
        }
        items.append(Item(topic: topic, parts: parts, receiveTime: receiveTime, size: size))
        bytes += size
        condition.signal()
        return true
    }

    /// The oldest message; nil after `timeout` seconds, or once closed and empty.
    public func pop(timeout: Double) -> Item? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock(); defer { condition.unlock() }
        while head == items.count {
            if closed || !condition.wait(until: deadline) { if head == items.count { return nil } }
        }
        let item = items[head]
        head += 1
        bytes -= item.size
        if head > 1024 && head * 2 > items.count { items.removeFirst(head); head = 0 }
        return item
    }

    /// No more pushes: `pop` drains what is left, then returns nil.
    public func close() { condition.lock(); closed = true; condition.broadcast(); condition.unlock() }

    /// True once `close()` was called and every message was taken.
    public var isClosedAndEmpty: Bool { condition.lock(); defer { condition.unlock() }; return closed && head == items.count }

    public var droppedCount: UInt64 { condition.lock(); defer { condition.unlock() }; return dropped }
}
