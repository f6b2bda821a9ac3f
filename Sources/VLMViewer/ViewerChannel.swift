import Foundation
import VLMBus
import VLMFoxglove

/// A channel the viewer advertises: one per bus topic and representation.
public struct ViewerChannel: Sendable, Equatable {
    /// What the channel carries.
    public enum Kind: String, Sendable {
        /// foxglove.RawImage, as recordings store frames.
        case rawImage
        /// foxglove.CompressedImage (JPEG) of the same frames, for browsers and slow links.
        case jpeg
        /// The wire header of a result, `json` with its JSON Schema.
        case json
        /// foxglove.ImageAnnotations derived from a result.
        case annotations
    }

    public let id: UInt32
    /// The advertised topic (`/camera/image/compressed`, `/detections/annotations`, …).
    public let topic: String
    /// The bus topic it comes from.
    public let sourceTopic: String
    public let kind: Kind
    public let schema: FoxgloveSchema

    /// Images are "latest wins" per client; other channels queue a little.
    public var latestOnly: Bool { kind == .rawImage || kind == .jpeg }

    /// The advertised topic of a (bus topic, kind) pair.
    public static func topic(for source: String, kind: Kind) -> String {
        switch kind {
        case .rawImage, .json: return source
        case .jpeg: return source.hasSuffix("/") ? source + "compressed" : source + "/compressed"
        case .annotations: return FoxgloveSchema.annotationsTopic(for: source)
        }
    }

    /// The channel as the `advertise` op lists it.
    public var advertised: JSONValue {
        ["id": .int(Int64(id)), "topic": .string(topic), "encoding": .string(schema.messageEncoding),
         "schemaName": .string(schema.name), "schema": .string(schema.advertisedSchema),
         "schemaEncoding": .string(schema.encoding)]
    }
}

/// The Foxglove WebSocket protocol's JSON and binary messages (server side).
public enum FoxgloveProtocol {
    /// Subprotocol names accepted, in order of preference: the current name and the name
    /// Lichtblick (before Dec 2025) and older Foxglove clients offer. Same protocol.
    public static let subprotocols = ["foxglove.sdk.v1", "foxglove.websocket.v1"]

    /// The subprotocol to echo for a `Sec-WebSocket-Protocol` request header; nil: refuse.
    public static func negotiate(_ offered: String?) -> String? {
        guard let offered else { return nil }
        let names = offered.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return names.first { subprotocols.contains($0) }
    }

    public static func serverInfo(name: String, sessionID: String) -> String {
        JSONValue.object(["op": "serverInfo", "name": .string(name), "capabilities": ["clientPublish"],
                          "supportedEncodings": ["json"], "metadata": [:], "sessionId": .string(sessionID)]).jsonText
    }

    public static func advertise(_ channels: [ViewerChannel]) -> String {
        JSONValue.object(["op": "advertise", "channels": .array(channels.map(\.advertised))]).jsonText
    }

    public static func unadvertise(_ ids: [UInt32]) -> String {
        JSONValue.object(["op": "unadvertise", "channelIds": .array(ids.map { .int(Int64($0)) })]).jsonText
    }

    /// `level` 0 info, 1 warning, 2 error.
    public static func status(level: Int, message: String) -> String {
        JSONValue.object(["op": "status", "level": .int(Int64(level)), "message": .string(message)]).jsonText
    }

    /// Opcode 1 (message data): `u8 1 | u32 subscription id | u64 log time ns | payload`, little-endian.
    public static func messageDataHeader(subscriptionID: UInt32, logTime: UInt64) -> [UInt8] {
        var out: [UInt8] = [1]
        out.reserveCapacity(13)
        withUnsafeBytes(of: subscriptionID.littleEndian) { out += $0 }
        withUnsafeBytes(of: logTime.littleEndian) { out += $0 }
        return out
    }
}
