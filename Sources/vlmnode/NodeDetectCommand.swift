import ArgumentParser
import Detection
import Foundation
import VLMBus
import VLMMedia
import VLMNode

private let nodeStop = InterruptFlag()

/// `vlmnode node detect`: the OWL-ViT detector node. Started by hand with options, or by
/// `vlmnode launch` with everything in `VLMNODE_WIRING` (options given explicitly still win).
struct NodeDetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Detect objects described in words on the newest frame of a stream; publish vlm/Detections.",
        discussion: """
            Example: vlmnode source lavfi:testsrc=size=640x480:rate=30 --bind ipc:///tmp/cam.sock & \
            vlmnode node detect --input ipc:///tmp/cam.sock --queries "red cup, blue bowl". Replace the queries at \
            runtime by publishing a vlm/Text message ({"text": "red cup, robot gripper"}) on the queries topic.
            """)

    @Option(help: "Endpoint of the frame publisher (vlm/Frame).")
    var input: String?

    @Option(help: "Topic of the frames.")
    var inputTopic: String?

    @Option(help: "Comma-separated queries, e.g. \"red cup, blue bowl\".")
    var queries: String?

    @Option(help: "Endpoint to publish detections on (default tcp://127.0.0.1:*, printed at start).")
    var bind: String?

    @Option(help: "Topic of the detections.")
    var topic: String?

    @Option(help: "Endpoint of a vlm/Text publisher whose messages replace the queries.")
    var queriesEndpoint: String?

    @Flag(help: "Bind --queries-endpoint instead of connecting (outside programs connect a PUB socket).")
    var queriesBind = false

    @Option(help: "Topic of the query messages.")
    var queriesTopic: String?

    @Option(help: "Hub model name or local folder.")
    var model: String?

    @Option(help: "Keep boxes whose score is above this.")
    var threshold: Float?

    @Option(help: "IoU of class-aware non-maximum suppression (0 turns it off).")
    var nms: Float?

    @Flag(help: "Turn non-maximum suppression off.")
    var noNms = false

    @Option(help: "Keep at most K detections per frame.")
    var topK: Int?

    @Option(help: "Process at most this many frames per second (the newest each time).")
    var maxRate: Double?

    @Option(help: PrecisionCLI.help) var precision: ModelPrecision?

    func run() throws {
        let wiring: NodeWiring?
        do { wiring = try NodeWiring.fromEnvironment() } catch { throw CLIError("\(error)") }
        let settings = try resolve(wiring)
        let detector = try loadDetector(model: settings.model, queries: settings.queries)
        PrecisionCLI.apply(try PrecisionCLI.resolve(precision, wiring?.string("precision")), to: [detector.model])
        installNodeStopSignals()
        let node: DetectorNode
        do { node = try DetectorNode(detector: detector, configuration: settings.configuration) } catch {
            throw CLIError("\(error)")
        }
        let c = settings.configuration
        print("detect: \(settings.model); frames \(c.framesTopic) from \(c.framesEndpoint); publishing \(c.outputTopic) on \(node.publisher.endpoint)"
              + (node.queriesEndpoint.map { "; queries \(c.queriesTopic) \(c.bindQueries ? "bound at" : "from") \($0)" } ?? ""))
        print("queries version 1: \(detector.queries.labels.joined(separator: ", "))")
        fflush(stdout)
        node.run { nodeStop.isRaised }
        let s = node.frameStats
        print("detect: \(node.processed) results; frames received \(s.received), dropped \(s.dropped) (overwritten \(s.overwritten), gaps \(s.gaps))")
    }

    struct Settings {
        var model: String
        var queries: [String]
        var configuration: DetectorNode.Configuration
    }

    /// Options first, then the launcher's wiring, then defaults; one-line errors for what is missing.
    func resolve(_ wiring: NodeWiring?) throws -> Settings {
        do {
            let image = wiring?.inputs["image"], out = wiring?.outputs["detections"], q = wiring?.inputs["queries"]
            guard let frames = input ?? image?.endpoint else {
                throw CLIError("no frame input: give --input ENDPOINT (the endpoint vlmnode source printed)")
            }
            // A launch param may be a list (items kept whole, commas and all) or "a, b".
            guard let labels = try queries.map(DetectorNode.splitQueries) ?? wiring?.stringList("queries") else {
                throw CLIError("no queries: give --queries \"red cup, blue bowl\"")
            }
            guard !labels.isEmpty, labels.allSatisfy({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
                throw CLIError("no usable queries in \(labels): give at least one, e.g. \"red cup\"")
            }
            let nmsValue = try nms ?? wiring?.double("nms").map(Float.init) ?? 0.3
            let options = DetectionOptions(
                threshold: try threshold ?? wiring?.double("threshold").map(Float.init) ?? 0.1,
                nmsIoU: noNms || nmsValue <= 0 ? nil : nmsValue,
                topK: try topK ?? wiring?.int("top_k"))
            let queriesEndpoint = queriesEndpoint ?? q?.endpoint
            let configuration = DetectorNode.Configuration(
                framesEndpoint: frames, framesTopic: inputTopic ?? image?.topic ?? "/camera/image",
                outputEndpoint: bind ?? out?.endpoint ?? Endpoint.defaultPublisher, outputTopic: topic ?? out?.topic ?? "/detections",
                queriesEndpoint: queriesEndpoint, queriesTopic: queriesTopic ?? q?.topic ?? "/detections/queries",
                bindQueries: self.queriesEndpoint != nil ? queriesBind : (q?.bind ?? false), options: options,
                maxRate: maxRate)
            return Settings(model: try model ?? wiring?.string("model") ?? "google/owlvit-base-patch32",
                            queries: labels, configuration: configuration)
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
    }
}

/// SIGINT/SIGTERM stop the node after the current frame; a second one ends it at once.
private func installNodeStopSignals() {
    _ = nodeStop.isRaised
    for sig in [SIGINT, SIGTERM] {
        signal(sig) { received in
            nodeStop.raise()
            signal(received, SIG_DFL)
        }
    }
}
