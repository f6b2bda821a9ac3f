import Foundation
import Testing
import VLMCore
@testable import Grounding

/// A detector that answers from a table (phrase -> boxes) and records what it was asked.
final class TableDetector: PhraseDetector {
    var table: [String: [Candidate]]
    var calls: [[String]] = []
    init(_ table: [String: [Candidate]]) { self.table = table }
    func candidates(_ image: RGBImage, phrases: [String]) throws -> [[Candidate]] {
        calls.append(phrases)
        return phrases.map { table[$0] ?? [] }
    }
}

/// A segmenter whose mask for every phrase is 1 inside `hot` and 0 elsewhere.
final class BoxSegmenter: PhraseSegmenter {
    let hot: [String: Box]
    init(_ hot: [String: Box]) { self.hot = hot }
    func masks(_ image: RGBImage, phrases: [String]) throws -> [ProbabilityMask] {
        phrases.map { p in
            var v = [Float](repeating: 0, count: image.width * image.height)
            if let b = hot[p] {
                for y in Int(b.y0) ..< Int(b.y1) { for x in Int(b.x0) ..< Int(b.x1) { v[y * image.width + x] = 1 } }
            }
            return ProbabilityMask(width: image.width, height: image.height, values: v, imageWidth: image.width, imageHeight: image.height)
        }
    }
}

@Suite struct GroundingPipelineTests {
    let image = RGBImage(width: 200, height: 100, pixels: [UInt8](repeating: 128, count: 200 * 100 * 3))
    let cupLeft = Candidate(box: Box(10, 40, 50, 90), score: 0.6)
    let cupRight = Candidate(box: Box(120, 40, 160, 90), score: 0.8)
    let bowl = Candidate(box: Box(60, 10, 110, 50), score: 0.7)

    func run(_ command: String, table: [String: [Candidate]], mask: [String: Box] = [:], threshold: Float = 0.1) throws -> (GroundingResult, TableDetector) {
        let detector = TableDetector(table)
        let pipeline = GroundingPipeline(detector: detector, segmenter: BoxSegmenter(mask), options: .init(threshold: threshold))
        return (try pipeline.ground(try CommandParser.parse(command), in: image), detector)
    }

    @Test func objectAndDestinationAreGroundedWithRunnerUp() throws {
        let (r, detector) = try run("pick up the red cup and put it in the blue bowl",
                                    table: ["red cup": [cupLeft, cupRight], "blue bowl": [bowl]],
                                    mask: ["red cup": Box(10, 40, 50, 90), "blue bowl": Box(60, 10, 110, 50)])
        #expect(detector.calls == [["red cup", "blue bowl"]])
        #expect(r.targets.map(\.role) == [.object, .destination])
        // The mask covers the left cup only: fusion prefers it despite the lower detection score.
        let object = try #require(r.targets[0].target)
        #expect(object.box == cupLeft.box)
        #expect(abs(object.point.x - 30) < 1 && abs(object.point.y - 65) < 1)
        #expect(r.targets[0].runnerUp?.box == cupRight.box)
        #expect(r.targets[1].target?.box == bowl.box && r.targets[1].relation == .in && r.targets[1].runnerUp == nil)
        #expect(r.complete)
    }

    @Test func qualifierResolvesAmongCandidates() throws {
        let (r, _) = try run("pick up the leftmost cup", table: ["cup": [cupRight, cupLeft]])
        #expect(r.targets[0].target?.box == cupLeft.box)
        #expect(r.targets[0].runnerUp?.box == cupRight.box)
    }

    @Test func phraseBelowThresholdIsNotFoundNeverAGuess() throws {
        let (r, _) = try run("pick up the red cup and put it in the blue bowl",
                             table: ["red cup": [cupLeft], "blue bowl": [Candidate(box: bowl.box, score: 0.05)]])
        #expect(r.targets[0].found)
        let missing = r.targets[1]
        #expect(!missing.found && missing.target == nil && missing.runnerUp == nil)
        #expect(missing.message?.contains("not found") == true && missing.bestDetectionScore == 0.05)
        let json = missing.jsonObject
        #expect(json["status"] as? String == "not_found" && json["box"] is NSNull && json["found"] as? Bool == false)
        #expect(!r.complete)
    }

    @Test func destinationNeverReusesTheObjectsBox() throws {
        // A detector that fires on the same box for both phrases: the destination must look elsewhere.
        let (r, _) = try run("put the cup in the bowl", table: ["cup": [cupRight], "bowl": [cupRight, bowl]])
        #expect(r.targets[0].target?.box == cupRight.box)
        #expect(r.targets[1].target?.box == bowl.box)
    }

    @Test func regionDestinationNeedsNoModel() throws {
        let (r, detector) = try run("put the cup to the left", table: ["cup": [cupRight]])
        #expect(detector.calls == [["cup"]])
        let d = r.targets[1]
        #expect(d.region == .left && d.phrase == nil && d.target?.box == Box(0, 0, 100, 100))
        #expect(d.target.map { $0.point == (50, 50) } == true)
    }

    @Test func resultJSONHasTheDocumentedShape() throws {
        let (r, _) = try run("pick up the red cup and put it in the blue bowl",
                             table: ["red cup": [cupLeft], "blue bowl": [bowl]])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.jsonString().utf8)) as? [String: Any])
        #expect(object["command"] as? String == "pick up the red cup and put it in the blue bowl")
        #expect(object["action"] as? String == "pick" && object["intent"] is [String: Any])
        let targets = try #require(object["targets"] as? [[String: Any]])
        #expect(targets.map { $0["role"] as? String } == ["object", "destination"])
        #expect(targets[0]["box"] as? [Double] == [10, 40, 50, 90] && targets[0]["found"] as? Bool == true)
        #expect((targets[0]["point"] as? [Double])?.count == 2 && targets[0]["score"] is Double && targets[0]["runner_up"] is NSNull)
    }

    @Test func annotationDrawsBoxesAndLabels() throws {
        let (r, _) = try run("pick up the red cup and put it in the bowl", table: ["red cup": [cupLeft]])
        let drawn = Annotator.annotate(image, with: r)
        func px(_ x: Int, _ y: Int) -> [UInt8] { Array(drawn.pixels[(y * 200 + x) * 3 ..< (y * 200 + x) * 3 + 3]) }
        #expect(px(10, 60) == [255, 40, 40])          // left edge of the object box
        #expect(px(100, 95) == [128, 128, 128])       // untouched background
        #expect(drawn.pixels != image.pixels)
        // The missing bowl is listed at the top-left in the destination colour.
        #expect((0 ..< 60).contains { x in (2 ..< 9).contains { y in px(x, y) == [40, 120, 255] } })
    }
}
