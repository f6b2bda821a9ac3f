import ArgumentParser
import Foundation
import VLMNode
import Grounding
import VLMCore

/// `vlmnode ground IMAGE "COMMAND"`: a language command -> the targets a robot acts on.
struct GroundCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ground",
        abstract: "Parse a command such as \"pick up the red cup and put it in the blue bowl\" and ground it in an image.",
        discussion: "The grammar is documented in docs/grounding.md. --parse-only prints the parsed intent without loading any model.")

    @Argument(help: "The image to ground the command in (omit with --parse-only).")
    var image: String?

    @Argument(help: "The command, in quotes.")
    var command: String?

    @Flag(help: "Print the parsed intent only; load no model.")
    var parseOnly = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(help: "Detector (OWL-ViT): a local folder or a Hugging Face id.")
    var detector = "google/owlvit-base-patch32"

    @Option(help: "Segmenter (CLIPSeg): a local folder or a Hugging Face id.")
    var segmenter = "CIDAS/clipseg-rd64-refined"

    @Option(help: "Minimum detection score for a candidate box.")
    var threshold: Float = 0.1

    @Option(help: "Write the image with boxes, points and labels drawn on it (PNG or JPEG).")
    var annotate: String?

    @Option(help: PrecisionCLI.help)
    var precision: Precision = .fp32

    mutating func run() throws {
        // With --parse-only a single positional argument is the command.
        let commandText: String
        if parseOnly, command == nil, let only = image { commandText = only } else if let command { commandText = command } else {
            throw ValidationError("missing the command: vlmnode ground IMAGE \"COMMAND\" (or --parse-only \"COMMAND\")")
        }
        let intent: CommandIntent
        do {
            intent = try CommandParser.parse(commandText)
        } catch let error as CommandParseError {
            throw CLIError("command: \(error.message)")
        }
        guard parseOnly else { return try ground(intent) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(intent), as: UTF8.self))
        } else {
            print(IntentText.describe(intent))
        }
    }

    private func ground(_ intent: CommandIntent) throws {
        guard let image else { throw ValidationError("missing the image: vlmnode ground IMAGE \"COMMAND\"") }
        guard threshold.isFinite, threshold >= 0, threshold <= 1 else { throw ValidationError("--threshold must be in [0, 1], got \(threshold)") }
        let picture = try VisionCLI.loadImage(image)
        let detectorFolder = try VisionCLI.resolveModel(detector, role: "detector")
        let segmenterFolder = try VisionCLI.resolveModel(segmenter, role: "segmenter")
        let pipeline: GroundingPipeline
        do {
            let phraseDetector = try OwlViTPhraseDetector(folder: detectorFolder)
            let phraseSegmenter = try CLIPSegPhraseSegmenter(folder: segmenterFolder)
            NodePrecision.apply(precision, to: [phraseDetector.detector.model, phraseSegmenter.segmenter.model])
            pipeline = GroundingPipeline(detector: phraseDetector, segmenter: phraseSegmenter,
                                         options: GroundingOptions(threshold: threshold))
        } catch {
            throw CLIError("loading models: \(error)")
        }
        let result: GroundingResult
        do { result = try pipeline.ground(intent, in: picture) } catch { throw CLIError("grounding: \(error)") }
        if let annotate {
            let drawn = Annotator.annotate(picture, with: result)
            try VisionCLI.writeImage(drawn.pixels, width: drawn.width, height: drawn.height, to: annotate)
        }
        if json { print(result.jsonString()) } else { print(IntentText.describe(result)) }
    }
}

/// Human-readable rendering of a parsed intent.
enum IntentText {
    static func describe(_ intent: CommandIntent) -> String {
        var lines = ["action:      \(intent.steps.map(\.action.rawValue).joined(separator: " then "))",
                     "object:      \(phrase(intent.object))"]
        if let d = intent.destination {
            let target = d.phrase.map(phrase) ?? "the \(d.region!.rawValue) of the image"
            lines.append("destination: \(d.relation.rawValue.split(separator: "_").joined(separator: " ")) \(target)")
        }
        if let r = intent.recipient { lines.append("recipient:   \(r)") }
        return lines.joined(separator: "\n")
    }

    /// The intent followed by one line per grounded target.
    static func describe(_ result: GroundingResult) -> String {
        var lines = [describe(result.intent)]
        for t in result.targets {
            let name = "\(t.role.rawValue) " + (t.phrase.map { "\"\($0)\"" } ?? "region \(t.region?.rawValue ?? "?")")
            guard let g = t.target else { lines.append("\(name): NOT FOUND - \(t.message ?? "")"); continue }
            var line = "\(name): box \(box(g.box)) point (\(Int(g.point.x.rounded())), \(Int(g.point.y.rounded()))) score "
                + String(format: "%.3f", g.score)
            if let r = t.runnerUp { line += " (runner-up \(box(r.box)) " + String(format: "%.3f)", r.score) }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    static func box(_ b: Box) -> String { "[" + b.array.map { String(Int($0.rounded())) }.joined(separator: ", ") + "]" }

    static func phrase(_ p: ObjectPhrase) -> String {
        "\"\(p.query)\"" + (p.qualifier.map { " (\($0.name))" } ?? "")
    }
}
