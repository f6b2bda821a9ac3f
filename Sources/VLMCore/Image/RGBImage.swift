/// An 8-bit RGB image with packed rows (`pixels.count == width * height * 3`), as decoded by
/// FFmpeg (VLMMedia) or received as an `rgb8` frame. The input type of every image processor.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Row-major, 3 bytes per pixel (R, G, B), no row padding.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3,
                     "RGBImage: \(pixels.count) bytes do not fit \(width)x\(height)x3")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
