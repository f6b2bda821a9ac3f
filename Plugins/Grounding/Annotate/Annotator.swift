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

extension Canvas {
    /// The outline of a grounding `Box`.
    mutating func rectangle(_ b: Box, _ c: Colour, thickness: Int) {
        rectangle(x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1, c, thickness: thickness)
    }
}
