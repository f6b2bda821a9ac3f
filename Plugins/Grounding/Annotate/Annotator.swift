import Foundation
import VLMCore

/// Draws a grounding result onto its image: each target's box, its act point (a cross), and a
/// label ("OBJECT: RED CUP 0.83"); runner-ups as thin boxes; not-found phrases listed at the top.
public enum Annotator {
    /// RGB colours by role.
    static let objectColour: (UInt8, UInt8, UInt8) = (255, 40, 40)
    static let destinationColour: (UInt8, UInt8, UInt8) = (40, 120, 255)
    static let runnerUpColour: (UInt8, UInt8, UInt8) = (255, 200, 0)

    /// A copy of `image` with `result` drawn on it.
    public static func annotate(_ image: RGBImage, with result: GroundingResult) -> RGBImage {
        var canvas = Canvas(image)
        var missingLine = 0
        for t in result.targets {
            let colour = t.role == .object ? objectColour : destinationColour
            let name = t.role.rawValue + ": " + (t.phrase ?? t.region.map { "the \($0.rawValue)" } ?? "?")
            if let r = t.runnerUp { canvas.rectangle(r.box, runnerUpColour, thickness: 1) }
            guard let g = t.target else {
                canvas.text("NOT FOUND " + name, x: 2, y: 2 + missingLine * (BitmapFont.height + 3), colour)
                missingLine += 1
                continue
            }
            canvas.rectangle(g.box, colour, thickness: 2)
            if g.point.x.isFinite, g.point.y.isFinite, abs(g.point.x) < 1e6, abs(g.point.y) < 1e6 {
                canvas.cross(x: Int(g.point.x), y: Int(g.point.y), colour, size: 5)
            }
            let label = name + String(format: " %.2f", g.score)
            let (bx, by0, by1) = (clamp(g.box.x0, image.width), clamp(g.box.y0, image.height), clamp(g.box.y1, image.height))
            let y = by0 - BitmapFont.height - 3
            canvas.text(label, x: max(1, bx), y: y >= 0 ? y : min(by1 + 2, image.height - BitmapFont.height - 1), colour)
        }
        return canvas.image
    }
}

/// A coordinate as a pixel index inside 0...size (non-finite -> 0).
private func clamp(_ v: Float, _ size: Int) -> Int { v.isFinite ? Int(max(0, min(Float(size), v.rounded()))) : 0 }

/// Pixel drawing on a packed RGB buffer; everything is clipped to the image.
struct Canvas {
    let width: Int, height: Int
    var pixels: [UInt8]

    init(_ image: RGBImage) { (width, height, pixels) = (image.width, image.height, image.pixels) }

    var image: RGBImage { RGBImage(width: width, height: height, pixels: pixels) }

    mutating func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = c.0; pixels[i + 1] = c.1; pixels[i + 2] = c.2
    }

    mutating func fill(x0: Int, y0: Int, x1: Int, y1: Int, _ c: (UInt8, UInt8, UInt8)) {
        let (xa, xb, ya, yb) = (max(0, x0), min(width, x1), max(0, y0), min(height, y1))
        guard xa < xb, ya < yb else { return }
        for y in ya ..< yb { for x in xa ..< xb { set(x, y, c) } }
    }

    mutating func rectangle(_ b: Box, _ c: (UInt8, UInt8, UInt8), thickness t: Int) {
        guard b.array.allSatisfy({ $0.isFinite && abs($0) < 1e6 }) else { return }
        let x0 = Int(b.x0.rounded()), y0 = Int(b.y0.rounded()), x1 = Int(b.x1.rounded()), y1 = Int(b.y1.rounded())
        fill(x0: x0, y0: y0, x1: x1 + 1, y1: y0 + t, c)
        fill(x0: x0, y0: y1 - t + 1, x1: x1 + 1, y1: y1 + 1, c)
        fill(x0: x0, y0: y0, x1: x0 + t, y1: y1 + 1, c)
        fill(x0: x1 - t + 1, y0: y0, x1: x1 + 1, y1: y1 + 1, c)
    }

    /// A plus-shaped marker with a dark outline so it shows on any background.
    mutating func cross(x: Int, y: Int, _ c: (UInt8, UInt8, UInt8), size s: Int) {
        fill(x0: x - s - 1, y0: y - 2, x1: x + s + 2, y1: y + 3, (0, 0, 0))
        fill(x0: x - 2, y0: y - s - 1, x1: x + 3, y1: y + s + 2, (0, 0, 0))
        fill(x0: x - s, y0: y - 1, x1: x + s + 1, y1: y + 2, c)
        fill(x0: x - 1, y0: y - s, x1: x + 2, y1: y + s + 1, c)
    }

    /// Text in the bitmap font on a dark band.
    mutating func text(_ s: String, x: Int, y: Int, _ c: (UInt8, UInt8, UInt8)) {
        let advance = BitmapFont.width + 1
        fill(x0: x - 1, y0: y - 1, x1: x + s.count * advance + 1, y1: y + BitmapFont.height + 1, (0, 0, 0))
        for (i, ch) in s.enumerated() {
            let rows = BitmapFont.glyph(ch)
            for (r, bits) in rows.enumerated() {
                for col in 0 ..< BitmapFont.width where bits & (1 << (BitmapFont.width - 1 - col)) != 0 {
                    set(x + i * advance + col, y + r, c)
                }
            }
        }
    }
}
