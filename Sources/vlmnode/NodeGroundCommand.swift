import ArgumentParser
import Detection
import Foundation
import Grounding
import VLMBus
import VLMMedia
import VLMNode

private let groundStop = InterruptFlag()

/// `vlmnode node ground`: the grounding node. Started by hand with options, or by `vlmnode launch`
/// with everything in `VLMNODE_WIRING` (options given explicitly still win).
struct NodeGroundCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ground",
        abstract: "Ground language commands on the newest frame of a stream; publish vlm/Grounding.",
        discussion: """
            Example: vlmnode source lavfi:testsrc=size=640x480:rate=30 --bind ipc:///tmp/cam.sock & \
            vlmnode node ground --input ipc:///tmp/cam.sock --commands-endpoint tcp://127.0.0.1:5560 --commands-bind. \
            Send a command by publishing a vlm/Text message ({"text": "pick up the red cup and put it in the blue bowl"}) \
            on the commands topic; it is grounded on every new frame until the next command replaces it.
            """)

    @Option(help: "Endpoint of the frame publisher (vlm/Frame).") var input: String?
    @Option(help: "Topic of the frames.") var inputTopic: String?
    @Option(help: "A command to ground from the start.") var command: String?
    @Option(help: "Endpoint to publish results on (default tcp://127.0.0.1:*, printed at start).") var bind: String?
    @Option(help: "Topic of the results.") var topic: String?
    @Option(help: "Endpoint of a vlm/Text publisher of commands.") var commandsEndpoint: String?
    @Flag(help: "Bind --commands-endpoint instead of connecting (outside programs connect a PUB socket).") var commandsBind = false
    @Option(help: "Topic of the command messages.") var commandsTopic: String?
    @Option(help: "Detector (OWL-ViT): hub name or folder.") var detector: String?
    @Option(help: "Segmenter (CLIPSeg): hub name or folder.") var segmenter: String?
    @Option(help: "Minimum detection score for a candidate.") var threshold: Float?
    @Option(help: "Process at most this many frames per second (the newest each time).") var maxRate: Double?

    @Option(help: PrecisionCLI.help) var precision: ModelPrecision?

    func run() throws {
        let wiring: NodeWiring?
        do { wiring = try NodeWiring.fromEnvironment() } catch { throw CLIError("\(error)") }
        let (models, configuration) = try resolve(wiring)
        let detectorFolder = try VisionCLI.resolveModel(models.detector, role: "detector")
        let segmenterFolder = try VisionCLI.resolveModel(models.segmenter, role: "segmenter")
        let node: GroundingNode
        do {
            let phraseDetector = try OwlViTPhraseDetector(folder: detectorFolder)
            let phraseSegmenter = try CLIPSegPhraseSegmenter(folder: segmenterFolder)
            PrecisionCLI.apply(try PrecisionCLI.resolve(precision, wiring?.string("precision")),
                               to: [phraseDetector.detector.model, phraseSegmenter.segmenter.model])
            let pipeline = GroundingPipeline(detector: phraseDetector, segmenter: phraseSegmenter,
                                             options: GroundingOptions(threshold: models.threshold))
            node = try GroundingNode(pipeline: pipeline, configuration: configuration)
        } catch let error as CommandParseError {
            throw CLIError("command: \(error.message)")
        } catch {
            throw CLIError("\(error)")
        }
        installGroundStopSignals()
        let c = configuration
        print("ground: \(models.detector) + \(models.segmenter); frames \(c.framesTopic) from \(c.framesEndpoint); publishing \(c.outputTopic) on \(node.publisher.endpoint)"
              + (node.commandsEndpoint.map { "; commands \(c.commandsTopic) \(c.bindCommands ? "bound at" : "from") \($0)" } ?? ""))
        if let active = node.activeCommand { print("command 1: \(active)") }
        fflush(stdout)
        node.run { groundStop.isRaised }
        let s = node.frameStats
        print("ground: \(node.processed) results; frames received \(s.received), dropped \(s.dropped) (overwritten \(s.overwritten))")
    }

    /// Options first, then the launcher's wiring, then defaults.
    func resolve(_ wiring: NodeWiring?) throws -> ((detector: String, segmenter: String, threshold: Float), GroundingNode.Configuration) {
        do {
            let image = wiring?.inputs["image"], out = wiring?.outputs["grounding"], cmd = wiring?.inputs["command"]
            guard let frames = input ?? image?.endpoint else {
                throw CLIError("no frame input: give --input ENDPOINT (the endpoint vlmnode source printed)")
            }
            let commandText = try command ?? wiring?.string("command")
            let commandsEndpoint = commandsEndpoint ?? cmd?.endpoint
            guard commandText != nil || commandsEndpoint != nil else {
                throw CLIError("no command: give --command \"pick up the red cup\" or --commands-endpoint ENDPOINT")
            }
            let threshold = try threshold ?? wiring?.double("threshold").map(Float.init) ?? 0.1
            guard threshold.isFinite, (0 ... 1).contains(threshold) else { throw CLIError("threshold must be in [0, 1], got \(threshold)") }
            let configuration = GroundingNode.Configuration(
                framesEndpoint: frames, framesTopic: inputTopic ?? image?.topic ?? "/camera/image",
                outputEndpoint: bind ?? out?.endpoint ?? Endpoint.defaultPublisher, outputTopic: topic ?? out?.topic ?? "/grounding",
                commandsEndpoint: commandsEndpoint, commandsTopic: commandsTopic ?? cmd?.topic ?? "/ground/command",
                bindCommands: self.commandsEndpoint != nil ? commandsBind : (cmd?.bind ?? false),
                command: commandText, maxRate: maxRate)
            let models = (detector: try detector ?? wiring?.string("detector") ?? "google/owlvit-base-patch32",
                          segmenter: try segmenter ?? wiring?.string("segmenter") ?? "CIDAS/clipseg-rd64-refined",
                          threshold: threshold)
            return (models, configuration)
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
    }
}

/// SIGINT/SIGTERM stop the node after the current frame; a second one ends it at once.
private func installGroundStopSignals() {
    _ = groundStop.isRaised
    for sig in [SIGINT, SIGTERM] {
        signal(sig) { received in
            groundStop.raise()
            signal(received, SIG_DFL)
        }
    }
}
