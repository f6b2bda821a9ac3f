/// Why a received multipart message was rejected. Rejected messages are skipped and counted.
public enum EnvelopeError: Error, Sendable, Equatable, CustomStringConvertible {
    case wrongPartCount(Int, expected: String)
    case badTopic
    case badJSON(String)
    case missingField(String)
    case badField(String, String)
    case unsupportedVersion(Int64)
    case blobSizeMismatch(String)
    case tooLarge(String)

    public var description: String {
        switch self {
        case .wrongPartCount(let n, let expected): return "message has \(n) parts, expected \(expected)"
        case .badTopic: return "topic part is not UTF-8"
        case .badJSON(let start): return "header is not a JSON object: \(start)"
        case .missingField(let key): return "header lacks \"\(key)\""
        case .badField(let key, let why): return "header field \"\(key)\": \(why)"
        case .unsupportedVersion(let v): return "protocol version \(v) is not supported (this side speaks v\(MessageHeader.protocolVersion))"
        case .blobSizeMismatch(let why): return "blob sizes do not add up: \(why)"
        case .tooLarge(let why): return "message too large: \(why)"
        }
    }
}

/// One sample on the bus: `[topic][header JSON][blob…]`.
public struct BusMessage: Sendable {
    public var topic: String
    public var header: MessageHeader
    public var blobs: [Blob]

    public init(topic: String, header: MessageHeader, blobs: [Blob] = []) {
        self.topic = topic
        self.header = header
        self.blobs = blobs
    }

    /// Set when the pixels are read in place from a publisher's shared-memory ring (`blobs[0]`
    /// then points into the slot): read them with `withFramePixels`, which detects a slot
    /// overwritten during the read.
    public internal(set) var sharedFrame: SharedFrame?

    /// Total bytes of all parts as they crossed the wire.
    public var wireByteCount: Int { wireBytes }
    var wireBytes: Int = 0

    /// The frame fields, for a `vlm/Frame` (validated on receipt).
    public var frame: FrameInfo? {
        header.type == FrameInfo.messageType ? try? FrameInfo(header: header) : nil
    }
}

/// Encodes and validates the multipart envelope (docs/protocol.md).
enum Envelope {
    /// The parts to send; the header gets the blob sizes so receivers can check them.
    static func encode(topic: String, header: MessageHeader, blobs: [Blob]) throws -> [ZMQMessage] {
        var h = header
        h.blobSizes = blobs.map(\.count)
        var parts: [ZMQMessage] = []
        parts.reserveCapacity(2 + blobs.count)
        var t = topic
        parts.append(try t.withUTF8 { try ZMQMessage(copying: UnsafeRawBufferPointer($0)) })
        var json = h.jsonText
        parts.append(try json.withUTF8 { try ZMQMessage(copying: UnsafeRawBufferPointer($0)) })
        for b in blobs { parts.append(b.message) }
        return parts
    }

    /// Checks a received multipart message; the blobs keep referencing libzmq's buffers.
    /// `limits` caps the header and every message type but `vlm/Frame` (whose size the frame
    /// fields fix); libzmq already capped each part at `maxMessageBytes`.
    static func decode(_ parts: [ZMQMessage], limits: BusLimits = .current) throws(EnvelopeError) -> BusMessage {
        guard parts.count >= 2 else { throw .wrongPartCount(parts.count, expected: "at least 2 (topic, header)") }
        guard parts[0].count <= 4096 else { throw .tooLarge("topic of \(parts[0].count) bytes (limit 4096)") }
        guard let topic = String(validating: parts[0].bytes, as: UTF8.self) else { throw .badTopic }
        guard parts[1].count <= limits.maxHeaderBytes else {
            throw .tooLarge("header of \(parts[1].count) bytes (limit \(limits.maxHeaderBytes), VLMBUS_MAX_HEADER_BYTES)")
        }
        let header = try MessageHeader(json: parts[1].bytes)
        if header.type != FrameInfo.messageType {
            let total = parts.reduce(0) { $0 &+ $1.count }
            guard total <= limits.maxDataMessageBytes else {
                throw .tooLarge("\(header.type) of \(total) bytes (limit \(limits.maxDataMessageBytes), VLMBUS_MAX_DATA_BYTES)")
            }
        }
        let blobs = parts.dropFirst(2).map { Blob(message: $0) }
        if let sizes = header.blobSizes {
            guard sizes.count == blobs.count else {
                throw .wrongPartCount(parts.count, expected: "\(2 + sizes.count) (header lists \(sizes.count) blobs)")
            }
            for (i, (want, blob)) in zip(sizes, blobs).enumerated() where want != blob.count {
                throw .blobSizeMismatch("blob \(i) has \(blob.count) bytes, header says \(want)")
            }
        }
        if header.type == FrameInfo.messageType {
            let frame = try FrameInfo(header: header)
            guard blobs.count == 1 else { throw .wrongPartCount(parts.count, expected: "3 for vlm/Frame") }
            guard blobs[0].count == frame.byteCount else {
                throw .blobSizeMismatch("frame \(frame.width)x\(frame.height) step \(frame.step) needs \(frame.byteCount) bytes, blob has \(blobs[0].count)")
            }
        }
        var message = BusMessage(topic: topic, header: header, blobs: blobs)
        message.wireBytes = parts.reduce(0) { $0 + $1.count }
        return message
    }
}
