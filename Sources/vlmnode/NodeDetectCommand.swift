import ArgumentParser
import Detection
import VLMNode

/// `vlmnode node detect`: the OWL-ViT detector node. Started by hand with options, or by
/// `vlmnode launch` with everything in `VLMNODE_WIRING` (options given explicitly still win).
struct NodeDetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Detect objects described in words on the newest frame of a stream; publish vlm/Detections.",
        discussion: NodeCLI.discussion(DetectNodeType.spec, example: """
            Example: vlmnode source lavfi:testsrc=size=640x480:rate=30 --bind ipc:///tmp/cam.sock & \
            vlmnode node detect --input ipc:///tmp/cam.sock --queries "red cup, blue bowl". Replace the queries at \
            runtime by publishing a vlm/Text message ({"text": "red cup, robot gripper"}) on the queries topic.
            """))

    @OptionGroup var stream: NodeStreamOptions
    @Option(help: "Comma-separated queries, e.g. \"red cup, blue bowl\".") var queries: String?
    @Option(help: "Endpoint of a vlm/Text publisher whose messages replace the queries.") var queriesEndpoint: String?
    @Flag(help: "Bind --queries-endpoint instead of connecting (outside programs connect a PUB socket).") var queriesBind = false
    @Option(help: "Topic of the query messages.") var queriesTopic: String?
    @Option(help: "Hub model name or local folder.") var model: String?
    @Option(help: "Keep boxes whose score is above this.") var threshold: Float?
    @Option(help: "IoU of class-aware non-maximum suppression (0 turns it off).") var nms: Float?
    @Flag(help: "Turn non-maximum suppression off.") var noNms = false
    @Option(help: "Keep at most K detections per frame.") var topK: Int?
    @Option(help: "Process at most this many frames per second (the newest each time).") var maxRate: Double?

    @Option(help: PrecisionCLI.help) var precision: ModelPrecision?

    func run() throws {
        var o = try stream.overrides(output: "detections")
        o.inputs["queries"] = NodeCLI.control(endpoint: queriesEndpoint, topic: queriesTopic, bind: queriesBind)
        // Given on the command line, queries are always "a, b" (a launch param may also be a list).
        o.param("queries", queries.map { .string($0) })
        o.param("model", model.map { .string($0) })
        o.param("precision", precision.map { .string($0.rawValue) })
        o.param("threshold", threshold.map { .double(Double($0)) })
        o.param("nms", noNms ? .double(0) : nms.map { .double(Double($0)) })
        o.param("top_k", topK.map { .int($0) })
        try NodeCLI.run(DetectNodeType.self, overrides: o, maxRate: maxRate)
    }
}
