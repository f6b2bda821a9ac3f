import Foundation
import Testing
import TestSupport

/// `vlmnode classify` against transformers' outputs on the tiny CLIP checkpoints
/// (Tests/Fixtures/reference/clip-tiny.json, written by Scripts/fixtures/make_model_fixtures.py).
struct ClassifyCommandTests {
    struct Reference {
        let texts: [String]
        let images: [String]
        let probs: [[Double]]
        let logits: [[Double]]
    }

    static func reference() throws -> Reference {
        let data = try Data(contentsOf: Fixtures.url("reference/clip-tiny.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let inputs = try #require(root["inputs"] as? [String: Any])
        let outputs = try #require(root["outputs"] as? [String: Any])
        func matrix(_ key: String) throws -> [[Double]] {
            let t = try #require(outputs[key] as? [String: Any])
            let shape = try #require(t["shape"] as? [Int]), flat = try #require(t["data"] as? [Double])
            return (0 ..< shape[0]).map { Array(flat[($0 * shape[1]) ..< (($0 + 1) * shape[1])]) }
        }
        return Reference(texts: try #require(inputs["texts"] as? [String]), images: try #require(inputs["images"] as? [String]),
                         probs: try matrix("probs"), logits: try matrix("logits_per_image"))
    }

    /// Image 0 is already at the model's input size; image 1 (57x41) needs resize + centre crop.
    @Test(arguments: ["clip-tiny-old", "clip-tiny-new", "clip-tiny-bin"], [0, 1])
    func reproducesTransformers(model: String, image: Int) throws {
        let ref = try Self.reference()
        let result = try VLMNodeBinary.run(["classify", "--json", "--model", Fixtures.url("models/\(model)").path,
                                            Fixtures.url(ref.images[image]).path] + ref.texts)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["labels"] as? [String] == ref.texts)
        let probs = try #require(json["probs"] as? [Double]), logits = try #require(json["logits"] as? [Double])
        for (got, want) in zip(probs, ref.probs[image]) { #expect(abs(got - want) < 1e-4, "probs \(probs) vs \(ref.probs[image])") }
        for (got, want) in zip(logits, ref.logits[image]) { #expect(abs(got - want) < 1e-3, "logits \(logits) vs \(ref.logits[image])") }
    }

    @Test func templateWrapsEachLabel() throws {
        let ref = try Self.reference()
        let result = try VLMNodeBinary.run(["classify", "--json", "--template", "a photo of a {}", "--model",
                                            Fixtures.url("models/clip-tiny-new").path, Fixtures.url(ref.images[0]).path, "cat", "dog"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["texts"] as? [String] == ["a photo of a cat", "a photo of a dog"])
        #expect(json["labels"] as? [String] == ["cat", "dog"])
    }

    @Test(arguments: [
        (["classify", "--model", "M", "missing.png", "a"], "missing.png"),
        (["classify", "--model", "M", "IMG"], "no labels"),
        (["classify", "--model", "M", "IMG", "a", " "], "label 2 is empty"),
        (["classify", "--template", "photo", "--model", "M", "IMG", "a"], "--template must contain {}"),
        (["classify", "--model", "OWL", "IMG", "a"], "OwlViTForObjectDetection"),
    ])
    func badInputSaysWhatIsWrongInOneLine(args: [String], mention: String) throws {
        let image = Fixtures.url("images/clip-32x32.png").path
        let resolved = args.map { arg -> String in
            switch arg {
            case "M": return Fixtures.url("models/clip-tiny-new").path
            case "OWL": return Fixtures.url("models/owlvit-tiny-new").path
            case "IMG": return image
            default: return arg
            }
        }
        let result = try VLMNodeBinary.run(resolved)
        #expect(result.status != 0)
        #expect(result.stderr.contains(mention), "\(result.stderr)")
        #expect(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(result.stderr)")
    }
}
