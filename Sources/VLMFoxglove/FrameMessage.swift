import Foundation
import SwiftProtobuf
import VLMBus

/// A `vlm/Frame` as a `foxglove.RawImage` protobuf message: the small fields first, then the
/// original vlmnode header JSON in field 1000 (outside the schema, so viewers skip it, and `play`
/// republishes the exact header), then `data` = the pixels, last, so a recorder appends the pixel
/// blob by reference after a prefix instead of copying it.
public enum FoxgloveFrame {
    /// Field number of the original wire header (not in foxglove.RawImage; readers ignore it).
    public static let headerField: UInt32 = 1000
    /// foxglove.RawImage's `data` field.
    static let dataField: UInt32 = 6

    /// Foxglove's name for a vlmnode pixel encoding (`gray8` is `mono8` there); nil if unknown.
    public static func foxgloveEncoding(_ encoding: String) -> String? {
        switch encoding {
        case "rgb8", "bgr8": return encoding
        case "gray8", "mono8": return "mono8"
        default: return nil
        }
    }

    /// The frame's fields, validated (dimensions positive, step × height = the pixel byte count).
    public struct Layout: Sendable, Equatable {
        public var width: Int, height: Int, step: Int
        public var encoding: String
        public var frameID: String

        /// nil if `header` is not a well-formed single-blob frame of `pixelBytes` bytes.
        public init?(header: MessageHeader, pixelBytes: Int) {
            guard header.type == "vlm/Frame",
                  let w = header.fields["width"]?.intValue, let h = header.fields["height"]?.intValue,
                  let s = header.fields["step"]?.intValue, w > 0, h > 0, s > 0, w <= UInt32.max, h <= UInt32.max, s <= UInt32.max,
                  let e = header.fields["encoding"]?.stringValue, let fe = FoxgloveFrame.foxgloveEncoding(e),
                  s * h == Int64(pixelBytes) else { return nil }
            width = Int(w); height = Int(h); step = Int(s); encoding = fe
            frameID = header.fields["frame_id"]?.stringValue ?? ""
        }
    }

    /// Nanoseconds since the epoch as a protobuf Timestamp.
    public static func timestamp(ns: Int64) -> Google_Protobuf_Timestamp {
        var t = Google_Protobuf_Timestamp()
        let (q, r) = ns.quotientAndRemainder(dividingBy: 1_000_000_000)
        t.seconds = r < 0 ? q - 1 : q
        t.nanos = Int32(r < 0 ? r + 1_000_000_000 : r)
        return t
    }

    /// Everything of the RawImage message before the pixel bytes: timestamp (= `stamp_ns`), frame
    /// id, size, encoding, step, the wire header, and `data`'s tag and length.
    public static func prefix(header: MessageHeader, headerJSON: [UInt8], layout: Layout, pixelBytes: Int) throws -> [UInt8] {
        var image = Foxglove_RawImage()
        image.timestamp = timestamp(ns: header.stampNs)
        image.frameID = layout.frameID
        image.width = UInt32(layout.width)
        image.height = UInt32(layout.height)
        image.encoding = layout.encoding
        image.step = UInt32(layout.step)
        var out: [UInt8] = try image.serializedBytes()
        out.reserveCapacity(out.count + headerJSON.count + 16)
        ProtoWire.appendLengthDelimitedHeader(field: headerField, length: headerJSON.count, to: &out)
        out += headerJSON
        ProtoWire.appendLengthDelimitedHeader(field: dataField, length: pixelBytes, to: &out)
        return out
    }

    /// The wire parts (header JSON, pixels) of a RawImage message written by `prefix` + pixels —
    /// views into `data`; throws if either is missing.
    public static func wireParts(of data: UnsafeRawBufferPointer) throws -> [UnsafeRawBufferPointer] {
        let fields = try ProtoWire.lengthDelimitedFields(data)
        guard let header = fields[headerField] else {
            throw ProtoWire.DecodeError(description: "foxglove.RawImage without the vlmnode header (field \(headerField)): not written by vlmnode")
        }
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        return [header, fields[dataField] ?? empty]
    }
}
