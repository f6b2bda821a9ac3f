/// Pixel layouts a `vlm/Frame` may carry.
public enum PixelEncoding: String, Sendable, CaseIterable {
    case rgb8, bgr8, gray8

    public var bytesPerPixel: Int { self == .gray8 ? 1 : 3 }
}

/// The frame-specific header fields of a `vlm/Frame` message; its one blob holds
/// `step * height` bytes of pixels, rows top to bottom.
public struct FrameInfo: Sendable, Equatable {
    public static let messageType = "vlm/Frame"

    public var width: Int
    public var height: Int
    /// The wire name (`rgb8`, `bgr8`, `gray8`); other names are carried but not interpreted.
    public var encoding: String
    /// Bytes per row, at least `width * bytesPerPixel`.
    public var step: Int

    /// Tightly packed rows.
    public init(width: Int, height: Int, encoding: PixelEncoding) {
        self.init(width: width, height: height, encoding: encoding.rawValue, step: width * encoding.bytesPerPixel)
    }

    public init(width: Int, height: Int, encoding: String, step: Int) {
        self.width = width
        self.height = height
        self.encoding = encoding
        self.step = step
    }

    /// Bytes in the pixel blob.
    public var byteCount: Int { step * height }

    public var pixelEncoding: PixelEncoding? { PixelEncoding(rawValue: encoding) }

    /// The header fields for this frame.
    public var fields: [String: JSONValue] {
        ["width": .int(Int64(width)), "height": .int(Int64(height)),
         "encoding": .string(encoding), "step": .int(Int64(step))]
    }

    /// Reads and checks the frame fields of `header` (dimensions positive and consistent).
    public init(header: MessageHeader) throws(EnvelopeError) {
        func int(_ key: String) throws(EnvelopeError) -> Int {
            guard let v = header.fields[key] else { throw .missingField(key) }
            guard let i = v.intValue, i > 0, i < (1 << 31) else { throw .badField(key, "not a positive integer") }
            return Int(i)
        }
        width = try int("width")
        height = try int("height")
        step = try int("step")
        guard let e = header.fields["encoding"] else { throw .missingField("encoding") }
        guard let name = e.stringValue else { throw .badField("encoding", "not a string") }
        encoding = name
        if let known = PixelEncoding(rawValue: name), step < width * known.bytesPerPixel {
            throw .badField("step", "\(step) < width \(width) x \(known.bytesPerPixel) bytes for \(name)")
        }
    }
}
