import VLMBus
import VLMCore

/// The detector node's message helpers, public for the other plugin nodes (the grounding node reads
/// the same frames and `vlm/Text` messages). Kept in their own file so the detector's stays as is.
extension DetectorNode {
    /// The text of a `vlm/Text` message: its `text` field, else its first blob as UTF-8.
    public static func textOf(_ message: BusMessage) -> String? { text(of: message) }

    /// A frame's pixels (rgb8, bgr8 or gray8, rows `step` bytes apart) as packed RGB.
    public static func rgbImageOf(_ info: FrameInfo, _ blob: Blob) throws -> RGBImage { try rgbImage(info, blob) }
}
