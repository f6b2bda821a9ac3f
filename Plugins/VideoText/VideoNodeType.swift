import Foundation
import VLMNode

/// The `video` node type: declared once here (ports, params, defaults, docs), registered by name.
public enum VideoNodeType: NodePlugin {
    public static let spec = NodeTypeSpec(
        name: "video", summary: "X-CLIP scores and events over a rolling window of frames",
        inputs: [
            // Not latest-wins: a window needs frames spread over time.
            PortSpec("image", topic: "camera/image", type: MessageType.frame, queue: 64),
            PortSpec("prompts", topic: "video/prompts", type: MessageType.text, optional: true),
        ],
        outputs: [
            PortSpec("scores", topic: "video/scores", type: MessageType.videoScores),
            PortSpec("events", topic: "video/events", type: MessageType.videoEvent),
        ],
        params: [
            ParamSpec("prompts", .stringList, required: true, doc: "what to score (a list, or \"a, b\")"),
            ParamSpec("model", .model, default: .string("microsoft/xclip-base-patch32"), doc: "short name, hub id or folder"),
            ParamSpec("window", .number, default: .double(2), doc: "seconds of stream a window spans"),
            ParamSpec("stride", .number, doc: "seconds between scored windows (default window / 2)"),
            ParamSpec("threshold", .number, default: .double(0.6), doc: "event threshold (probability; the logit with one prompt)"),
            ParamSpec("hysteresis", .number, default: .double(0.1), doc: "an event ends below threshold - hysteresis"),
            ParamSpec("sample_stride", .number, doc: "seconds between frames kept for the window (default window / (2 x frames))"),
            NodePrecision.param,
        ])

    /// Longest window or stride accepted: a day (seconds become nanoseconds in Int64).
    static let maxSeconds = 86_400.0

    public static func make(wiring: NodeWiring, log: NodeLog) throws -> any NodeProcessor {
        guard let list = try wiring.stringList("prompts") else {
            throw NodeWiringError("no prompts: give --prompts \"person jumping, person sitting\" (param prompts)")
        }
        let prompts = list.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !prompts.isEmpty else { throw NodeWiringError("no prompts in \(list): give at least one, e.g. \"person jumping\"") }
        let window = try wiring.double("window") ?? 2
        let settings = VideoTextNode.Settings(
            window: window, stride: try wiring.double("stride") ?? window / 2,
            sampleStride: try wiring.double("sample_stride"),
            threshold: Float(try wiring.double("threshold") ?? 0.6), hysteresis: Float(try wiring.double("hysteresis") ?? 0.1))
        let inRange = { (v: Double) in v.isFinite && v > 0 && v <= maxSeconds }
        guard inRange(settings.window), inRange(settings.stride), settings.sampleStride.map({ $0 == 0 || inRange($0) }) ?? true,
              settings.hysteresis >= 0, settings.threshold.isFinite, settings.hysteresis.isFinite else {
            throw NodeWiringError("window, stride, sample stride and hysteresis must be positive (window and stride at most \(Int(maxSeconds)) s)")
        }
        let model = try wiring.string("model") ?? "microsoft/xclip-base-patch32"
        let precision = try NodePrecision.resolve(wiring)
        let scorer: VideoTextScorer
        do {
            scorer = try VideoTextScorer(folder: try NodeModels.folder(model))
            try scorer.setPrompts(prompts)
        } catch let error as NodeWiringError { throw error } catch { throw NodeWiringError("model '\(model)': \(error)") }
        NodePrecision.apply(precision, to: [scorer.model])
        return try VideoTextNode(scorer: scorer, model: model, settings: settings)
    }
}
