import Foundation
import VLMBus
import VLMCore
import VLMMessages
import VLMNode

/// The video-text node's state and behaviour: frames in (a bounded queue from the runtime), X-CLIP
/// over a rolling window, `vlm/VideoScores` per window and `vlm/VideoEvent` when a prompt's score
/// crosses the threshold (with hysteresis: one jump, one event).
///
/// One frame per `sampleStride` seconds is kept, preprocessed on arrival. Every `stride` seconds of
/// source time, once the kept frames span `window` seconds, the window is scored. Prompts come from
/// a parameter and are replaced at runtime by a `vlm/Text` message on the `prompts` control input;
/// their text features are computed once per change. With several prompts the event score is the
/// probability (softmax over prompts); with one prompt, its logit.
public final class VideoTextNode: NodeProcessor {
    public struct Settings: Sendable {
        /// Seconds of source time a window spans, between scored windows, and between kept frames.
        public var window: Double
        public var stride: Double
        public var sampleStride: Double?
        public var threshold: Float
        public var hysteresis: Float

        public init(window: Double = 2, stride: Double = 1, sampleStride: Double? = nil, threshold: Float = 0.6,
                    hysteresis: Float = 0.1) {
            self.window = window
            self.stride = stride
            self.sampleStride = sampleStride
            self.threshold = threshold
            self.hysteresis = hysteresis
        }
    }

    public let scorer: VideoTextScorer
    public let model: String
    public let settings: Settings
    private var window: RollingWindow
    private var events: EventDetector
    private var promptsVersion = 1
    private var lastScoredNs: Int64?

    /// `scorer` must already hold the initial prompts.
    public init(scorer: VideoTextScorer, model: String, settings s: Settings) throws {
        guard s.window > 0, s.stride > 0, (s.sampleStride ?? 0) >= 0 else {
            throw InputError("window (\(s.window) s), stride (\(s.stride) s) and sample stride must be positive")
        }
        guard !scorer.prompts.isEmpty else { throw InputError("the scorer has no prompts") }
        self.scorer = scorer
        self.model = model
        settings = s
        // Default: twice as many kept frames as the model samples, so segment centres find a near frame.
        let sampleStride = s.sampleStride ?? s.window / Double(2 * scorer.numFrames)
        window = RollingWindow(window: s.window, sampleStride: sampleStride, numFrames: scorer.numFrames)
        events = EventDetector(prompts: scorer.prompts.count, threshold: s.threshold, hysteresis: s.hysteresis)
    }

    public func started(runtime: NodeRuntime) {
        runtime.log("video: \(model) (\(scorer.numFrames) frames per window of \(settings.window) s, every \(settings.stride) s); "
                    + runtime.portsDescription)
        runtime.log("prompts version 1: \(scorer.prompts.joined(separator: ", "))")
    }

    public func control(_ text: TextMessage, input role: String, runtime: NodeRuntime) throws {
        let prompts = text.commaList
        try scorer.setPrompts(prompts)
        promptsVersion += 1
        events.reset(prompts: prompts.count)
        runtime.log("prompts version \(promptsVersion): \(prompts.joined(separator: ", "))")
    }

    public func process(_ message: BusMessage, input role: String, runtime: NodeRuntime) throws {
        let frame = try FrameMessage(message: message)
        // The runtime refuses negative stamps, so differences of two stamps stay in range.
        let stamp = message.header.stampNs
        if let last = lastScoredNs, stamp < last { lastScoredNs = nil }  // source restarted
        guard window.wants(stampNs: stamp) else { return }
        window.append(.init(stampNs: stamp, seq: message.header.seq,
                            pixels: scorer.processor(try NodeMessages.rgbImage(frame.info, frame.pixels!))))
        let strideNs = Int64(settings.stride * 1e9) - window.sampleStrideNs / 2
        guard window.isFull, lastScoredNs.map({ stamp - $0 >= strideNs }) ?? true else { return }
        lastScoredNs = stamp
        try score(newest: message, runtime: runtime)
    }

    private func score(newest message: BusMessage, runtime: NodeRuntime) throws {
        let sampled = window.sample()
        let start = BusClock.monotonicNs()
        let s = try scorer.score(prepared: sampled.map(\.pixels))
        let inferenceMs = Double(BusClock.monotonicNs() - start) / 1e6
        let single = scorer.prompts.count == 1
        let kind = single ? "logit" : "prob"
        let eventScores = single ? s.logits : s.probs
        let windowEnd = message.header.stampNs, windowStart = windowEnd - window.windowNs
        try runtime.publish(VideoScoresMessage(
            prompts: scorer.prompts, promptsVersion: promptsVersion, probs: s.probs.map(Double.init),
            logits: s.logits.map(Double.init), scoreKind: kind, windowStartNs: windowStart, windowEndNs: windowEnd,
            frameSeqs: sampled.map(\.seq), inferenceMs: inferenceMs), on: "scores", stampedFrom: message)
        for e in events.update(eventScores) {
            try runtime.publish(VideoEventMessage(
                prompt: scorer.prompts[e.prompt], promptIndex: e.prompt, edge: e.edge.rawValue, score: Double(e.score),
                scoreKind: kind, threshold: Double(events.threshold), hysteresis: Double(events.hysteresis),
                windowStartNs: windowStart, windowEndNs: windowEnd, promptsVersion: promptsVersion),
                on: "events", stampedFrom: message)
            runtime.log("event: \(scorer.prompts[e.prompt]) \(e.edge.rawValue) (\(kind) \(e.score))")
        }
    }

    /// "person jumping, person sitting" -> ["person jumping", "person sitting"] (empty items dropped).
    public static func splitPrompts(_ text: String) -> [String] { NodeMessages.commaList(text) }
}
