import Foundation
import VLMBus
import VLMCore
import VLMMessages
import VLMNode

/// The `vqa` node type: ViLT answers questions about the newest frame.
///
/// Standing questions (the `questions` parameter) are answered every `every` frames and an event
/// is published when a standing question's top answer changes. A vlm/Text on the `questions` input
/// is one question (or several, one per line) answered once, on the next frame.
public enum VQANodePlugin: NodePlugin {
    public static let defaultModel = "dandelin/vilt-b32-finetuned-vqa"

    public static let spec = NodeTypeSpec(
        name: "vqa", summary: "visual question answering (ViLT) on the newest frame; events when a standing answer changes",
        inputs: [
            PortSpec("image", topic: "camera/image", type: MessageType.frame),
            PortSpec("questions", topic: "vqa/questions", type: MessageType.text, optional: true),
        ],
        outputs: [
            PortSpec("answers", topic: "vqa/answers", type: AnswersMessage.messageType),
            PortSpec("events", topic: "vqa/events", type: AnswerEventMessage.messageType),
        ],
        params: [
            ParamSpec("model", .model, default: .string(defaultModel), doc: "ViLT VQA model: short name, hub id or folder"),
            ParamSpec("questions", .stringList, doc: "standing questions, re-answered every N frames"),
            ParamSpec("every", .int, default: .int(1), doc: "answer the standing questions every N frames"),
            ParamSpec("top_k", .int, default: .int(5), doc: "answers per question"),
            NodePrecision.param,
        ])

    /// Resolves the model through the ModelStore (folder, HF cache or download) and loads it.
    public static func make(wiring: NodeWiring, log: NodeLog) throws -> any NodeProcessor {
        let model = try wiring.string("model") ?? defaultModel
        let folder: URL
        do { folder = try ModelStore().resolve(model).folder } catch { throw InputError("model \(model): \(error)") }
        let standing = try wiring.stringList("questions") ?? []
        let precision = try NodePrecision.resolve(wiring)  // a bad value fails before the model loads
        let vqa = try ViltVQA(folder: folder)
        NodePrecision.apply(precision, to: [vqa.model])
        return try VQAProcessor(vqa: vqa, standing: standing,
                                every: try wiring.int("every") ?? 1, topK: try wiring.int("top_k") ?? 5)
    }
}

/// The node's state: standing questions with their last top answer, one-off questions waiting for a frame.
public final class VQAProcessor: NodeProcessor {
    public let vqa: ViltVQA
    public let standing: [String]
    public let every: Int
    public let topK: Int
    /// Last top answer per standing question (nil before the first answer).
    public private(set) var lastTop: [String?]
    public private(set) var pending: [String] = []
    private var frames = 0
    /// Questions waiting for a frame are bounded (a flood of vlm/Text cannot grow memory).
    static let maxPending = 64

    public init(vqa: ViltVQA, standing: [String], every: Int, topK: Int) throws {
        if let empty = standing.firstIndex(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
            throw InputError("standing question \(empty + 1) is empty")
        }
        guard every >= 1 else { throw InputError("every must be at least 1, got \(every)") }
        guard topK >= 1 else { throw InputError("top_k must be at least 1, got \(topK)") }
        self.vqa = vqa
        self.standing = standing
        self.every = every
        self.topK = topK
        lastTop = Array(repeating: nil, count: standing.count)
    }

    public func started(runtime: NodeRuntime) {
        runtime.logBanner()
        runtime.log("vqa: \(standing.count) standing question(s), answered every \(every) frame(s)")
    }

    /// One question per non-empty line, answered on the next frame.
    public func control(_ text: TextMessage, input role: String, runtime: NodeRuntime) throws {
        let questions = text.text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !questions.isEmpty else { throw InputError("empty question") }
        guard pending.count + questions.count <= Self.maxPending else {
            throw InputError("more than \(Self.maxPending) questions are waiting for a frame")
        }
        pending += questions
    }

    public func process(_ message: BusMessage, input role: String, runtime: NodeRuntime) throws {
        let frame = try FrameMessage(message: message)
        let ask = frames % every == 0 ? standing : []
        frames += 1
        let oneOff = pending
        guard !ask.isEmpty || !oneOff.isEmpty else { return }
        pending = []
        let image = try RGBImage(frame: frame)
        let results = try vqa.ask(image, questions: ask + oneOff, topK: topK)
        let questions = results.enumerated().map { i, r in
            AnswersMessage.Question(question: r.question, standing: i < ask.count,
                                    answers: r.answers.map { .init(answer: $0.answer, score: Double($0.score)) })
        }
        try runtime.publish(AnswersMessage(questions: questions, imageSize: [frame.width, frame.height]), on: "answers", stampedFrom: message)
        for (i, r) in results.prefix(ask.count).enumerated() {
            guard let top = r.top else { continue }
            defer { lastTop[i] = top.answer }
            if let previous = lastTop[i], previous != top.answer {
                let event = AnswerEventMessage(question: r.question, previous: previous, answer: top.answer, score: Double(top.score))
                try runtime.publish(event, on: "events", stampedFrom: message)
                runtime.log("vqa: \(event.text)")
            }
        }
    }
}

extension RGBImage {
    /// Packed rgb8 from a vlm/Frame (rgb8, bgr8 or gray8; rows may be padded to `step`).
    init(frame: FrameMessage) throws {
        guard let blob = frame.pixels else { throw InputError("frame has no pixels") }
        let (w, h, step) = (frame.width, frame.height, frame.step)
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        try blob.withUnsafeBytes { src in
            switch frame.encoding {
            case "rgb8", "bgr8":
                let swap = frame.encoding == "bgr8"
                for y in 0 ..< h {
                    for x in 0 ..< w {
                        let s = y * step + x * 3, d = (y * w + x) * 3
                        rgb[d] = src[s + (swap ? 2 : 0)]; rgb[d + 1] = src[s + 1]; rgb[d + 2] = src[s + (swap ? 0 : 2)]
                    }
                }
            case "gray8":
                for y in 0 ..< h { for x in 0 ..< w { let v = src[y * step + x]; let d = (y * w + x) * 3; rgb[d] = v; rgb[d + 1] = v; rgb[d + 2] = v } }
            default:
                throw InputError("frame encoding \(frame.encoding) is not rgb8, bgr8 or gray8")
            }
        }
        self.init(width: w, height: h, pixels: rgb)
    }
}
