import Foundation
import VLMPlugins

/// The human-readable output of `vlmnode video`: a ranked table and a terminal timeline.
enum VideoReport {
    static let shades = Array(" ▁▂▃▄▅▆▇█")

    static func text(model: String, input: String, prompts: [String], scores s: ClipScores, best: Int?,
                     window: Double, stride: Double, plotted: Bool) -> String {
        var out: [String] = []
        let windowText = s.windows.count == 1 ? "1 window (the whole clip)"
            : "\(s.windows.count) windows of \(fmt(window)) s every \(fmt(stride)) s"
        out.append("\(input): \(fmt(s.duration)) s, \(s.frameCount) frames at \(fmt(s.fps)) fps; \(windowText); model \(model)")
        out.append("")
        let single = prompts.count == 1
        let order = prompts.indices.sorted { s.clip.logits[$0] > s.clip.logits[$1] }
        let width = min(48, max(6, prompts.map(\.count).max() ?? 6))
        out.append("  rank  " + (single ? "" : "prob    ") + "logit    " + "prompt".padding(toLength: width, withPad: " ", startingAt: 0)
                   + (plotted ? "  plot colour" : ""))
        for (rank, p) in order.enumerated() {
            var row = "  \(String(rank + 1).padding(toLength: 4, withPad: " ", startingAt: 0))  "
            if !single { row += String(format: "%.4f  ", s.clip.probs[p]) }
            row += String(format: "%7.3f  ", s.clip.logits[p]) + clipped(prompts[p], width).padding(toLength: width, withPad: " ", startingAt: 0)
            if plotted { row += "  " + VideoPlot.paletteNames[p % VideoPlot.paletteNames.count] }
            out.append(row)
        }
        guard s.windows.count > 1 else { return out.joined(separator: "\n") }
        out.append("")
        let what = single ? "logit, scaled between its lowest and highest window" : "probability"
        out.append("timeline, one column per window, \(fmt(s.windows[0].startS)) s to \(fmt(s.windows.last!.endS)) s (\(what)):")
        for p in prompts.indices {
            let values = s.windows.map { single ? $0.logits[p] : $0.probs[p] }
            let (lo, hi) = single ? (values.min()!, values.max()!) : (0, 1)
            let bar = values.map { v -> Character in
                let f = hi > lo ? (v - lo) / (hi - lo) : 1
                return shades[max(1, min(shades.count - 1, Int((f * Float(shades.count - 1)).rounded())))]
            }
            out.append("  " + clipped(prompts[p], width).padding(toLength: width, withPad: " ", startingAt: 0) + " |" + String(bar) + "|")
        }
        if let best {
            out.append("  " + String(repeating: " ", count: width) + "  " + String(repeating: " ", count: best) + "^ best")
            let w = s.windows[best]
            out.append(String(format: "best window: %@ s to %@ s (logit %.3f)", fmt(w.startS), fmt(w.endS), w.logits[0]))
        } else {
            for p in order.prefix(3) {
                let top = s.windows.indices.max { s.windows[$0].probs[p] < s.windows[$1].probs[p] }!
                let w = s.windows[top]
                out.append(String(format: "\"%@\" peaks at %@ s to %@ s (prob %.3f)", clipped(prompts[p], width), fmt(w.startS), fmt(w.endS), w.probs[p]))
            }
        }
        return out.joined(separator: "\n")
    }

    static func fmt(_ v: Double) -> String {
        let s = String(format: "%.2f", v)
        return s.hasSuffix(".00") ? String(s.dropLast(3)) + ".0" : (s.hasSuffix("0") ? String(s.dropLast()) : s)
    }

    static func clipped(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }
}
