import Foundation
import VLMBus
import VLMCore

/// Reading the messages every plugin node consumes: frames as images, and `vlm/Text` messages
/// (queries, prompts, commands) as strings and comma-separated lists.
public enum NodeMessages {
    /// The text of a `vlm/Text` message: its `text` field, else its first blob as UTF-8.
    public static func text(of message: BusMessage) -> String? {
        if let text = message.header.fields["text"]?.stringValue { return text }
        if let blob = message.blobs.first { return String(bytes: blob.bytes, encoding: .utf8) }
        return nil
    }

    /// "red cup, blue bowl" -> ["red cup", "blue bowl"] (items trimmed, empty ones dropped).
    public static func commaList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// A frame's pixels (rgb8, bgr8 or gray8, rows `step` bytes apart) as a packed `RGBImage`.
    /// Pixels in a publisher's shared-memory ring are read in place and the slot is checked
    /// afterwards: an overwritten one throws `SharedFrameTornError` (the frame is dropped).
    public static func rgbImage(_ info: FrameInfo, _ blob: Blob) throws -> RGBImage {
        guard let encoding = info.pixelEncoding else { throw InputError("unsupported frame encoding \(info.encoding)") }
        let (w, h, bpp) = (info.width, info.height, encoding.bytesPerPixel)
        guard info.step >= w * bpp, blob.count >= (h - 1) * info.step + w * bpp else {
            throw InputError("frame of \(blob.count) bytes does not hold \(w)x\(h) \(info.encoding) with step \(info.step)")
        }
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        try blob.withCheckedBytes { src in
            rgb.withUnsafeMutableBufferPointer { dst in
                for y in 0 ..< h {
                    let row = y * info.step
                    if encoding == .rgb8 {
                        for i in 0 ..< w * 3 { dst[y * w * 3 + i] = src[row + i] }
                        continue
                    }
                    for x in 0 ..< w {
                        let s = row + x * bpp, d = (y * w + x) * 3
                        if encoding == .bgr8 { (dst[d], dst[d + 1], dst[d + 2]) = (src[s + 2], src[s + 1], src[s]) }
                        else { (dst[d], dst[d + 1], dst[d + 2]) = (src[s], src[s], src[s]) }
                    }
                }
            }
        }
        return RGBImage(width: w, height: h, pixels: rgb)
    }
}
