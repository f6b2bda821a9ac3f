import Foundation
import VLMBus
import VLMMessages
import VLMNode
import VLMCore

/// The detector node's state and behaviour: the newest frame in (latest wins, from the runtime),
/// OWL-ViT, `vlm/Detections` out. Query sets come from the `queries` parameter and are replaced at
/// runtime by a `vlm/Text` message on the `queries` control input, applied before the next frame.
public final class DetectorNode: NodeProcessor {
    public let detector: OwlViTDetector
    public let model: String
    public let options: DetectionOptions

    public init(detector: OwlViTDetector, model: String, options: DetectionOptions) {
        self.detector = detector
        self.model = model
        self.options = options
    }

    public func started(runtime: NodeRuntime) {
        runtime.log("detect: \(model); " + runtime.portsDescription)
        runtime.log("queries version 1: \(detector.queries.labels.joined(separator: ", "))")
    }

    public func control(_ text: TextMessage, input role: String, runtime: NodeRuntime) throws {
        let set = try detector.setQueries(text.commaList)
        for warning in set.warnings { runtime.log("warning: \(warning)") }
        runtime.log("queries version \(set.version): \(set.labels.joined(separator: ", "))")
    }

    public func process(_ message: BusMessage, input role: String, runtime: NodeRuntime) throws {
        let frame = try FrameMessage(message: message)
        let start = BusClock.monotonicNs()
        let image = try NodeMessages.rgbImage(frame.info, frame.pixels!)
        let (found, set) = try detector.detect(image, options: options)
        let result = DetectionsMessage(
            detections: found.map { d in
                .init(label: d.label, labelIndex: d.labelIndex, score: Double(d.score), box: d.box.map { Double($0) })
            },
            queries: set.labels, queriesVersion: set.version, imageSize: [image.width, image.height],
            inferenceMs: Double(BusClock.monotonicNs() - start) / 1e6)
        try runtime.publish(result, on: "detections", stampedFrom: message)
    }

    /// "red cup, blue bowl" -> ["red cup", "blue bowl"] (empty items dropped).
    public static func splitQueries(_ text: String) -> [String] { NodeMessages.commaList(text) }
}
