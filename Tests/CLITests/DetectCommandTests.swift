import Foundation
import Testing
import TestSupport

/// `vlmnode detect` end to end (PNG decode, tokenizer, processor, model, post-processing) against
/// transformers' post_process_object_detection in reference/owlvit-tiny.json.
@Suite struct DetectCommandTests {
    static let reference: [String: Any] = {
        guard let data = try? Data(contentsOf: Fixtures.url("reference/owlvit-tiny.json")),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return json
    }()
    static var queries: [String] { (reference["inputs"] as? [String: Any])?["queries"] as? [String] ?? [] }
    static var cases: [[String: Any]] { reference["cases"] as? [[String: Any]] ?? [] }

    static func floats(_ any: Any?) -> [Double] { ((any as? [String: Any])?["data"] as? [Double]) ?? [] }

    func detect(_ args: [String]) throws -> (ProcessResult, [String: Any]?) {
        let result = try VLMNodeBinary.run(["detect"] + args)
        let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (result, object)
    }

    /// The image at the model's input size (48x48), and a non-square one (75x50) whose boxes are
    /// scaled to its own width and height: every patch's score and box as transformers has them.
    @Test(arguments: ["owlvit-tiny-old", "owlvit-tiny-new"])
    func reproducesTransformersDetections(folder: String) throws {
        for c in Self.cases {
            let image = Fixtures.url(try #require(c["image"] as? String)).path
            let (result, object) = try detect(["--model", Fixtures.url("models/\(folder)").path, "--json", "--threshold", "0", "--no-nms", image] + Self.queries)
            #expect(result.status == 0, "\(result.stderr)")
            let json = try #require(object)
            #expect(json["image_size"] as? [Int] == c["image_size"] as? [Int])
            let found = try #require(json["detections"] as? [[String: Any]])
            let det = try #require(c["detections"] as? [String: Any])
            let scores = Self.floats(det["scores"]), boxes = Self.floats(det["boxes"]), labels = try #require(det["labels"] as? [Int])
            #expect(found.count == scores.count && scores.count == 36)
            // Sorted by score, as the reference once ordered the same way.
            let order = scores.indices.sorted { scores[$0] > scores[$1] }
            for (d, i) in zip(found, order) {
                #expect(abs((d["score"] as? Double ?? -1) - scores[i]) < 1e-4)
                #expect(d["label_index"] as? Int == labels[i] && d["label"] as? String == Self.queries[labels[i]])
                let box = d["box"] as? [Double] ?? []
                #expect(box.count == 4 && (0 ..< 4).allSatisfy { abs(box[$0] - boxes[i * 4 + $0]) < 1e-3 }, "\(box) vs \(boxes[i * 4 ..< i * 4 + 4])")
            }
        }
    }

    @Test func nmsTopKAndAnnotatedImage() throws {
        let dir = try makeTemporaryDirectory("detect-annotate")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("boxes.png")
        let image = Fixtures.url("images/owlvit-75x50.png").path
        let (result, object) = try detect(["--model", Fixtures.url("models/owlvit-tiny-new").path, "--json", "--threshold", "0",
                                           "--top-k", "3", "--annotate", out.path, image] + Self.queries)
        #expect(result.status == 0, "\(result.stderr)")
        let found = try #require(object?["detections"] as? [[String: Any]])
        let scores = found.compactMap { $0["score"] as? Double }
        #expect(found.count == 3 && scores == scores.sorted(by: >))
        let written = try Data(contentsOf: out)
        #expect(written.starts(with: [0x89, 0x50, 0x4E, 0x47]))   // a PNG
    }

    @Test func videoInputGivesOneObjectPerProcessedFrame() throws {
        let (result, _) = try detect(["--model", Fixtures.url("models/owlvit-tiny-old").path, "--json", "--every", "3", "--frames", "7",
                                      "lavfi:testsrc=size=64x48:rate=30", "a red disc"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.map { $0["frame"] as? Int } == [0, 3, 6])
        #expect(lines.allSatisfy { $0["image_size"] as? [Int] == [64, 48] && $0["pts"] is Double && $0["detections"] is [Any] })
    }

    @Test(arguments: [
        (["IMAGE"], "no queries"),
        (["/no/such/image.png", "cup"], "/no/such/image.png"),
        (["--model", "MODELS/clip-tiny-new", "IMAGE", "cup"], "CLIPModel"),
    ])
    func badInputIsOneLineAndNonZero(args: [String], needle: String) throws {
        let resolved = args.map {
            $0 == "IMAGE" ? Fixtures.url("images/owlvit-48x48.png").path : $0.replacingOccurrences(of: "MODELS", with: Fixtures.url("models").path)
        }
        let model = resolved.contains("--model") ? [] : ["--model", Fixtures.url("models/owlvit-tiny-old").path]
        let (result, _) = try detect(model + resolved)
        #expect(result.status != 0)
        #expect(result.stderr.contains(needle), "\(result.stderr)")
        #expect(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(result.stderr)")
    }

    @Test func longQueryIsTruncatedWithAWarning() throws {
        let long = Array(repeating: "a blue bar", count: 8).joined(separator: " next to ")
        let (result, object) = try detect(["--model", Fixtures.url("models/owlvit-tiny-old").path, "--json",
                                           Fixtures.url("images/owlvit-48x48.png").path, long])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("truncated") && object?["detections"] != nil)
    }
}
