import Foundation

// How a vlmnode wire message ([topic][header JSON][blob…], docs/protocol.md) is stored in MCAP.
// See docs/recording.md: the channel carries the topic; the message data carries every part
// after the topic, framed so the exact parts come back out.

/// The `x-vlmnode-multipart` message encoding: `u32 part_count`, `part_count × u32 length`, then
/// the parts' bytes back to back (all little-endian). Part 0 is the header JSON; the rest are blobs.
public enum WireEncoding {
    /// Channel `message_encoding` (custom encodings take the `x-` prefix, per the MCAP spec).
    public static let messageEncoding = "x-vlmnode-multipart"
    /// Header profile of files vlmnode records.
    public static let profile = "x-vlmnode"

    /// The framing bytes that precede the parts.
    public static func prefix(partSizes: [Int]) -> [UInt8] {
        var e = ByteEncoder(capacity: 4 + 4 * partSizes.count)
        e.u32(UInt32(partSizes.count))
        for size in partSizes { e.u32(UInt32(size)) }
        return e.bytes
    }

    /// Splits message data back into its parts (views into `data`); throws if the sizes do not add up.
    public static func parts(of data: UnsafeRawBufferPointer) throws -> [UnsafeRawBufferPointer] {
        var d = ByteDecoder(data, base: 0, path: messageEncoding)
        let count = Int(try d.u32("part count"))
        guard count <= d.remaining / 4 else { throw d.fail("part count \(count) exceeds the message size \(data.count)") }
        var sizes: [Int] = []
        sizes.reserveCapacity(count)
        for _ in 0..<count { sizes.append(Int(try d.u32("part length"))) }
        var parts: [UnsafeRawBufferPointer] = []
        for size in sizes { parts.append(try d.view(size, "part")) }
        guard d.remaining == 0 else { throw d.fail("\(d.remaining) bytes after the last part") }
        return parts
    }

    /// The fields of a wire header the recorder needs; missing fields are nil.
    public struct HeaderFields: Equatable, Sendable {
        public var type: String?
        public var seq: UInt64?
        public var stampNs: UInt64?
    }

    /// Reads `type`, `seq` and `stamp_ns` from a header JSON object (nil fields if absent or not JSON).
    public static func headerFields(_ header: UnsafeRawBufferPointer) -> HeaderFields {
        var fields = HeaderFields()
        guard header.count > 0,
              let object = try? JSONSerialization.jsonObject(with: Data(header)) as? [String: Any] else { return fields }
        fields.type = object["type"] as? String
        fields.seq = (object["seq"] as? NSNumber).map { $0.uint64Value }
        fields.stampNs = (object["stamp_ns"] as? NSNumber).map { $0.uint64Value }
        return fields
    }
}

/// Writes wire messages to an MCAP file: one channel per (topic, message type), a schema per type.
public final class WireRecordingWriter {
    public let writer: MCAPWriter
    private var channelIDs: [String: UInt16] = [:]
    private var sequences: [UInt16: UInt32] = [:]

    public init(path: String, options: MCAPWriterOptions = MCAPWriterOptions()) throws {
        var options = options
        options.profile = WireEncoding.profile
        writer = try MCAPWriter(path: path, options: options)
    }

    /// Records one wire message: `parts` is everything after the topic (header JSON, then blobs),
    /// kept by reference until its chunk is written. `receiveTime` (ns) becomes log_time and the
    /// header's `stamp_ns` publish_time.
    public func write(topic: String, parts: [any MCAPPayload], receiveTime: UInt64) throws {
        let fields = parts.first.map { p in p.withPayloadBytes { WireEncoding.headerFields($0) } } ?? WireEncoding.HeaderFields()
        let type = fields.type ?? "unknown"
        let key = topic + "\u{0}" + type
        let channelID: UInt16
        if let id = channelIDs[key] {
            channelID = id
        } else {
            let schemaID = try writer.addSchema(name: type, encoding: "", data: [])
            channelID = try writer.addChannel(topic: topic, messageEncoding: WireEncoding.messageEncoding, schemaID: schemaID,
                                              metadata: ["vlmnode.type": type])
            channelIDs[key] = channelID
        }
        let sequence: UInt32
        if let seq = fields.seq {
            sequence = UInt32(truncatingIfNeeded: seq)
        } else {
            sequence = sequences[channelID, default: 0]
            sequences[channelID] = sequence &+ 1
        }
        let prefix = WireEncoding.prefix(partSizes: parts.map(\.payloadCount))
        try writer.addMessage(channelID: channelID, sequence: sequence, logTime: receiveTime,
                              publishTime: fields.stampNs ?? receiveTime, parts: [prefix] + parts)
    }

    public func flushChunk() throws { try writer.flushChunk() }
    public func finish() throws { try writer.finish() }
}
