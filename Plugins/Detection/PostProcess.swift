import Foundation

/// Turns OWL-ViT's raw outputs into detections, as transformers'
/// `OwlViTImageProcessor.post_process_object_detection` does (max over queries, sigmoid,
/// cxcywh -> xyxy, scaled to the input image's own width and height, strict threshold, no clamping),
/// plus what the Hugging Face post-processing leaves out: class-aware NMS and top-k.

/// One detected object, in pixels of the input image.
public struct Detection: Equatable, Sendable, Codable {
    public var label: String
    public var labelIndex: Int
    public var score: Float
    /// [x0, y0, x1, y1] in input-image pixels (may extend past the image, as transformers leaves it).
    public var box: [Float]

    private enum CodingKeys: String, CodingKey { case label, labelIndex = "label_index", score, box }

    public init(label: String, labelIndex: Int, score: Float, box: [Float]) {
        (self.label, self.labelIndex, self.score, self.box) = (label, labelIndex, score, box)
    }
}

public enum DetectionPostProcess {
    /// - Parameters:
    ///   - logits: `numBoxes x labels.count` class logits, row-major (one row per predicted box).
    ///   - boxes: `numBoxes x 4` predicted boxes (cx, cy, w, h) relative to the model input, in [0, 1].
    ///   - threshold: keep boxes whose score is strictly greater.
    /// - Returns: detections sorted by descending score.
    public static func detections(logits: [Float], boxes: [Float], labels: [String], imageWidth: Int, imageHeight: Int,
                                  threshold: Float) -> [Detection] {
        let queries = labels.count
        precondition(queries > 0 && logits.count % queries == 0 && boxes.count == logits.count / queries * 4,
                     "post-process: \(logits.count) logits and \(boxes.count / 4) boxes do not fit \(queries) queries")
        let w = Float(imageWidth), h = Float(imageHeight)
        var result: [Detection] = []
        for b in 0..<(logits.count / queries) {
            var best = 0
            for q in 1..<queries where logits[b * queries + q] > logits[b * queries + best] { best = q }
            let score = sigmoid(logits[b * queries + best])
            guard score > threshold else { continue }
            let cx = boxes[b * 4], cy = boxes[b * 4 + 1], bw = boxes[b * 4 + 2], bh = boxes[b * 4 + 3]
            let xyxy = [(cx - 0.5 * bw) * w, (cy - 0.5 * bh) * h, (cx + 0.5 * bw) * w, (cy + 0.5 * bh) * h]
            result.append(Detection(label: labels[best], labelIndex: best, score: score, box: xyxy))
        }
        return result.sorted(by: ranksBefore)
    }

    /// Greedy non-maximum suppression within each label: a box is dropped when it overlaps a
    /// higher-scoring box of the same label by IoU strictly above `iou`.
    public static func nonMaximumSuppression(_ detections: [Detection], iou: Float) -> [Detection] {
        var kept: [Detection] = []
        for candidate in detections.sorted(by: ranksBefore) where !kept.contains(where: {
            $0.labelIndex == candidate.labelIndex && intersectionOverUnion($0.box, candidate.box) > iou
        }) {
            kept.append(candidate)
        }
        return kept
    }

    /// IoU of two [x0, y0, x1, y1] boxes (0 when either is empty).
    public static func intersectionOverUnion(_ a: [Float], _ b: [Float]) -> Float {
        let iw = max(0, min(a[2], b[2]) - max(a[0], b[0]))
        let ih = max(0, min(a[3], b[3]) - max(a[1], b[1]))
        let inter = iw * ih
        let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
        return union > 0 ? inter / union : 0
    }

    /// Score descending; ties keep the model's box order stable by label then position.
    static func ranksBefore(_ a: Detection, _ b: Detection) -> Bool {
        a.score != b.score ? a.score > b.score : (a.labelIndex, a.box[0], a.box[1]) < (b.labelIndex, b.box[0], b.box[1])
    }

    static func sigmoid(_ x: Float) -> Float { 1 / (1 + (-x).exp) }
}

private extension Float {
    var exp: Float { Float(Foundation.exp(Double(self))) }
}
