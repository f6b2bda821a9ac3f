import ArgumentParser
import Foundation
import VLMNode
import VQA

/// `vlmnode node vqa`: the VQA plugin node (ViLT) on the NodeRuntime; options override `VLMNODE_WIRING`.
struct NodeVQACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vqa",
        abstract: "Answer questions about the newest frame (ViLT); publish vlm/Answers and vlm/AnswerEvent.",
        discussion: """
            Example: vlmnode source lavfi:testsrc=size=640x480:rate=5 --bind ipc:///tmp/cam.sock & \
            vlmnode node vqa --input ipc:///tmp/cam.sock --question "is the door open?" --every 5. \
            Standing questions (--question, param `questions`) are answered every N frames; when one's top \
            answer changes a vlm/AnswerEvent says so ("is the door open?: no → yes"). A vlm/Text on the \
            questions input is answered once, on the next frame.
            """)

    @Option(help: "Endpoint of the frame publisher (vlm/Frame).") var input: String?
    @Option(help: "Topic of the frames.") var inputTopic: String?
    @Option(name: .customLong("question"), help: "A standing question (repeatable).") var questions: [String] = []
    @Option(help: "Answer the standing questions every N frames.") var every: Int?
    @Option(help: "Answers per question.") var topK: Int?
    @Option(help: "Hub model name or local folder.") var model: String?
    @Option(help: "Endpoint to publish answers and events on (default tcp://127.0.0.1:*).") var bind: String?
    @Option(help: "Endpoint of a vlm/Text publisher of one-off questions.") var questionsEndpoint: String?
    @Option(help: "ViLT's encoder Linear layers: fp32 (default), bf16 or int8 (param `precision`; docs/precision.md).")
    var precision: ModelPrecision?
    @OptionGroup(title: "Security (docs/multi-host.md)") var security: BusSecurityOptions

    func run() throws {
        var overrides = NodeOverrides()
        overrides.security = try security.forNode()
        if input != nil || inputTopic != nil {
            overrides.inputs["image"] = PortOverride(endpoint: input, topic: inputTopic)
        }
        // Connects to a publisher of questions (a controller binds, as for the other nodes).
        if let questionsEndpoint { overrides.inputs["questions"] = PortOverride(endpoint: questionsEndpoint, bind: false) }
        if let bind {
            overrides.outputs["answers"] = PortOverride(endpoint: bind, bind: true)
        }
        if !questions.isEmpty { overrides.params["questions"] = .list(questions.map { .string($0) }) }
        overrides.param("every", every.map { .int($0) })
        overrides.param("top_k", topK.map { .int($0) })
        overrides.param("model", model.map { .string($0) })
        overrides.param("precision", precision.map { .string($0.rawValue) })
        do { try NodeMain.run(VQANodePlugin.self, overrides: overrides) } catch { throw CLIError("vqa: \(error)") }
    }
}
