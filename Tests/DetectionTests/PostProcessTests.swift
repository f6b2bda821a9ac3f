import Foundation
import Testing
@testable import Detection

@Test func postProcessMatchesTheTransformersRecipe() {
    // Two boxes, two queries. Box 0: query 1 wins (logit 2); box 1: both below threshold after sigmoid.
    let logits: [Float] = [0.5, 2.0, -3.0, -4.0]
    let boxes: [Float] = [0.5, 0.25, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1]
    let dets = DetectionPostProcess.detections(logits: logits, boxes: boxes, labels: ["cup", "bowl"],
                                               imageWidth: 200, imageHeight: 100, threshold: 0.1)
    #expect(dets.count == 1)
    #expect(dets[0].label == "bowl" && dets[0].labelIndex == 1)
    #expect(abs(dets[0].score - Float(1 / (1 + exp(-2.0)))) < 1e-7)
    // cx 0.5*200=100, w 0.2*200=40 -> x 80..120; cy 0.25*100=25, h 10 -> y 20..30: the image's own size.
    #expect(zip(dets[0].box, [80, 20, 120, 30] as [Float]).allSatisfy { abs($0 - $1) < 1e-4 })
}

@Test func thresholdIsStrictAndResultsAreSortedByScore() {
    let logits: [Float] = [0, 1, 3]   // sigmoid(0) = 0.5 exactly
    let boxes = [Float](repeating: 0.5, count: 12)
    let dets = DetectionPostProcess.detections(logits: logits, boxes: boxes, labels: ["x"], imageWidth: 10, imageHeight: 10, threshold: 0.5)
    #expect(dets.map(\.score) == [Float(1 / (1 + exp(-3.0))), Float(1 / (1 + exp(-1.0)))])
}

@Test func nmsSuppressesOnlyOverlapsOfTheSameLabel() {
    let a = Detection(label: "cup", labelIndex: 0, score: 0.9, box: [0, 0, 10, 10])
    let b = Detection(label: "cup", labelIndex: 0, score: 0.8, box: [1, 1, 11, 11])     // IoU 81/119 = 0.68
    let c = Detection(label: "bowl", labelIndex: 1, score: 0.7, box: [1, 1, 11, 11])    // other label: kept
    let d = Detection(label: "cup", labelIndex: 0, score: 0.6, box: [20, 20, 30, 30])   // no overlap: kept
    #expect(DetectionPostProcess.nonMaximumSuppression([d, c, b, a], iou: 0.3) == [a, c, d])
    #expect(DetectionPostProcess.nonMaximumSuppression([a, b], iou: 0.7) == [a, b])
}

@Test func iouOfDisjointAndIdenticalBoxes() {
    #expect(DetectionPostProcess.intersectionOverUnion([0, 0, 1, 1], [2, 2, 3, 3]) == 0)
    #expect(DetectionPostProcess.intersectionOverUnion([0, 0, 2, 2], [0, 0, 2, 2]) == 1)
}
