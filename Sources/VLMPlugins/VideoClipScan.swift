import Foundation
import VLMCore
import VLMMedia
import VideoText

/// One scored window of a clip, in source seconds.
public struct ScoredWindow: Encodable, Sendable {
    public let startS: Double
    public let endS: Double
    /// Source frame indices the model saw.
    public let frames: [Int]
    public let probs: [Float]
    public let logits: [Float]

    enum CodingKeys: String, CodingKey {
        case startS = "start_s", endS = "end_s", frames, probs, logits
    }
}

/// What `vlmnode video` computes for a clip.
public struct ClipScores: Sendable {
    public let frameCount: Int
    public let fps: Double
    public let duration: Double
    public let clip: ScoredWindow
    public let windows: [ScoredWindow]
}

/// Decodes a clip in two passes: the first counts frames and reads their times, the second keeps
/// only the frames some window samples (preprocessed, evicted once no later window needs them) and
/// scores each window as soon as its last frame has arrived, so memory stays bounded on long inputs.
/// Errors name the input (`InputError`); decoder errors pass through as thrown.
public struct VideoClipScan {
    public let input: String
    public let scorer: VideoTextScorer
    public let window: Double?
    public let stride: Double?
    /// Called with (windows done, windows total) after each window.
    public var progress: ((Int, Int) -> Void)?
    /// One-line notes for stderr (short clips).
    public var note: (String) -> Void

    public init(input: String, scorer: VideoTextScorer, window: Double?, stride: Double?,
                progress: ((Int, Int) -> Void)? = nil, note: @escaping (String) -> Void) {
        self.input = input
        self.scorer = scorer
        self.window = window
        self.stride = stride
        self.progress = progress
        self.note = note
    }

    /// `thumbnail`: the counting pass only needs timestamps, so frames are converted at a tiny size.
    private func open(thumbnail: Bool = false) throws -> FrameSource {
        try FrameSource(input: input, options: FrameSourceOptions(size: thumbnail ? FrameSize(width: 16, height: 16) : nil,
                                                                  realtime: false))
    }

    public func run() throws -> ClipScores {
        // Pass 1: frame count, times (relative to the first frame) and rate.
        let counting = try open(thumbnail: true)
        var times: [Double] = []
        while let frame = try counting.next() { times.append(frame.info.pts) }
        guard let first = times.first else { throw InputError("\(input): no video frames could be decoded") }
        times = times.map { $0 - first }
        let n = times.count
        var fps = counting.nominalFPS
        if !(fps.isFinite && fps > 0) {
            fps = n > 1 && times[n - 1] > 0 ? Double(n - 1) / times[n - 1] : 1
        }
        let t = scorer.numFrames
        if n < t {
            note("\(input) has \(n) frame\(n == 1 ? "" : "s"), fewer than the model's \(t): frames are repeated")
        }
        let plan = WindowPlan.windows(frameCount: n, fps: fps, window: window, stride: stride, numFrames: t, frameTimes: times)
        let whole = WindowPlan.windows(frameCount: n, fps: fps, window: nil, stride: nil, numFrames: t, frameTimes: times)[0]
        let all = [whole] + plan
        let pinned = Set(whole.sampled)
        let needed = Set(all.flatMap(\.sampled))

        // Pass 2: preprocess needed frames; score windows in order as they complete.
        let decoding = try open()
        var cache: [Int: PixelValues] = [:]
        var results: [ScoredWindow?] = Array(repeating: nil, count: all.count)
        var nextWindow = 1  // plan windows, in order; the whole clip (index 0) is scored last
        var index = 0
        func score(_ w: FrameWindow) throws -> ScoredWindow {
            let frames = try w.sampled.map { i -> PixelValues in
                guard let f = cache[i] else { throw InputError("\(input): frame \(i) vanished between decoding passes") }
                return f
            }
            let s = try scorer.score(prepared: frames)
            return ScoredWindow(startS: w.startSeconds, endS: w.endSeconds, frames: w.sampled, probs: s.probs, logits: s.logits)
        }
        while let frame = try decoding.next() {
            defer { index += 1 }
            guard needed.contains(index) else { continue }
            cache[index] = scorer.processor(Self.image(frame))
            while nextWindow < all.count, let last = all[nextWindow].sampled.max(), last <= index {
                results[nextWindow] = try score(all[nextWindow])
                nextWindow += 1
                progress?(nextWindow - 1, plan.count)
                let keepFrom = nextWindow < all.count ? (all[nextWindow].sampled.min() ?? index) : index + 1
                for key in cache.keys where key < keepFrom && !pinned.contains(key) { cache[key] = nil }
            }
        }
        guard nextWindow == all.count, whole.sampled.allSatisfy({ cache[$0] != nil }) else {
            throw InputError("\(input): the second decoding pass gave \(index) frames, the first \(n)")
        }
        results[0] = try score(whole)
        let scored = results.compactMap { $0 }
        return ClipScores(frameCount: n, fps: fps, duration: whole.endSeconds - whole.startSeconds,
                          clip: scored[0], windows: Array(scored.dropFirst()))
    }

    /// A decoded rgb8 frame (packed rows) as an image.
    public static func image(_ frame: borrowing VideoFrame) -> RGBImage {
        let (w, h, step) = (frame.info.width, frame.info.height, frame.info.step)
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        frame.pixels.withBytes { src in
            pixels.withUnsafeMutableBytes { dst in
                for y in 0 ..< h {
                    dst.baseAddress!.advanced(by: y * w * 3).copyMemory(from: src.baseAddress!.advanced(by: y * step), byteCount: w * 3)
                }
            }
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }
}
