import Detection
import Foundation
import VLMNode

/// The `ground` node type: declared once here (ports, params, defaults, docs), registered by name.
public enum GroundNodeType: NodePlugin {
    public static let spec = NodeTypeSpec(
        name: "ground", summary: "ground language commands in the newest frame",
        inputs: [
            PortSpec("image", topic: "camera/image", type: MessageType.frame),
            PortSpec("command", topic: "ground/command", type: MessageType.text, optional: true),
        ],
        outputs: [PortSpec("grounding", topic: "grounding", type: MessageType.grounding)],
        params: [
            ParamSpec("command", .string, doc: "a fixed command, grounded on every frame"),
            ParamSpec("detector", .model, default: .string("google/owlvit-base-patch32"), doc: "OWL-ViT: hub name or folder"),
            ParamSpec("segmenter", .model, default: .string("CIDAS/clipseg-rd64-refined"), doc: "CLIPSeg: hub name or folder"),
            ParamSpec("threshold", .number, default: .double(0.1), doc: "minimum detection score for a candidate"),
            NodePrecision.param,
        ])

    public static func make(wiring: NodeWiring, log: NodeLog) throws -> any NodeProcessor {
        let command = try wiring.string("command")
        guard command != nil || wiring.inputs["command"]?.endpoint != nil else {
            throw NodeWiringError("no command: give --command \"pick up the red cup\" or --commands-endpoint ENDPOINT")
        }
        let threshold = Float(try wiring.double("threshold") ?? 0.1)
        guard threshold.isFinite, (0 ... 1).contains(threshold) else {
            throw NodeWiringError("threshold must be in [0, 1], got \(threshold)")
        }
        let detector = try wiring.string("detector") ?? "google/owlvit-base-patch32"
        let segmenter = try wiring.string("segmenter") ?? "CIDAS/clipseg-rd64-refined"
        let precision = try NodePrecision.resolve(wiring)
        let detectorFolder = try NodeModels.folder(detector, role: "detector model")
        let segmenterFolder = try NodeModels.folder(segmenter, role: "segmenter model")
        do {
            let phraseDetector = try OwlViTPhraseDetector(folder: detectorFolder)
            let phraseSegmenter = try CLIPSegPhraseSegmenter(folder: segmenterFolder)
            NodePrecision.apply(precision, to: [phraseDetector.detector.model, phraseSegmenter.segmenter.model])
            let pipeline = GroundingPipeline(detector: phraseDetector, segmenter: phraseSegmenter,
                                             options: GroundingOptions(threshold: threshold))
            return try GroundingNode(pipeline: pipeline, models: "\(detector) + \(segmenter)", command: command)
        } catch let error as CommandParseError {
            throw NodeWiringError("command: \(error.message)")
        }
    }
}
