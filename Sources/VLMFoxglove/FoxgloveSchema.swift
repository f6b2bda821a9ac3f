import Foundation

/// A schema as MCAP schema records and Foxglove WebSocket `advertise` carry it.
public struct FoxgloveSchema: Sendable, Equatable {
    /// e.g. `foxglove.RawImage` or `vlm/Detections`.
    public let name: String
    /// `protobuf` (data = binary FileDescriptorSet) or `jsonschema` (data = the schema's JSON text).
    public let encoding: String
    public let data: [UInt8]
    /// The channel's message encoding that goes with it (`protobuf` or `json`).
    public let messageEncoding: String

    /// foxglove.RawImage: frames.
    public static let rawImage = protobuf("foxglove.RawImage", GeneratedDescriptors.rawImage)
    /// foxglove.CompressedImage: JPEG frames for browsers.
    public static let compressedImage = protobuf("foxglove.CompressedImage", GeneratedDescriptors.compressedImage)
    /// foxglove.ImageAnnotations: boxes, labels and points over a frame.
    public static let imageAnnotations = protobuf("foxglove.ImageAnnotations", GeneratedDescriptors.imageAnnotations)

    /// The JSON Schema channel of a vlmnode result type.
    public static func json(type: String) -> FoxgloveSchema {
        FoxgloveSchema(name: type, encoding: "jsonschema", data: Array(ResultSchemas.schemaText(forType: type).utf8),
                       messageEncoding: "json")
    }

    private static func protobuf(_ name: String, _ base64: String) -> FoxgloveSchema {
        FoxgloveSchema(name: name, encoding: "protobuf", data: Array(Data(base64Encoded: base64)!), messageEncoding: "protobuf")
    }

    /// What WebSocket `advertise` puts in `schema`: base64 for binary (protobuf) schemas, the text otherwise.
    public var advertisedSchema: String {
        encoding == "protobuf" ? Data(data).base64EncodedString() : String(decoding: data, as: UTF8.self)
    }

    /// The derived annotations topic of a result topic (`/perception/detections` → `…/annotations`).
    public static func annotationsTopic(for topic: String) -> String {
        topic.hasSuffix("/") ? topic + "annotations" : topic + "/annotations"
    }
}
