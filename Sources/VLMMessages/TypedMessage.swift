import Foundation
import VLMBus

/// One message type of the wire protocol (docs/protocol.md) as a Swift type.
///
/// The type's stored properties are its header fields (snake_case keys through `CodingKeys`); the
/// header codec and the JSON Schema both come from that one `Codable` definition, so they cannot
/// drift apart. Unknown header fields are ignored on decode (newer publishers may add fields).
public protocol TypedMessage: Codable, Sendable {
    /// The header's `"type"`, e.g. `vlm/Detections`.
    static var messageType: String { get }
    /// One sentence for the schema's description and the docs.
    static var summary: String { get }
    /// Descriptions of fields by key; nested objects' fields as `parent.child` (`detections.box`).
    static var fieldDocs: [String: String] { get }
    /// Results computed from a source message carry the runtime's stamp fields
    /// (`ResultStamp`: latency and the source input's counters) in their schema.
    static var isResult: Bool { get }
    /// Blob parts that follow the header (a frame's pixels); none for most types.
    var blobs: [Blob] { get }
    /// Decodes a received message: the header fields, and the blobs for types that carry them.
    init(message: BusMessage) throws
}

/// A message whose header does not match its type's definition.
public struct MessageDecodeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension TypedMessage {
    public static var fieldDocs: [String: String] { [:] }
    public static var isResult: Bool { false }
    public var blobs: [Blob] { [] }

    public init(message: BusMessage) throws { try self.init(header: message.header) }

    /// Decodes the type-specific fields of `header` (the type must match).
    public init(header: MessageHeader) throws {
        guard header.type == Self.messageType else {
            throw MessageDecodeError("expected \(Self.messageType), got type \"\(header.type)\"")
        }
        try self.init(fields: header.fields)
    }

    /// Decodes from header fields (standard keys ignored).
    public init(fields: [String: JSONValue]) throws {
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(JSONValue.object(fields).jsonText.utf8))
        } catch let error as DecodingError {
            throw MessageDecodeError("\(Self.messageType): \(DecodingErrorText.describe(error))")
        }
    }

    /// The header fields this message writes (non-finite numbers become `null`, as the envelope writes them).
    public func headerFields() throws -> [String: JSONValue] {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: NonFinite.marker, negativeInfinity: NonFinite.marker, nan: NonFinite.marker)
        let data = try encoder.encode(self)
        let object = try data.withUnsafeBytes { try JSONValue.parseObject($0) }
        return object.mapValues(NonFinite.restore)
    }

    /// A complete header: the standard fields plus this message's fields.
    public func header(seq: UInt64, stampNs: Int64 = BusClock.nowNs(), sourceSeq: UInt64? = nil,
                       sourceStampNs: Int64? = nil) throws -> MessageHeader {
        MessageHeader(type: Self.messageType, seq: seq, stampNs: stampNs, sourceSeq: sourceSeq,
                      sourceStampNs: sourceStampNs, fields: try headerFields())
    }
}

/// NaN and infinities are not JSON: the envelope writes them as `null`, and so do typed messages.
enum NonFinite {
    static let marker = "\u{1}vlm-non-finite\u{1}"

    static func restore(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(marker): return .null
        case .array(let items): return .array(items.map(restore))
        case .object(let o): return .object(o.mapValues(restore))
        default: return value
        }
    }
}

/// One line naming the field a `DecodingError` is about.
enum DecodingErrorText {
    static func describe(_ error: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String {
            let p = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return p.hasPrefix(".") ? String(p.dropFirst()) : p
        }
        switch error {
        case .keyNotFound(let key, let c):
            let parent = path(c)
            return "missing field \"\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)\""
        case .typeMismatch(let type, let c): return "field \"\(path(c))\": expected \(type)"
        case .valueNotFound(let type, let c): return "field \"\(path(c))\": expected \(type), got null"
        case .dataCorrupted(let c): return "field \"\(path(c))\": \(c.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
