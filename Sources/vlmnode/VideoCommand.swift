import ArgumentParser
import Foundation
import VLMNode
import VLMCore
import VideoText
import VLMPlugins

/// `vlmnode video INPUT PROMPT...`: X-CLIP video-text scores for a whole clip and a timeline of
/// sliding windows.
struct VideoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "video",
        abstract: "Score a video clip against text prompts with X-CLIP, whole clip and per window.",
        discussion: """
            Several prompts: probabilities are the softmax over the prompts. One prompt: its similarity \
            (the logit) per window, with the best window marked. Windows are in seconds of the source; \
            the clip is one window when it is no longer than --window.
            """)

    @Argument(help: "Video file (or any FFmpeg input a FrameSource opens).")
    var input: String

    @Argument(help: "One or more prompts, e.g. \"person jumping\" \"person sitting\".")
    var prompts: [String] = []

    @Option(help: "Model: a hub id or a local folder.")
    var model = "microsoft/xclip-base-patch32"

    @Option(help: "Window length in seconds.")
    var window: Double = 2

    @Option(help: "Seconds between window starts (default: half the window).")
    var stride: Double?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(help: "Draw the timeline into this PNG file.")
    var plot: String?

    func validate() throws {
        if let problem = VideoTextScorer.problem(with: prompts) { throw ValidationError(problem) }
        guard window.isFinite, window > 0 else { throw ValidationError("--window must be a positive number of seconds") }
        if let stride, !(stride.isFinite && stride > 0) { throw ValidationError("--stride must be a positive number of seconds") }
    }

    @Option(help: PrecisionCLI.help)
    var precision: Precision = .fp32

    func run() throws {
        let store = ModelStore()
        let folder: URL
        do {
            folder = try store.localFolder(model) ?? store.resolve(model).folder
        } catch { throw CLIError("model '\(model)': \(error)") }
        let scorer: VideoTextScorer
        do {
            scorer = try VideoTextScorer(folder: folder)
            try scorer.setPrompts(prompts)
            NodePrecision.apply(precision, to: [scorer.model])
        } catch { throw CLIError("model '\(model)' (\(folder.path)): \(error)") }

        // The bar goes to stderr, so it never mixes with --json on stdout.
        let interactive = isatty(STDERR_FILENO) == 1
        var scan = VideoClipScan(input: input, scorer: scorer, window: window, stride: stride ?? window / 2,
                                 note: { FileHandle.standardError.write(Data("vlmnode: note: \($0)\n".utf8)) })
        if interactive {
            scan.progress = { done, total in
                guard total > 3 else { return }
                let filled = done * 30 / total
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
                FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) windows\(done == total ? "\n" : "")".utf8))
            }
        }
        let scores: ClipScores
        do { scores = try scan.run() } catch let e as InputError { throw CLIError(e.description) } catch { throw CLIError("\(input): \(error)") }

        let single = prompts.count == 1
        let best = single ? scores.windows.indices.max { scores.windows[$0].logits[0] < scores.windows[$1].logits[0] } : nil
        if let plot { try drawPlot(scores, best: best, to: plot) }
        if json {
            print(try jsonText(scores, best: best))
        } else {
            print(VideoReport.text(model: model, input: input, prompts: prompts, scores: scores, best: best,
                                   window: window, stride: stride ?? window / 2, plotted: plot != nil))
        }
    }

    private func jsonText(_ s: ClipScores, best: Int?) throws -> String {
        struct Clip: Encodable { let probs: [Float]; let logits: [Float]; let frames: [Int] }
        struct Output: Encodable {
            let model: String
            let input: String
            let prompts: [String]
            let frameCount: Int
            let fps: Double
            let durationS: Double
            let clip: Clip
            let windows: [ScoredWindow]
            let bestWindow: Int?
            enum CodingKeys: String, CodingKey {
                case model, input, prompts, fps, clip, windows
                case frameCount = "frame_count", durationS = "duration_s", bestWindow = "best_window"
            }
        }
        let out = Output(model: model, input: input, prompts: prompts, frameCount: s.frameCount, fps: s.fps,
                         durationS: s.duration, clip: Clip(probs: s.clip.probs, logits: s.clip.logits, frames: s.clip.frames),
                         windows: s.windows, bestWindow: best)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(out), as: UTF8.self)
    }

    private func drawPlot(_ s: ClipScores, best: Int?, to path: String) throws {
        let single = prompts.count == 1
        let series = prompts.indices.map { p in s.windows.map { single ? $0.logits[p] : $0.probs[p] } }
        let values = series.flatMap { $0 }
        let (lo, hi): (Float, Float) = single ? (values.min() ?? 0, values.max() ?? 1) : (0, 1)
        do {
            try VideoPlot.draw(windows: s.windows.map { ($0.startS, $0.endS) }, series: series, duration: s.duration,
                               lowerBound: lo, upperBound: hi == lo ? lo + 1 : hi, best: best, to: path)
        } catch { throw CLIError("--plot \(path): \(error)") }
    }
}
