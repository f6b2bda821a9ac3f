import Foundation
import SwiftProtobuf
import VLMBus
import VLMFoxglove

// The Foxglove-native layout of a recording (docs/recording.md, docs/viewing.md): frames as
// foxglove.RawImage (protobuf), header-only results as json + jsonschema, a derived
// foxglove.ImageAnnotations channel per result topic that refers to frames, and the old
// x-vlmnode-multipart framing only for what fits none of these (results with blobs, bad headers).

/// The file writers `Recorder` can use.
public protocol RecordingFileWriter: AnyObject {
    var writer: MCAPWriter { get }
    func write(topic: String, parts: [any MCAPPayload], receiveTime: UInt64) throws
    func flushChunk() throws
    func finish() throws
}

extension WireRecordingWriter: RecordingFileWriter {}

/// How a recording stores messages.
public enum RecordFormat: String, Sendable, CaseIterable {
    /// Foxglove well-known schemas (the default): opens in Foxglove, Lichtblick and Rerun.
    case foxglove
    /// Every part in `x-vlmnode-multipart`, no schemas (vlmnode's own tools only).
    case native
}

/// Channel metadata keys vlmnode writes.
public enum RecordedChannel {
    /// The vlmnode message type of a channel.
    public static let typeKey = "vlmnode.type"
    /// Set on channels `play` must not republish (value: what they derive, e.g. `annotations`).
    public static let derivedKey = "vlmnode.derived"

    /// The wire parts after the topic (header JSON, blobs) of a recorded message, as views into
    /// `data`; nil for derived channels, which are not wire messages.
    public static func wireParts(channel: MCAPChannel, data: UnsafeRawBufferPointer) throws -> [UnsafeRawBufferPointer]? {
        if channel.metadata[derivedKey] != nil { return nil }
        switch channel.messageEncoding {
        case WireEncoding.messageEncoding: return try WireEncoding.parts(of: data)
        case "json": return [data]
        case "protobuf" where channel.metadata[typeKey] == "vlm/Frame":
            do { return try FoxgloveFrame.wireParts(of: data) } catch {
                throw MCAPError.invalidUse("channel \(channel.topic): \(error)")
            }
        default: return [data]
        }
    }
}

/// Writes wire messages as Foxglove-native channels (one per topic and kind of message).
public final class FoxgloveRecordingWriter: RecordingFileWriter {
    public let writer: MCAPWriter
    private var channelIDs: [String: UInt16] = [:]
    private var sequences: [UInt16: UInt32] = [:]
    private var schemaIDs: [String: UInt16] = [:]

    public init(path: String, options: MCAPWriterOptions = MCAPWriterOptions()) throws {
        var options = options
        options.profile = ""  // the MCAP spec's profile for non-ROS files; viewers need no profile
        writer = try MCAPWriter(path: path, options: options)
    }

    private func channel(topic: String, schema: FoxgloveSchema?, type: String, messageEncoding: String,
                         derived: String? = nil) throws -> UInt16 {
        let key = [topic, type, messageEncoding, derived ?? ""].joined(separator: "\u{0}")
        if let id = channelIDs[key] { return id }
        var schemaID: UInt16 = 0
        if let schema {
            let schemaKey = schema.name + "\u{0}" + schema.encoding
            if let id = schemaIDs[schemaKey] { schemaID = id } else {
                schemaID = try writer.addSchema(name: schema.name, encoding: schema.encoding, data: schema.data)
                schemaIDs[schemaKey] = schemaID
            }
        } else {
            schemaID = try writer.addSchema(name: type, encoding: "", data: [])
        }
        var metadata = [RecordedChannel.typeKey: type]
        if let derived { metadata[RecordedChannel.derivedKey] = derived }
        let id = try writer.addChannel(topic: topic, messageEncoding: messageEncoding, schemaID: schemaID, metadata: metadata)
        channelIDs[key] = id
        return id
    }

    private func nextSequence(_ channel: UInt16, seq: UInt64?) -> UInt32 {
        if let seq { return UInt32(truncatingIfNeeded: seq) }
        let s = sequences[channel, default: 0]
        sequences[channel] = s &+ 1
        return s
    }

    /// Records one wire message (`parts` = header JSON, then blobs, kept by reference until
    /// written). log_time = `receiveTime`, publish_time = the header's `stamp_ns`.
    public func write(topic: String, parts: [any MCAPPayload], receiveTime: UInt64) throws {
        let headerBytes: [UInt8] = parts.first.map { p in p.withPayloadBytes { Array($0) } } ?? []
        let header = headerBytes.withUnsafeBytes { try? MessageHeader(json: $0) }
        guard let header else { return try writeMultipart(topic: topic, type: "unknown", seq: nil, stamp: nil, parts: parts, receiveTime: receiveTime) }
        let stamp = UInt64(clamping: max(header.stampNs, 0))
        if header.type == "vlm/Frame", parts.count == 2, let layout = FoxgloveFrame.Layout(header: header, pixelBytes: parts[1].payloadCount) {
            let id = try channel(topic: topic, schema: .rawImage, type: header.type, messageEncoding: "protobuf")
            let prefix = try FoxgloveFrame.prefix(header: header, headerJSON: headerBytes, layout: layout, pixelBytes: parts[1].payloadCount)
            try writer.addMessage(channelID: id, sequence: nextSequence(id, seq: header.seq), logTime: receiveTime,
                                  publishTime: stamp, parts: [prefix, parts[1]])
            return
        }
        guard parts.count == 1 else {
            return try writeMultipart(topic: topic, type: header.type, seq: header.seq, stamp: stamp, parts: parts, receiveTime: receiveTime)
        }
        let id = try channel(topic: topic, schema: .json(type: header.type), type: header.type, messageEncoding: "json")
        try writer.addMessage(channelID: id, sequence: nextSequence(id, seq: header.seq), logTime: receiveTime,
                              publishTime: stamp, data: headerBytes)
        if let annotations = ResultAnnotations.annotations(for: header), let source = header.sourceStampNs {
            let aid = try channel(topic: FoxgloveSchema.annotationsTopic(for: topic), schema: .imageAnnotations, type: header.type,
                                  messageEncoding: "protobuf", derived: "annotations")
            let bytes: [UInt8] = try annotations.serializedBytes()
            try writer.addMessage(channelID: aid, sequence: nextSequence(aid, seq: header.seq), logTime: receiveTime,
                                  publishTime: UInt64(clamping: max(source, 0)), data: bytes)
        }
    }

    private func writeMultipart(topic: String, type: String, seq: UInt64?, stamp: UInt64?, parts: [any MCAPPayload],
                                receiveTime: UInt64) throws {
        let id = try channel(topic: topic, schema: nil, type: type, messageEncoding: WireEncoding.messageEncoding)
        let prefix = WireEncoding.prefix(partSizes: parts.map(\.payloadCount))
        try writer.addMessage(channelID: id, sequence: nextSequence(id, seq: seq), logTime: receiveTime,
                              publishTime: stamp ?? receiveTime, parts: [prefix] + parts)
    }

    public func flushChunk() throws { try writer.flushChunk() }
    public func finish() throws { try writer.finish() }
}
