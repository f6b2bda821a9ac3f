import ArgumentParser
import Foundation
import VLMBus
import VLMCore
import VLMMedia
import VLMNode
import VideoText

private let videoNodeStop = InterruptFlag()

/// `vlmnode node video`: the X-CLIP video-text node. Started by hand with options, or by
/// `vlmnode launch` with everything in `VLMNODE_WIRING` (options given explicitly still win).
struct NodeVideoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "video",
        abstract: "Score a rolling window of a frame stream against prompts; publish vlm/VideoScores and vlm/VideoEvent.",
        discussion: """
            Example: vlmnode source lavfi:testsrc=size=320x240:rate=8 --bind ipc:///tmp/cam.sock & \
            vlmnode node video --input ipc:///tmp/cam.sock --prompts "person jumping, person sitting". Replace the \
            prompts at runtime by publishing a vlm/Text message ({"text": "person waving"}) on the prompts topic. \
            Events fire when a prompt's probability (its logit, with one prompt) reaches --threshold and end \
            when it falls below threshold - hysteresis.
            """)

    @Option(help: "Endpoint of the frame publisher (vlm/Frame).")
    var input: String?

    @Option(help: "Topic of the frames.")
    var inputTopic: String?

    @Option(help: "Comma-separated prompts, e.g. \"person jumping, person sitting\".")
    var prompts: String?

    @Option(help: "Endpoint to publish scores on (default tcp://127.0.0.1:*, printed at start).")
    var bind: String?

    @Option(help: "Topic of the scores.")
    var topic: String?

    @Option(help: "Endpoint to publish events on (default: the scores endpoint).")
    var eventsBind: String?

    @Option(help: "Topic of the events.")
    var eventsTopic: String?

    @Option(help: "Endpoint of a vlm/Text publisher whose messages replace the prompts.")
    var promptsEndpoint: String?

    @Flag(help: "Bind --prompts-endpoint instead of connecting (outside programs connect a PUB socket).")
    var promptsBind = false

    @Option(help: "Topic of the prompt messages.")
    var promptsTopic: String?

    @Option(help: "Hub model name or local folder.")
    var model: String?

    @Option(help: "Seconds of stream a window spans.")
    var window: Double?

    @Option(help: "Seconds between scored windows.")
    var stride: Double?

    @Option(help: "Seconds between frames kept for the window (default window / (2 x num_frames)).")
    var sampleStride: Double?

    @Option(help: "Event threshold (probability; the logit with one prompt).")
    var threshold: Float?

    @Option(help: "An event ends when the score falls below threshold - hysteresis.")
    var hysteresis: Float?

    @Option(help: PrecisionCLI.help) var precision: ModelPrecision?

    func run() throws {
        let wiring: NodeWiring?
        do { wiring = try NodeWiring.fromEnvironment() } catch { throw CLIError("\(error)") }
        let (modelName, promptList, config) = try resolve(wiring)
        let store = ModelStore()
        let scorer: VideoTextScorer
        do {
            let folder = try store.localFolder(modelName) ?? store.resolve(modelName).folder
            scorer = try VideoTextScorer(folder: folder)
            try scorer.setPrompts(promptList)
        } catch { throw CLIError("model '\(modelName)': \(error)") }
        PrecisionCLI.apply(try PrecisionCLI.resolve(precision, wiring?.string("precision")), to: [scorer.model])
        installVideoNodeStopSignals()
        let node: VideoTextNode
        do { node = try VideoTextNode(scorer: scorer, configuration: config) } catch { throw CLIError("\(error)") }
        print("video: \(modelName) (\(scorer.numFrames) frames per window of \(config.window) s, every \(config.stride) s); "
              + "frames \(config.framesTopic) from \(config.framesEndpoint); scores \(config.scoresTopic) on \(node.scoresPublisher.endpoint); "
              + "events \(config.eventsTopic) on \(node.eventsPublisher.endpoint)"
              + (node.promptsEndpoint.map { "; prompts \(config.promptsTopic) \(config.bindPrompts ? "bound at" : "from") \($0)" } ?? ""))
        print("prompts version 1: \(promptList.joined(separator: ", "))")
        fflush(stdout)
        node.run { videoNodeStop.isRaised }
        let s = node.frameStats
        print("video: \(node.processed) windows; frames received \(s.received), dropped \(s.dropped)")
    }

    /// Options first, then the launcher's wiring, then defaults; one-line errors for what is missing.
    func resolve(_ wiring: NodeWiring?) throws -> (String, [String], VideoTextNode.Configuration) {
        do {
            let image = wiring?.inputs["image"], p = wiring?.inputs["prompts"]
            let scores = wiring?.outputs["scores"], events = wiring?.outputs["events"]
            guard let frames = input ?? image?.endpoint else {
                throw CLIError("no frame input: give --input ENDPOINT (the endpoint vlmnode source printed)")
            }
            guard let text = try prompts ?? wiring?.stringList("prompts")?.joined(separator: ", ") else {
                throw CLIError("no prompts: give --prompts \"person jumping, person sitting\"")
            }
            let list = VideoTextNode.splitPrompts(text)
            guard !list.isEmpty else { throw CLIError("no prompts in \"\(text)\": give at least one, e.g. \"person jumping\"") }
            let windowSeconds = try window ?? wiring?.double("window") ?? 2
            let config = VideoTextNode.Configuration(
                framesEndpoint: frames, framesTopic: inputTopic ?? image?.topic ?? "/camera/image",
                scoresEndpoint: bind ?? scores?.endpoint ?? Endpoint.defaultPublisher,
                scoresTopic: topic ?? scores?.topic ?? "/video/scores",
                eventsEndpoint: eventsBind ?? events?.endpoint, eventsTopic: eventsTopic ?? events?.topic ?? "/video/events",
                promptsEndpoint: promptsEndpoint ?? p?.endpoint, promptsTopic: promptsTopic ?? p?.topic ?? "/video/prompts",
                bindPrompts: promptsEndpoint != nil ? promptsBind : (p?.bind ?? false),
                window: windowSeconds, stride: try stride ?? wiring?.double("stride") ?? windowSeconds / 2,
                sampleStride: try sampleStride ?? wiring?.double("sample_stride"),
                threshold: try threshold ?? wiring?.double("threshold").map(Float.init) ?? 0.6,
                hysteresis: try hysteresis ?? wiring?.double("hysteresis").map(Float.init) ?? 0.1)
            guard config.window > 0, config.stride > 0, (config.sampleStride ?? 0) >= 0, config.hysteresis >= 0 else {
                throw CLIError("window, stride, sample stride and hysteresis must be positive")
            }
            return (try model ?? wiring?.string("model") ?? "microsoft/xclip-base-patch32", list, config)
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
    }
}

/// SIGINT/SIGTERM stop the node after the current window; a second one ends it at once.
private func installVideoNodeStopSignals() {
    _ = videoNodeStop.isRaised
    for sig in [SIGINT, SIGTERM] {
        signal(sig) { received in
            videoNodeStop.raise()
            signal(received, SIG_DFL)
        }
    }
}
