import Detection
import Foundation
import VLMCore

/// OWL-ViT as a `PhraseDetector`: the phrases are the query set (re-embedded only when they
/// change), one image pass scores every patch box against every phrase. Each phrase gets all boxes
/// with its own sigmoid score (not only the boxes where it wins the argmax, as transformers'
/// post-processing does), after NMS within the phrase.
public final class OwlViTPhraseDetector: PhraseDetector {
    public let detector: OwlViTDetector
    /// IoU above which a lower-scoring box of the same phrase is dropped.
    public var nmsIoU: Float

    public init(detector: OwlViTDetector, nmsIoU: Float = 0.3) {
        self.detector = detector
        self.nmsIoU = nmsIoU
    }

    /// Loads an OWL-ViT folder (queries are set per call).
    public convenience init(folder: URL) throws {
        try self.init(detector: OwlViTDetector(folder: folder, queries: ["object"]))
    }

    public func candidates(_ image: RGBImage, phrases: [String]) throws -> [[Candidate]] {
        if detector.queries.labels != phrases { try detector.setQueries(phrases) }
        let set = detector.queries
        let features = try detector.model.imageFeatures(try detector.pixels(image))
        let logits = detector.model.logits(image: features, queries: set.embeddings).values
        let boxes = features.boxes.values
        let q = phrases.count, n = logits.count / q
        return (0 ..< q).map { j in
            let column = (0 ..< n).map { logits[$0 * q + j] }
            let all = DetectionPostProcess.detections(logits: column, boxes: boxes, labels: [phrases[j]],
                                                      imageWidth: image.width, imageHeight: image.height, threshold: -1)
            return DetectionPostProcess.nonMaximumSuppression(all, iou: nmsIoU).map {
                Candidate(box: Box($0.box[0], $0.box[1], $0.box[2], $0.box[3]), score: $0.score)
            }
        }
    }
}

/// CLIPSeg as a `PhraseSegmenter`: one image encoding, one mask per phrase (sigmoid of the logits
/// at the model's output size; `ProbabilityMask` maps boxes onto it).
public final class CLIPSegPhraseSegmenter: PhraseSegmenter {
    public let segmenter: CLIPSegSegmenter

    public init(segmenter: CLIPSegSegmenter) { self.segmenter = segmenter }

    public convenience init(folder: URL) throws { try self.init(segmenter: CLIPSegSegmenter(folder: folder)) }

    public func masks(_ image: RGBImage, phrases: [String]) throws -> [ProbabilityMask] {
        let s = try segmenter.segment(image, prompts: phrases)
        return phrases.indices.map {
            ProbabilityMask(width: s.width, height: s.height, values: s.probabilities($0),
                            imageWidth: image.width, imageHeight: image.height)
        }
    }
}
