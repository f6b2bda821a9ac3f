import VLMCore

/// Draws labelled detection boxes into packed rgb24 pixels (for `vlmnode detect --annotate`):
/// a 2-pixel rectangle per box and its label with the score in a built-in 5x7 bitmap font on a
/// filled tag, one colour per query. No font files, no dependencies.
public enum BoxDrawing {
    /// Distinct, saturated colours; query i uses palette[i % count].
    public static let palette: [(UInt8, UInt8, UInt8)] = [
        (230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180),
        (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 190), (0, 128, 128),
    ]

    /// Draws every detection onto `rgb` (`width * height * 3` bytes, packed rows).
    public static func draw(_ detections: [Detection], on rgb: inout [UInt8], width: Int, height: Int) {
        precondition(rgb.count >= width * height * 3, "BoxDrawing: \(rgb.count) bytes for \(width)x\(height)")
        var canvas = Canvas(width: width, height: height, pixels: Array(rgb[0 ..< width * height * 3]))
        // Lowest score first, so the best box ends up on top.
        for d in detections.reversed() {
            let colour = palette[d.labelIndex % palette.count]
            canvas.rectangle(x0: d.box[0], y0: d.box[1], x1: d.box[2], y1: d.box[3], colour, thickness: 2)
            let text = "\(d.label) \(Int((d.score * 100).rounded()))%"
            let tagHeight = BitmapFont.height + 2, tagWidth = Canvas.textWidth(text) + 2
            let y0 = Int(d.box[1].rounded())
            let top = y0 - tagHeight >= 0 ? y0 - tagHeight : max(y0, 0)
            let left = min(max(Int(d.box[0].rounded()), 0), max(width - tagWidth, 0))
            canvas.fill(x0: left, y0: top, x1: left + tagWidth, y1: top + tagHeight, colour)
            let ink: Canvas.Colour = Int(colour.0) * 3 + Int(colour.1) * 6 + Int(colour.2) > 1400 ? (0, 0, 0) : (255, 255, 255)
            canvas.text(text, x: left + 1, y: top + 1, ink, background: nil)
        }
        rgb.replaceSubrange(0 ..< width * height * 3, with: canvas.pixels)
    }
}
