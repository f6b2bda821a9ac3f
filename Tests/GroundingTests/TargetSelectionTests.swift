import Testing
@testable import Grounding

/// Three cups in a row on a 300x100 image; the middle one has the best detection score.
let row = [
    Candidate(box: Box(10, 40, 50, 90), score: 0.5),
    Candidate(box: Box(130, 30, 170, 80), score: 0.9),
    Candidate(box: Box(250, 20, 290, 60), score: 0.6),
]

func pick(_ q: SpatialQualifier?, mask: ProbabilityMask? = nil, threshold: Float = 0.1) -> (best: Target, runnerUp: Target?)? {
    TargetSelection.select(row, mask: mask, qualifier: q, imageWidth: 300, imageHeight: 100, threshold: threshold)
}

@Test func withoutQualifierTheBestScoreWinsAndTheNextIsRunnerUp() throws {
    let result = try #require(pick(nil))
    #expect(result.best.box == row[1].box)
    #expect(result.runnerUp?.box == row[2].box)
    #expect(result.best.point == (150, 55))
}

@Test(arguments: [
    (SpatialQualifier.leftmost, 0), (.rightmost, 2), (.topmost, 2), (.bottommost, 0), (.middle, 1),
    (.nearest, 0), (.farthest, 2), (.ordinal(index: 2, from: .left), 1), (.ordinal(index: 1, from: .right), 2),
    (.ordinal(index: 3, from: .left), 2),
])
func qualifierChoosesByGeometry(qualifier: SpatialQualifier, expected: Int) throws {
    #expect(try #require(pick(qualifier)).best.box == row[expected].box)
}

@Test func sizeQualifiers() throws {
    let boxes = [Candidate(box: Box(0, 0, 10, 10), score: 0.3), Candidate(box: Box(20, 20, 80, 80), score: 0.2)]
    let large = TargetSelection.select(boxes, mask: nil, qualifier: .largest, imageWidth: 100, imageHeight: 100, threshold: 0.1)
    let small = TargetSelection.select(boxes, mask: nil, qualifier: .smallest, imageWidth: 100, imageHeight: 100, threshold: 0.1)
    #expect(large?.best.box == boxes[1].box)
    #expect(small?.best.box == boxes[0].box)
}

@Test func nothingAboveThresholdIsNotFound() {
    #expect(pick(nil, threshold: 0.95) == nil)
    #expect(pick(.ordinal(index: 4, from: .left)) == nil)
}

@Test func maskMovesTheChoiceAndThePoint() throws {
    // A 30x10 mask (10x coarser than the image) that is on only under the right-hand cup's lower half.
    var values = [Float](repeating: 0, count: 300)
    for r in 4..<6 { for c in 25..<29 { values[r * 30 + c] = 1 } }
    let mask = ProbabilityMask(width: 30, height: 10, values: values, imageWidth: 300, imageHeight: 100)
    let result = try #require(pick(nil, mask: mask))
    #expect(result.best.box == row[2].box, "mask mass decides between similar detections")
    #expect(abs(result.best.point.x - 270) < 0.01 && abs(result.best.point.y - 50) < 0.01)
    #expect(result.best.maskScore! > 0 && result.runnerUp!.maskScore == 0)
}
