import ArgumentParser
import VideoText
import VLMNode

/// `vlmnode node video`: the X-CLIP video-text node. Started by hand with options, or by
/// `vlmnode launch` with everything in `VLMNODE_WIRING` (options given explicitly still win).
struct NodeVideoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "video",
        abstract: "Score a rolling window of a frame stream against prompts; publish vlm/VideoScores and vlm/VideoEvent.",
        discussion: NodeCLI.discussion(VideoNodeType.spec, example: """
            Example: vlmnode source lavfi:testsrc=size=320x240:rate=8 --bind ipc:///tmp/cam.sock & \
            vlmnode node video --input ipc:///tmp/cam.sock --prompts "person jumping, person sitting". Replace the \
            prompts at runtime by publishing a vlm/Text message ({"text": "person waving"}) on the prompts topic. \
            Events fire when a prompt's probability (its logit, with one prompt) reaches --threshold and end \
            when it falls below threshold - hysteresis.
            """))

    @OptionGroup var stream: NodeStreamOptions
    @Option(help: "Comma-separated prompts, e.g. \"person jumping, person sitting\".") var prompts: String?
    @Option(help: "Endpoint to publish events on (default: the scores endpoint).") var eventsBind: String?
    @Option(help: "Topic of the events.") var eventsTopic: String?
    @Option(help: "Endpoint of a vlm/Text publisher whose messages replace the prompts.") var promptsEndpoint: String?
    @Flag(help: "Bind --prompts-endpoint instead of connecting (outside programs connect a PUB socket).") var promptsBind = false
    @Option(help: "Topic of the prompt messages.") var promptsTopic: String?
    @Option(help: "Hub model name or local folder.") var model: String?
    @Option(help: "Seconds of stream a window spans.") var window: Double?
    @Option(help: "Seconds between scored windows.") var stride: Double?
    @Option(help: "Seconds between frames kept for the window (default window / (2 x num_frames)).") var sampleStride: Double?
    @Option(help: "Event threshold (probability; the logit with one prompt).") var threshold: Float?
    @Option(help: "An event ends when the score falls below threshold - hysteresis.") var hysteresis: Float?

    @Option(help: PrecisionCLI.help) var precision: ModelPrecision?

    func run() throws {
        var o = try stream.overrides(output: "scores")
        o.outputs["events"] = PortOverride(endpoint: eventsBind, topic: eventsTopic)
        o.inputs["prompts"] = NodeCLI.control(endpoint: promptsEndpoint, topic: promptsTopic, bind: promptsBind)
        o.param("prompts", prompts.map { .string($0) })
        o.param("model", model.map { .string($0) })
        o.param("precision", precision.map { .string($0.rawValue) })
        o.param("window", window.map { .double($0) })
        o.param("stride", stride.map { .double($0) })
        o.param("sample_stride", sampleStride.map { .double($0) })
        o.param("threshold", threshold.map { .double(Double($0)) })
        o.param("hysteresis", hysteresis.map { .double(Double($0)) })
        try NodeCLI.run(VideoNodeType.self, overrides: o)
    }
}
