import Foundation
import VLMMedia

/// Draws a clip's timeline as a PNG: one coloured step line per prompt (score over source time),
/// a light band on the best window, grid lines at quarters of the score range. No text (there is
/// no font rasteriser here): the colours follow the order of `palette`, printed with the table.
enum VideoPlot {
    static let palette: [(UInt8, UInt8, UInt8)] = [
        (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
        (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    ]
    static let paletteNames = ["blue", "orange", "green", "red", "purple", "brown", "pink", "grey", "olive", "cyan"]

    /// `series[p][w]`: prompt p's score in window w; `lowerBound`/`upperBound` the score axis.
    static func draw(windows: [(start: Double, end: Double)], series: [[Float]], duration: Double,
                     lowerBound: Float, upperBound: Float, best: Int?, to path: String) throws {
        let (width, height, margin) = (960, 360, 24)
        var px = [UInt8](repeating: 255, count: width * height * 3)
        func put(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, x < width, y >= 0, y < height else { return }
            let i = (y * width + x) * 3
            (px[i], px[i + 1], px[i + 2]) = c
        }
        let plotW = width - 2 * margin, plotH = height - 2 * margin
        func xOf(_ t: Double) -> Int { margin + Int((t / max(duration, 1e-9)) * Double(plotW - 1)) }
        let span = max(upperBound - lowerBound, 1e-6)
        func yOf(_ v: Float) -> Int { margin + plotH - 1 - Int(((v - lowerBound) / span) * Float(plotH - 1)) }

        func thick(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            for dy in -1 ... 1 { for dx in -1 ... 1 { put(x + dx, y + dy, c) } }
        }
        func line(_ a: (Int, Int), _ b: (Int, Int), _ c: (UInt8, UInt8, UInt8)) {
            let steps = max(abs(b.0 - a.0), abs(b.1 - a.1), 1)
            for s in 0 ... steps {
                let f = Double(s) / Double(steps)
                thick(a.0 + Int((Double(b.0 - a.0) * f).rounded()), a.1 + Int((Double(b.1 - a.1) * f).rounded()), c)
            }
        }
        if let best, best < windows.count {
            for x in xOf(windows[best].start) ... xOf(windows[best].end) {
                for y in margin ..< margin + plotH { put(x, y, (255, 243, 200)) }
            }
        }
        for q in 0 ... 4 {
            let y = margin + (plotH - 1) * q / 4
            for x in margin ..< margin + plotW { put(x, y, q == 4 ? (0, 0, 0) : (225, 225, 225)) }
        }
        for y in margin ..< margin + plotH { put(margin, y, (0, 0, 0)) }
        // Each window's score is drawn at its centre and joined to the next by a line.
        for (p, values) in series.enumerated() {
            let colour = palette[p % palette.count]
            let points = zip(windows, values).map { w, v in (xOf((w.start + w.end) / 2), yOf(v)) }
            if points.count == 1 {
                for x in xOf(windows[0].start) ... xOf(windows[0].end) { thick(x, points[0].1, colour) }
            }
            for (a, b) in zip(points, points.dropFirst()) { line(a, b, colour) }
        }
        try px.withUnsafeBytes { try ImageIO.writeImage(rgb: $0, width: width, height: height, to: path) }
    }
}
