import Foundation

/// A publisher's shared-memory state: who asked for what, and the frame rings.
final class ShmPublishing {
    var subscriptions = ShmSubscriptions()
    let writer = ShmFrameWriter()

    /// What `@shm:` subscribers get for a message published with `publish` (the player's path):
    /// a well-formed frame goes into the ring, anything else is mirrored.
    func sharedParts(_ parts: [ZMQMessage], topic: String, header: MessageHeader, blobs: [Blob]) throws -> [ZMQMessage] {
        guard header.type == FrameInfo.messageType, blobs.count == 1, let frame = try? FrameInfo(header: header),
              frame.byteCount == blobs[0].count else { return try mirrored(parts, topic: topic) }
        var h = header
        h.blobSizes = nil
        return try sharedFrameParts(topic: topic, header: h, byteCount: frame.byteCount) { slot in
            blobs[0].withUnsafeBytes { slot.copyMemory(from: $0) }
        }
    }

    /// The parts of `parts` (an encoded message on `topic`) re-sent on the `@shm:` topic.
    func mirrored(_ parts: [ZMQMessage], topic: String) throws -> [ZMQMessage] {
        var t = SharedMemoryTopic.marker + topic
        return [try t.withUTF8 { try ZMQMessage(copying: UnsafeRawBufferPointer($0)) }] + parts.dropFirst()
    }

    /// Writes a frame into its ring and encodes the `vlm/SharedFrame` reference message.
    func sharedFrameParts(topic: String, header: MessageHeader, byteCount: Int,
                          fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws -> [ZMQMessage] {
        let ref = try writer.write(topic: topic, byteCount: byteCount, fill: fill)
        var h = header
        h.type = ShmFrameRef.messageType
        h.fields["shm"] = ref.json
        return try Envelope.encode(topic: SharedMemoryTopic.marker + topic, header: h, blobs: [])
    }
}

extension Publisher {
    /// Publishes a `vlm/Frame` whose pixels `fill` writes into the buffer it is handed (exactly
    /// `frame.byteCount` bytes). With same-host shared-memory subscribers the buffer is a ring
    /// slot, so a decoder or scaler writes each frame once and nothing is copied afterwards.
    public func publishFrame(topic: String, seq: UInt64, stampNs: Int64, frame: FrameInfo,
                             fields: [String: JSONValue] = [:],
                             fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        try publishFrameRouted(topic: topic, seq: seq, stampNs: stampNs, frame: frame, fields: fields, pixels: nil,
                               writePixels: fill)
    }

    /// Publishes `pixels` (by reference inline, one copy into a ring slot for shared memory).
    func publishFrameRouted(topic: String, seq: UInt64, stampNs: Int64, frame: FrameInfo, fields: [String: JSONValue],
                            pixels: Blob) throws {
        try publishFrameRouted(topic: topic, seq: seq, stampNs: stampNs, frame: frame, fields: fields, pixels: pixels) { slot in
            pixels.withUnsafeBytes { slot.copyMemory(from: $0) }
        }
    }

    /// Frames to shared-memory subscribers go into the ring through `writePixels`; inline
    /// subscribers get `pixels` by reference or, without it, a copy of the slot (or a fresh fill).
    private func publishFrameRouted(topic: String, seq: UInt64, stampNs: Int64, frame: FrameInfo,
                                    fields: [String: JSONValue], pixels: Blob?,
                                    writePixels: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        let header = MessageHeader(type: FrameInfo.messageType, seq: seq, stampNs: stampNs,
                                   fields: fields.merging(frame.fields) { _, frameField in frameField })
        let byteCount = frame.byteCount
        try sendRouted(topic: topic) { route, shm, send in
            var slotCopy: UnsafeMutableRawBufferPointer?
            if route.shared {
                try send(try shm.sharedFrameParts(topic: topic, header: header, byteCount: byteCount) { slot in
                    try writePixels(slot)
                    if pixels == nil && route.plain { slotCopy = slot }
                })
            }
            if route.plain {
                let blob: Blob
                if let pixels {
                    blob = pixels
                } else {
                    guard let buffer = malloc(max(byteCount, 1)) else { throw ShmError(code: ENOMEM, message: "inline frame") }
                    let target = UnsafeMutableRawBufferPointer(start: buffer, count: byteCount)
                    // Both kinds subscribed: the inline copy comes from the slot just written
                    // (still under the publisher's lock, so not yet overwritten).
                    if let slotCopy { target.copyMemory(from: UnsafeRawBufferPointer(slotCopy)) } else { try writePixels(target) }
                    blob = try Blob(takingOwnershipOf: buffer, count: byteCount)
                }
                try send(try Envelope.encode(topic: topic, header: header, blobs: [blob]))
            }
        }
    }

    /// Slots per ring for frame topics created from now on (at least 2; default 6: four readers
    /// that each pin one frame, plus two spare).
    public var sharedMemorySlots: Int {
        get { withSharedMemory { $0.writer.slotsPerRing } }
        set { withSharedMemory { $0.writer.slotsPerRing = max(newValue, 2) } }
    }

    /// Shared-memory counters.
    public var sharedMemoryStats: SharedMemoryPublisherStats { withSharedMemory { $0.writer.stats } }
}

/// A message made ready ahead of its send time (`Publisher.stage`): encoded, and — for a frame
/// that same-host subscribers take through shared memory — already written into a ring slot, so
/// the send at the deadline only hands a small reference to the socket. Send it once.
public struct StagedMessage: @unchecked Sendable {
    // Immutable; the parts are sent at most once, by the publisher that staged them.
    let topic: String
    let header: MessageHeader
    let blobs: [Blob]
    let plain: [ZMQMessage]
    let shared: [ZMQMessage]?
}

extension Publisher {
    /// Prepares a message for `publish(_:)`: the player stages each recorded frame before its
    /// deadline, so the 6 MB copy into the ring does not land between the deadline and the send.
    public func stage(topic: String, header: MessageHeader, blobs: [Blob] = []) throws -> StagedMessage {
        let parts = try Envelope.encode(topic: topic, header: header, blobs: blobs)
        let shared = try withSharedMemory { shm -> [ZMQMessage]? in
            shm.subscriptions.route(topic).shared ? try shm.sharedParts(parts, topic: topic, header: header, blobs: blobs) : nil
        }
        return StagedMessage(topic: topic, header: header, blobs: blobs, plain: parts, shared: shared)
    }

    /// Sends a staged message to whoever subscribes now (a shared-memory subscriber that appeared
    /// since staging gets its slot written here).
    public func publish(_ staged: StagedMessage) throws {
        try sendRouted(topic: staged.topic) { route, shm, send in
            if route.plain { try send(staged.plain) }
            if route.shared {
                try send(try staged.shared ?? shm.sharedParts(staged.plain, topic: staged.topic, header: staged.header,
                                                              blobs: staged.blobs))
            }
        }
    }
}
