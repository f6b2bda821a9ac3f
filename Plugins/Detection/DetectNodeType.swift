import Foundation
import VLMNode

/// The `detect` node type: declared once here (ports, params, defaults, docs), registered by name.
public enum DetectNodeType: NodePlugin {
    public static let spec = NodeTypeSpec(
        name: "detect", summary: "open-vocabulary detection (OWL-ViT) on the newest frame",
        inputs: [
            PortSpec("image", topic: "camera/image", type: MessageType.frame),
            PortSpec("queries", topic: "detections/queries", type: MessageType.text, optional: true),
        ],
        outputs: [PortSpec("detections", topic: "detections", type: MessageType.detections)],
        params: [
            ParamSpec("queries", .stringList, required: true, doc: "what to look for (a list, or \"a, b\")"),
            ParamSpec("model", .model, default: .string("google/owlvit-base-patch32"), doc: "short name, hub id or folder"),
            ParamSpec("threshold", .number, default: .double(0.1), doc: "keep boxes scoring above this"),
            ParamSpec("nms", .number, default: .double(0.3), doc: "IoU for class-aware NMS; 0 turns it off"),
            ParamSpec("top_k", .int, doc: "keep at most K detections per frame"),
            NodePrecision.param,
        ])

    /// Loads the model with the initial queries (model warnings go to stderr).
    public static func make(wiring: NodeWiring, log: NodeLog) throws -> any NodeProcessor {
        // A launch param may be a list (items kept whole, commas and all) or "a, b".
        guard let labels = try wiring.stringList("queries") else {
            throw NodeWiringError("no queries: give --queries \"red cup, blue bowl\" (param queries)")
        }
        guard !labels.isEmpty, labels.allSatisfy({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
            throw NodeWiringError("no usable queries in \(labels): give at least one, e.g. \"red cup\"")
        }
        let nms = try wiring.double("nms") ?? 0.3
        let options = DetectionOptions(threshold: Float(try wiring.double("threshold") ?? 0.1),
                                       nmsIoU: nms <= 0 ? nil : Float(nms), topK: try wiring.int("top_k"))
        let model = try wiring.string("model") ?? "google/owlvit-base-patch32"
        let precision = try NodePrecision.resolve(wiring)
        let detector = try OwlViTDetector(folder: try NodeModels.folder(model), queries: labels)
        NodePrecision.apply(precision, to: [detector.model])
        for warning in detector.queries.warnings { FileHandle.standardError.write(Data("vlmnode: warning: \(NodeLog.escape(warning))\n".utf8)) }
        return DetectorNode(detector: detector, model: model, options: options)
    }
}
