/// Pixel drawing on a packed RGB image for annotated outputs (detections, grounding targets,
/// plots): filled rectangles, outlines, markers and labels in `BitmapFont`. Everything is clipped
/// to the image, so callers can pass boxes that extend past its edges.
public struct Canvas: Sendable {
    public typealias Colour = (UInt8, UInt8, UInt8)

    public let width: Int, height: Int
    /// Packed rows, 3 bytes per pixel.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "Canvas: \(pixels.count) bytes for \(width)x\(height)")
        (self.width, self.height, self.pixels) = (width, height, pixels)
    }

    public init(_ image: RGBImage) { self.init(width: image.width, height: image.height, pixels: image.pixels) }

    public var image: RGBImage { RGBImage(width: width, height: height, pixels: pixels) }

    public mutating func set(_ x: Int, _ y: Int, _ c: Colour) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = c.0; pixels[i + 1] = c.1; pixels[i + 2] = c.2
    }

    /// Fills the half-open rectangle [x0, x1) x [y0, y1).
    public mutating func fill(x0: Int, y0: Int, x1: Int, y1: Int, _ c: Colour) {
        let (xa, xb, ya, yb) = (max(0, x0), min(width, x1), max(0, y0), min(height, y1))
        guard xa < xb, ya < yb else { return }
        for y in ya ..< yb { for x in xa ..< xb { set(x, y, c) } }
    }

    /// The outline of the box with inclusive corners (x0, y0) and (x1, y1), `thickness` pixels inwards.
    /// Non-finite or absurd coordinates draw nothing.
    public mutating func rectangle(x0: Float, y0: Float, x1: Float, y1: Float, _ c: Colour, thickness t: Int) {
        guard [x0, y0, x1, y1].allSatisfy({ $0.isFinite && abs($0) < 1e6 }) else { return }
        let (a, b, c1, d) = (Int(x0.rounded()), Int(y0.rounded()), Int(x1.rounded()), Int(y1.rounded()))
        fill(x0: a, y0: b, x1: c1 + 1, y1: b + t, c)
        fill(x0: a, y0: d - t + 1, x1: c1 + 1, y1: d + 1, c)
        fill(x0: a, y0: b, x1: a + t, y1: d + 1, c)
        fill(x0: c1 - t + 1, y0: b, x1: c1 + 1, y1: d + 1, c)
    }

    /// A plus-shaped marker with a dark outline so it shows on any background.
    public mutating func cross(x: Int, y: Int, _ c: Colour, size s: Int) {
        fill(x0: x - s - 1, y0: y - 2, x1: x + s + 2, y1: y + 3, (0, 0, 0))
        fill(x0: x - 2, y0: y - s - 1, x1: x + 3, y1: y + s + 2, (0, 0, 0))
        fill(x0: x - s, y0: y - 1, x1: x + s + 1, y1: y + 2, c)
        fill(x0: x - 1, y0: y - s, x1: x + 2, y1: y + s + 1, c)
    }

    /// Width in pixels of `s` drawn by `text`.
    public static func textWidth(_ s: String) -> Int { s.count * BitmapFont.advance }

    /// `s` in the bitmap font with its top-left at (x, y), upper-cased; on a band of `background`
    /// one pixel larger all round, or straight onto the image when `background` is nil.
    public mutating func text(_ s: String, x: Int, y: Int, _ c: Colour, background: Colour? = (0, 0, 0)) {
        if let background {
            fill(x0: x - 1, y0: y - 1, x1: x + Self.textWidth(s) + 1, y1: y + BitmapFont.height + 1, background)
        }
        for (i, ch) in s.enumerated() {
            for (r, bits) in BitmapFont.glyph(ch).enumerated() {
                for col in 0 ..< BitmapFont.width where bits & (1 << (BitmapFont.width - 1 - col)) != 0 {
                    set(x + i * BitmapFont.advance + col, y + r, c)
                }
            }
        }
    }
}
