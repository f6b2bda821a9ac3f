import Foundation
import VLMBus

/// `vlm/Frame`: one image; its single blob holds `step * height` bytes of pixels, rows top to bottom.
public struct FrameMessage: TypedMessage {
    public static let messageType = FrameInfo.messageType
    public static let summary = "One image: header fields describe the pixels in the one blob that follows."
    public static let fieldDocs = [
        "width": "pixels per row", "height": "rows",
        "encoding": "rgb8, bgr8 or gray8 (other names are carried, not interpreted)",
        "step": "bytes per row, at least width x bytes per pixel",
    ]

    public var width: Int
    public var height: Int
    public var encoding: String
    public var step: Int
    /// The pixel blob (not a header field).
    public var pixels: Blob?

    enum CodingKeys: String, CodingKey { case width, height, encoding, step }

    public init(info: FrameInfo, pixels: Blob?) {
        width = info.width
        height = info.height
        encoding = info.encoding
        step = info.step
        self.pixels = pixels
    }

    public var info: FrameInfo { FrameInfo(width: width, height: height, encoding: encoding, step: step) }
    public var blobs: [Blob] { pixels.map { [$0] } ?? [] }

    /// Checks the fields as the protocol requires (positive, consistent) and that the blob holds
    /// every row (the last row may be short of `step` padding only when rows are packed).
    public init(message: BusMessage) throws {
        guard message.header.type == Self.messageType else {
            throw MessageDecodeError("expected \(Self.messageType), got type \"\(message.header.type)\"")
        }
        let info: FrameInfo
        do { info = try FrameInfo(header: message.header) } catch { throw MessageDecodeError("\(error)") }
        let rowBytes = info.width * (info.pixelEncoding?.bytesPerPixel ?? 1)
        // width, height, step < 2^31, so these products cannot overflow.
        guard let blob = message.blobs.first, blob.count >= (info.height - 1) * info.step + rowBytes else {
            throw MessageDecodeError("frame pixels do not match \(info.width)x\(info.height) step \(info.step)")
        }
        self.init(info: info, pixels: blob)
    }
}

/// `vlm/Text`: a UTF-8 text (a query list, prompts, a command).
public struct TextMessage: TypedMessage {
    public static let messageType = "vlm/Text"
    public static let summary = "A UTF-8 text: queries, prompts or a command. Readers also accept the text as the first blob."
    public static let fieldDocs = ["text": "the text; lists are comma-separated (\"red cup, blue bowl\")"]

    public var text: String

    public init(text: String) { self.text = text }

    /// The `text` field, else the first blob as UTF-8 (both forms are on the wire today).
    public init(message: BusMessage) throws {
        if let text = message.header.fields["text"]?.stringValue {
            self.text = text
        } else if let blob = message.blobs.first, let text = String(bytes: blob.bytes, encoding: .utf8) {
            self.text = text
        } else {
            throw MessageDecodeError("no \"text\" field and no UTF-8 blob")
        }
    }

    /// "red cup, blue bowl" -> ["red cup", "blue bowl"] (items trimmed, empty ones dropped).
    public var commaList: [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}

/// Fields the node runtime adds to every result computed from an input message (docs/protocol.md).
public struct ResultStamp: Codable, Sendable, Equatable {
    public static let fieldDocs = [
        "latency_ms": "publish time minus the source message's stamp_ns (absent when that is not a valid time)",
        "frames_received": "messages received on the source input so far",
        "frames_dropped": "messages of the source input this node did not process (gaps + overwritten)",
        "frames_overwritten": "messages replaced by newer ones (latest-wins) or evicted from a full queue",
    ]

    public var latencyMs: Double?
    public var framesReceived: UInt64?
    public var framesDropped: UInt64?
    public var framesOverwritten: UInt64?

    enum CodingKeys: String, CodingKey {
        case latencyMs = "latency_ms", framesReceived = "frames_received", framesDropped = "frames_dropped"
        case framesOverwritten = "frames_overwritten"
    }

    public init(latencyMs: Double?, framesReceived: UInt64?, framesDropped: UInt64?, framesOverwritten: UInt64?) {
        self.latencyMs = latencyMs
        self.framesReceived = framesReceived
        self.framesDropped = framesDropped
        self.framesOverwritten = framesOverwritten
    }

    /// The stamp fields of a received result (each nil when absent or of the wrong type).
    public init(header: MessageHeader) {
        let f = header.fields
        latencyMs = f["latency_ms"]?.doubleValue
        framesReceived = f["frames_received"]?.intValue.flatMap { $0 >= 0 ? UInt64($0) : nil }
        framesDropped = f["frames_dropped"]?.intValue.flatMap { $0 >= 0 ? UInt64($0) : nil }
        framesOverwritten = f["frames_overwritten"]?.intValue.flatMap { $0 >= 0 ? UInt64($0) : nil }
    }

    /// The header fields (absent values left out).
    public var fields: [String: JSONValue] {
        var f: [String: JSONValue] = [:]
        if let latencyMs, latencyMs.isFinite { f["latency_ms"] = .double(latencyMs) }
        if let framesReceived { f["frames_received"] = .int(Int64(clamping: framesReceived)) }
        if let framesDropped { f["frames_dropped"] = .int(Int64(clamping: framesDropped)) }
        if let framesOverwritten { f["frames_overwritten"] = .int(Int64(clamping: framesOverwritten)) }
        return f
    }

    /// Milliseconds from `sourceStampNs` to `nowNs`, or nil when the difference overflows (a
    /// hostile or corrupt stamp such as Int64.min): numbers from the wire never trap.
    public static func latencyMs(nowNs: Int64, sourceStampNs: Int64) -> Double? {
        let (diff, overflow) = nowNs.subtractingReportingOverflow(sourceStampNs)
        return overflow ? nil : Double(diff) / 1e6
    }
}
