import Foundation
import Testing
import TestSupport

/// `vlmnode ask` end to end (PNG decode, BertTokenizer, ViltImageProcessor, ViLT) against transformers
/// (reference/vilt-tiny.json "cli": the image resized, and padded in a batch, as transformers runs it).
@Suite struct AskCommandTests {
    static let reference: [String: Any] = {
        guard let data = try? Data(contentsOf: Fixtures.url("reference/vilt-tiny.json")),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return json
    }()
    static var cli: [String: Any] { reference["cli"] as? [String: Any] ?? [:] }
    static let model = Fixtures.url("models/vilt-tiny-bin").path

    static func objects(_ stdout: String) -> [[String: Any]] {
        stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func jsonReproducesTransformers() throws {
        let image = Fixtures.url(try #require(Self.cli["image"] as? String)).path
        let questions = try #require(Self.cli["questions"] as? [String])
        let result = try VLMNodeBinary.run(["ask", "--model", Self.model, "--json", image] + questions)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = Self.objects(result.stdout)
        #expect(lines.count == 2)
        let logits = (Self.cli["logits"] as? [String: Any])?["data"] as? [Double] ?? []
        let answers = try #require(Self.cli["answers"] as? [[[String: Any]]])
        for (q, line) in lines.enumerated() {
            #expect(line["question"] as? String == questions[q])
            let got = line["logits"] as? [Double] ?? []
            let want = Array(logits[(q * 7) ..< ((q + 1) * 7)])
            #expect(got.count == 7 && zip(got, want).allSatisfy { abs($0 - $1) < 1e-3 }, "\(got) vs \(want)")
            let found = line["answers"] as? [[String: Any]] ?? []
            #expect(found.count == 5)
            #expect(found.map { $0["answer"] as? String } == answers[q].map { $0["answer"] as? String })
            for (f, a) in zip(found, answers[q]) {
                #expect(abs((f["score"] as? Double ?? -1) - (a["score"] as? Double ?? 1)) < 1e-4)
            }
        }
    }

    @Test func tableAndTopK() throws {
        let result = try VLMNodeBinary.run(["ask", "--model", Fixtures.url("models/vilt-tiny-safetensors").path, "--top-k", "2",
                                            Fixtures.url("images/vilt-100x60.png").path, "is the door open?"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first == "is the door open?" && lines.count == 4, "\(result.stdout)")
    }

    @Test func videoGivesOneObjectPerQuestionAndProcessedFrame() throws {
        let result = try VLMNodeBinary.run(["ask", "--model", Self.model, "--json", "--every", "2", "--frames", "5",
                                            "lavfi:testsrc=size=64x48:rate=10", "is it red?", "how many?"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = Self.objects(result.stdout)
        #expect(lines.map { $0["frame"] as? Int } == [0, 0, 2, 2, 4, 4])
        #expect(lines.allSatisfy { ($0["logits"] as? [Any])?.count == 7 && ($0["answers"] as? [Any])?.count == 5 && $0["pts"] is Double })
    }

    @Test(arguments: [
        (["IMAGE", ""], "question 1 is empty"),
        (["IMAGE", "ok", "  "], "question 2 is empty"),
        (["IMAGE"], "no questions"),
        (["--model", "MODELS/clip-tiny-new", "IMAGE", "is it red?"], "CLIPModel"),
        (["--model", "MODELS/owlvit-tiny-new", "IMAGE", "is it red?"], "OwlViTForObjectDetection"),
        (["BADIMAGE", "is it red?"], "bad.png"),
        (["/no/such/image.png", "is it red?"], "/no/such/image.png"),
    ])
    func badInputIsOneLineAndNonZero(args: [String], needle: String) throws {
        let dir = try makeTemporaryDirectory("ask-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.png")
        try Data("this is not a picture".utf8).write(to: bad)
        let resolved = args.map {
            $0 == "IMAGE" ? Fixtures.url("images/vilt-100x60.png").path : $0 == "BADIMAGE" ? bad.path
                : $0.replacingOccurrences(of: "MODELS", with: Fixtures.url("models").path)
        }
        let model = resolved.contains("--model") ? [] : ["--model", Self.model]
        let result = try VLMNodeBinary.run(["ask"] + model + resolved)
        #expect(result.status != 0)
        #expect(result.stderr.contains(needle), "\(result.stderr)")
        #expect(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(result.stderr)")
    }
}
