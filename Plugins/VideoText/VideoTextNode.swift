import Foundation
import VLMBus
import VLMNode
import VLMCore

/// The video-text node: frames in, X-CLIP over a rolling window, `vlm/VideoScores` per window and
/// `vlm/VideoEvent` when a prompt's score crosses the threshold (with hysteresis: one jump, one event).
///
/// Frames arrive through a bounded queue (not latest-wins: a window needs frames spread over time);
/// one frame per `sampleStride` seconds is kept, preprocessed on arrival. Every `stride` seconds of
/// source time, once the kept frames span `window` seconds, the window is scored. Prompts come from
/// a parameter and can be replaced at runtime by a `vlm/Text` message on the prompts topic; their
/// text features are computed once per change. With several prompts the event score is the
/// probability (softmax over prompts); with one prompt, its logit.
public final class VideoTextNode {
    public struct Configuration: Sendable {
        public var framesEndpoint: String
        public var framesTopic: String
        public var scoresEndpoint: String
        public var scoresTopic: String
        /// Events go out on the scores publisher when nil (one socket, two topics).
        public var eventsEndpoint: String?
        public var eventsTopic: String
        public var promptsEndpoint: String?
        public var promptsTopic: String
        public var bindPrompts: Bool
        /// Seconds of source time a window spans, between scored windows, and between kept frames.
        public var window: Double
        public var stride: Double
        public var sampleStride: Double?
        public var threshold: Float
        public var hysteresis: Float

        public init(framesEndpoint: String, framesTopic: String = "/camera/image",
                    scoresEndpoint: String = Endpoint.defaultPublisher, scoresTopic: String = "/video/scores",
                    eventsEndpoint: String? = nil, eventsTopic: String = "/video/events",
                    promptsEndpoint: String? = nil, promptsTopic: String = "/video/prompts", bindPrompts: Bool = false,
                    window: Double = 2, stride: Double = 1, sampleStride: Double? = nil,
                    threshold: Float = 0.6, hysteresis: Float = 0.1) {
            self.framesEndpoint = framesEndpoint
            self.framesTopic = framesTopic
            self.scoresEndpoint = scoresEndpoint
            self.scoresTopic = scoresTopic
            self.eventsEndpoint = eventsEndpoint
            self.eventsTopic = eventsTopic
            self.promptsEndpoint = promptsEndpoint
            self.promptsTopic = promptsTopic
            self.bindPrompts = bindPrompts
            self.window = window
            self.stride = stride
            self.sampleStride = sampleStride
            self.threshold = threshold
            self.hysteresis = hysteresis
        }
    }

    public let scorer: VideoTextScorer
    public let configuration: Configuration
    public let scoresPublisher: Publisher
    public let eventsPublisher: Publisher
    private let frames: Subscriber
    private let promptsInput: Subscriber?
    private var window: RollingWindow
    private var events: EventDetector
    private var promptsVersion = 1
    private var lastScoredNs: Int64?
    private var seq: UInt64 = 0
    private var eventSeq: UInt64 = 0
    /// Windows scored so far.
    public private(set) var processed = 0
    public var log: (String) -> Void = { print($0); fflush(stdout) }

    /// `scorer` must already hold the initial prompts.
    public init(scorer: VideoTextScorer, configuration c: Configuration) throws {
        guard c.window > 0, c.stride > 0, (c.sampleStride ?? 0) >= 0 else {
            throw InputError("window (\(c.window) s), stride (\(c.stride) s) and sample stride must be positive")
        }
        guard !scorer.prompts.isEmpty else { throw InputError("the scorer has no prompts") }
        self.scorer = scorer
        configuration = c
        scoresPublisher = try Publisher(bind: c.scoresEndpoint, qos: .queue(capacity: 100))
        eventsPublisher = try c.eventsEndpoint.map { try Publisher(bind: $0, qos: .queue(capacity: 100)) } ?? scoresPublisher
        frames = try Subscriber(connect: [c.framesEndpoint], topics: [c.framesTopic], qos: .queue(capacity: 64))
        if let p = c.promptsEndpoint {
            promptsInput = c.bindPrompts ? try Subscriber(bind: p, topics: [c.promptsTopic], qos: .queue(capacity: 16))
                                         : try Subscriber(connect: [p], topics: [c.promptsTopic], qos: .queue(capacity: 16))
        } else {
            promptsInput = nil
        }
        // Default: twice as many kept frames as the model samples, so segment centres find a near frame.
        let sampleStride = c.sampleStride ?? c.window / Double(2 * scorer.numFrames)
        window = RollingWindow(window: c.window, sampleStride: sampleStride, numFrames: scorer.numFrames)
        events = EventDetector(prompts: scorer.prompts.count, threshold: c.threshold, hysteresis: c.hysteresis)
    }

    /// The endpoint the prompts input listens on, if any.
    public var promptsEndpoint: String? { promptsInput?.endpoints.first }
    public var frameStats: TopicCounters { frames.stats.topics[configuration.framesTopic] ?? TopicCounters() }

    /// Processes frames until `shouldStop` returns true (checked at least every 100 ms).
    public func run(shouldStop: () -> Bool) {
        while !shouldStop() {
            applyPendingPrompts()
            guard let message = frames.receive(timeout: 0.1), message.topic == configuration.framesTopic else { continue }
            do { try process(message) } catch { log("skipped frame \(message.header.seq): \(error)") }
        }
    }

    /// Applies prompt messages that arrived (the last valid one wins).
    func applyPendingPrompts() {
        guard let promptsInput else { return }
        while let message = promptsInput.receive(timeout: 0) {
            guard message.topic == configuration.promptsTopic else { continue }
            guard let text = NodeMessages.text(of: message) else {
                log("ignored a message on \(message.topic): no \"text\" field and no UTF-8 blob")
                continue
            }
            let prompts = Self.splitPrompts(text)
            do {
                try scorer.setPrompts(prompts)
                promptsVersion += 1
                events.reset(prompts: prompts.count)
                log("prompts version \(promptsVersion): \(prompts.joined(separator: ", "))")
            } catch {
                log("ignored prompts \"\(text)\": \(error)")
            }
        }
    }

    func process(_ message: BusMessage) throws {
        guard let info = message.frame else { throw InputError("not a vlm/Frame (type \(message.header.type))") }
        guard let blob = message.blobs.first, blob.count >= info.byteCount,
              info.step >= info.width * (info.pixelEncoding?.bytesPerPixel ?? 1) else {
            throw InputError("frame pixels do not match \(info.width)x\(info.height) step \(info.step)")
        }
        let stamp = message.header.stampNs
        if let last = lastScoredNs, stamp < last { lastScoredNs = nil }  // source restarted
        guard window.wants(stampNs: stamp) else { return }
        window.append(.init(stampNs: stamp, seq: message.header.seq, pixels: scorer.processor(try NodeMessages.rgbImage(info, blob))))
        guard window.isFull, lastScoredNs.map({ stamp - $0 >= Int64(configuration.stride * 1e9) - window.sampleStrideNs / 2 }) ?? true else {
            return
        }
        lastScoredNs = stamp
        try score(newest: message)
    }

    private func score(newest message: BusMessage) throws {
        let sampled = window.sample()
        let start = BusClock.monotonicNs()
        let s = try scorer.score(prepared: sampled.map(\.pixels))
        let inferenceMs = Double(BusClock.monotonicNs() - start) / 1e6
        let single = scorer.prompts.count == 1
        let eventScores = single ? s.logits : s.probs
        let windowEnd = message.header.stampNs, windowStart = windowEnd - window.windowNs
        let counters = frameStats
        let now = BusClock.nowNs()
        let fields: [String: JSONValue] = [
            "prompts": .array(scorer.prompts.map { .string($0) }),
            "prompts_version": .int(Int64(promptsVersion)),
            "probs": .array(s.probs.map { .double(Double($0)) }),
            "logits": .array(s.logits.map { .double(Double($0)) }),
            "score_kind": .string(single ? "logit" : "prob"),
            "window_start_ns": .int(windowStart), "window_end_ns": .int(windowEnd),
            "frame_seqs": .array(sampled.map { .int(Int64($0.seq)) }),
            "inference_ms": .double(inferenceMs),
            "latency_ms": .double(Double(now - windowEnd) / 1e6),
            "frames_received": .int(Int64(counters.received)), "frames_dropped": .int(Int64(counters.dropped)),
        ]
        try scoresPublisher.publish(topic: configuration.scoresTopic, header: MessageHeader(
            type: "vlm/VideoScores", seq: seq, stampNs: now, sourceSeq: message.header.seq,
            sourceStampNs: windowEnd, fields: fields))
        seq += 1
        processed += 1
        for e in events.update(eventScores) {
            let eventFields: [String: JSONValue] = [
                "prompt": .string(scorer.prompts[e.prompt]), "prompt_index": .int(Int64(e.prompt)),
                "edge": .string(e.edge.rawValue), "score": .double(Double(e.score)),
                "score_kind": .string(single ? "logit" : "prob"),
                "threshold": .double(Double(events.threshold)), "hysteresis": .double(Double(events.hysteresis)),
                "window_start_ns": .int(windowStart), "window_end_ns": .int(windowEnd),
                "prompts_version": .int(Int64(promptsVersion)),
            ]
            try eventsPublisher.publish(topic: configuration.eventsTopic, header: MessageHeader(
                type: "vlm/VideoEvent", seq: eventSeq, stampNs: now, sourceSeq: message.header.seq,
                sourceStampNs: windowEnd, fields: eventFields))
            eventSeq += 1
            log("event: \(scorer.prompts[e.prompt]) \(e.edge.rawValue) (\(single ? "logit" : "prob") \(e.score))")
        }
    }

    /// "person jumping, person sitting" -> ["person jumping", "person sitting"] (empty items dropped).
    public static func splitPrompts(_ text: String) -> [String] {
        NodeMessages.commaList(text)
    }
}
