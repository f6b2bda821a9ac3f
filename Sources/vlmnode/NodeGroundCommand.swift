import ArgumentParser
import Grounding
import VLMNode

/// `vlmnode node ground`: the grounding node. Started by hand with options, or by `vlmnode launch`
/// with everything in `VLMNODE_WIRING` (options given explicitly still win).
struct NodeGroundCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ground",
        abstract: "Ground language commands on the newest frame of a stream; publish vlm/Grounding.",
        discussion: NodeCLI.discussion(GroundNodeType.spec, example: """
            Example: vlmnode source lavfi:testsrc=size=640x480:rate=30 --bind ipc:///tmp/cam.sock & \
            vlmnode node ground --input ipc:///tmp/cam.sock --commands-endpoint tcp://127.0.0.1:5560 --commands-bind. \
            Send a command by publishing a vlm/Text message ({"text": "pick up the red cup and put it in the blue bowl"}) \
            on the commands topic; it is grounded on every new frame until the next command replaces it.
            """))

    @OptionGroup var stream: NodeStreamOptions
    @Option(help: "A command to ground from the start.") var command: String?
    @Option(help: "Endpoint of a vlm/Text publisher of commands.") var commandsEndpoint: String?
    @Flag(help: "Bind --commands-endpoint instead of connecting (outside programs connect a PUB socket).") var commandsBind = false
    @Option(help: "Topic of the command messages.") var commandsTopic: String?
    @Option(help: "Detector (OWL-ViT): hub name or folder.") var detector: String?
    @Option(help: "Segmenter (CLIPSeg): hub name or folder.") var segmenter: String?
    @Option(help: "Minimum detection score for a candidate.") var threshold: Float?
    @Option(help: "Process at most this many frames per second (the newest each time).") var maxRate: Double?

    @Option(help: PrecisionCLI.help) var precision: ModelPrecision?

    func run() throws {
        var o = try stream.overrides(output: "grounding")
        o.inputs["command"] = NodeCLI.control(endpoint: commandsEndpoint, topic: commandsTopic, bind: commandsBind)
        o.param("command", command.map { .string($0) })
        o.param("detector", detector.map { .string($0) })
        o.param("precision", precision.map { .string($0.rawValue) })
        o.param("segmenter", segmenter.map { .string($0) })
        o.param("threshold", threshold.map { .double(Double($0)) })
        try NodeCLI.run(GroundNodeType.self, overrides: o, maxRate: maxRate)
    }
}
