import Foundation
import Testing
import TestSupport
import VLMCore
@testable import Detection

/// The detector end to end on the tiny OWL-ViT folders against transformers'
/// post_process_object_detection (threshold 0: every patch) in reference/owlvit-tiny.json.
@Suite struct OwlViTDetectorTests {
    static let reference: [String: Any] = {
        guard let data = try? Data(contentsOf: Fixtures.url("reference/owlvit-tiny.json")),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return json
    }()
    static var cases: [[String: Any]] { reference["cases"] as? [[String: Any]] ?? [] }
    static var labels: [String] { (reference["inputs"] as? [String: Any])?["queries"] as? [String] ?? [] }

    static func tensor(_ any: Any?) throws -> (shape: [Int], data: [Float]) {
        let d = try #require(any as? [String: Any])
        return (try #require(d["shape"] as? [Int]), try #require(d["data"] as? [Double]).map { Float($0) })
    }

    /// Reference detections as `Detection`s, sorted like ours (score descending).
    static func expected(_ c: [String: Any]) throws -> [Detection] {
        let det = try #require(c["detections"] as? [String: Any])
        let scores = try tensor(det["scores"]).data, boxes = try tensor(det["boxes"]).data
        let labels = try #require(det["labels"] as? [Int])
        return labels.indices.map { i in
            Detection(label: Self.labels[labels[i]], labelIndex: labels[i], score: scores[i], box: Array(boxes[i * 4 ..< i * 4 + 4]))
        }.sorted { $0.score > $1.score }
    }

    @Test(arguments: ["owlvit-tiny-old", "owlvit-tiny-new"])
    func postProcessingMatchesTransformers(folder: String) throws {
        let detector = try OwlViTDetector(folder: Fixtures.url("models/\(folder)"), queries: Self.labels)
        #expect(detector.textContext == 16 && detector.queries.warnings.isEmpty)
        for c in Self.cases {
            let size = try #require(c["image_size"] as? [Int])   // [width, height]
            let p = try Self.tensor(c["pixel_values"])
            let (found, set) = try detector.detect(pixels: Tensor(shape: p.shape, values: p.data), imageWidth: size[0], imageHeight: size[1],
                                                   options: DetectionOptions(threshold: 0, nmsIoU: nil))
            #expect(set.version == 1)
            let want = try Self.expected(c)
            #expect(found.count == want.count && found.count == 36)
            for (a, b) in zip(found, want) {
                #expect(a.labelIndex == b.labelIndex && a.label == b.label)
                #expect(abs(a.score - b.score) < 1e-4)
                #expect(zip(a.box, b.box).allSatisfy { abs($0 - $1) < 1e-3 }, "\(a.box) vs \(b.box)")
            }
        }
    }

    @Test func nmsAndTopKThinTheList() throws {
        let detector = try OwlViTDetector(folder: Fixtures.url("models/owlvit-tiny-new"), queries: Self.labels)
        let p = try Self.tensor(Self.cases[0]["pixel_values"])
        let pixels = Tensor(shape: p.shape, values: p.data)
        let all = try detector.detect(pixels: pixels, imageWidth: 48, imageHeight: 48, options: .init(threshold: 0, nmsIoU: nil)).detections
        let nms = try detector.detect(pixels: pixels, imageWidth: 48, imageHeight: 48, options: .init(threshold: 0, nmsIoU: 0.3)).detections
        let top = try detector.detect(pixels: pixels, imageWidth: 48, imageHeight: 48, options: .init(threshold: 0, nmsIoU: 0.3, topK: 2)).detections
        #expect(nms == DetectionPostProcess.nonMaximumSuppression(all, iou: 0.3))
        #expect(nms.count < all.count && top == Array(nms.prefix(2)))
    }

    @Test func replacingQueriesBumpsTheVersionAndTakesEffect() throws {
        let detector = try OwlViTDetector(folder: Fixtures.url("models/owlvit-tiny-old"), queries: Self.labels)
        let p = try Self.tensor(Self.cases[0]["pixel_values"])
        let pixels = Tensor(shape: p.shape, values: p.data)
        let set = try detector.setQueries(["a photo of a cat"])
        #expect(set.version == 2 && detector.queries.labels == ["a photo of a cat"])
        let (found, used) = try detector.detect(pixels: pixels, imageWidth: 48, imageHeight: 48, options: .init(threshold: 0, nmsIoU: nil))
        #expect(used.version == 2 && found.allSatisfy { $0.label == "a photo of a cat" && $0.labelIndex == 0 })
        // Same scores as the third query of the full set: a query's embedding does not depend on its neighbours.
        let full = try OwlViTDetector(folder: Fixtures.url("models/owlvit-tiny-old"), queries: Self.labels)
        let logits = full.model.logits(image: try full.model.imageFeatures(pixels), queries: full.queries.embeddings)
        let want = (0 ..< 36).map { 1 / (1 + exp(-logits.pointer[$0 * 3 + 2])) }.sorted(by: >)
        #expect(found.count == 36 && zip(found.map(\.score), want).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func emptyAndBlankQueriesAreRefused() throws {
        let folder = Fixtures.url("models/owlvit-tiny-new")
        #expect(throws: InputError.self) { try OwlViTDetector(folder: folder, queries: []) }
        let detector = try OwlViTDetector(folder: folder, queries: ["cup"])
        let error = #expect(throws: InputError.self) { try detector.setQueries(["cup", "  "]) }
        #expect(error?.description == "query 2 of 2 is empty")
        #expect(detector.queries.version == 1)
    }

    /// A query past the 16-token context is truncated as transformers does (first 14 tokens, then
    /// <|endoftext|>), with a warning; its embedding equals that of its truncated ids.
    @Test func longQueriesAreTruncatedWithAWarning() throws {
        let folder = Fixtures.url("models/owlvit-tiny-new")
        let long = Array(repeating: "a red disc", count: 8).joined(separator: " and ")
        let detector = try OwlViTDetector(folder: folder, queries: ["cup", long])
        let warnings = detector.queries.warnings
        #expect(warnings.count == 1 && warnings[0].contains("truncated") && warnings[0].contains("16"))
        let ids = detector.tokenizer([long], padding: .maxLength, truncation: true, maxLength: 16).inputIds[0].map(Int.init)
        #expect(ids.count == 16 && ids.last == Int(detector.tokenizer.eosTokenId))
        let direct = try detector.model.queries([ids])
        #expect(zip(Array(detector.queries.embeddings.embeds.values[32 ..< 64]), direct.embeds.values).allSatisfy { abs($0 - $1) < 1e-5 })
    }
}
