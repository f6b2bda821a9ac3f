import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// Weight loading tracks which checkpoint tensors a model read (issue 12, item 7): every fixture
/// model reads all of its tensors, so a port that forgets a weight fails here.
@Suite struct UnreadWeightsTests {
    /// Loads `folder` with a fresh loader over `store` and returns what no layer read.
    static func unread(_ folder: URL, store: TensorStore) throws -> [String] {
        let kind = try ModelConfigKind.of(folder)
        let w = kind == "vilt" ? WeightLoader(store: store, sanitize: ViltForQuestionAnswering.sanitize) : WeightLoader(store: store)
        var unused: Set<String> = []
        switch kind {
        case "clip": _ = try CLIPModel(CLIPConfiguration.load(folder), weights: w); unused = CLIPModel.unusedCheckpointKeys
        case "owlvit":
            _ = try OwlViTForObjectDetection(OwlViTConfiguration.load(folder), weights: w)
            unused = OwlViTForObjectDetection.unusedCheckpointKeys
        case "clipseg": _ = try CLIPSegModel(CLIPSegConfiguration.load(folder), weights: w); unused = CLIPSegModel.unusedCheckpointKeys
        case "xclip": _ = try XCLIPModel(XCLIPConfiguration.load(folder), weights: w); unused = XCLIPModel.unusedCheckpointKeys
        case "vilt":
            _ = try ViltForQuestionAnswering(ViltConfiguration.load(folder), weights: w)
            unused = ViltForQuestionAnswering.unusedCheckpointKeys
        case let other: Issue.record("unexpected model_type \(other)")
        }
        return w.unreadTensors.filter { !WeightLoader.knownExtra($0) && !unused.contains($0) }
    }

    static let fixtures = ["clip-tiny-bin", "clip-tiny-fp16", "clip-tiny-new", "clip-tiny-old", "clip-tiny-sharded",
                           "clipseg-tiny", "owlvit-tiny-new", "owlvit-tiny-old", "vilt-tiny-bin", "vilt-tiny-safetensors",
                           "xclip-tiny-bin", "xclip-tiny-safetensors"]

    @Test(arguments: fixtures)
    func everyFixtureModelReadsEveryTensor(_ name: String) throws {
        let folder = Fixtures.url("models/\(name)")
        let unread = try Self.unread(folder, store: Checkpoint.open(folder: folder.path))
        #expect(unread == [], "\(name): no layer read \(unread)")
    }

    @Test func anExtraTensorIsReportedByName() throws {
        let folder = Fixtures.url("models/clip-tiny-new")
        let checkpoint = try Checkpoint.open(folder: folder.path)
        var tensors: [String: Tensor] = [:]
        for name in checkpoint.tensorNames {
            if let raw = try checkpoint.storedTensor(named: name), let t = Tensor(stored: raw) { tensors[name] = t }
        }
        tensors["vision_model.extra_head.weight"] = Tensor(zeros: [2, 2])
        let store = InMemoryTensorStore(tensors)
        #expect(try Self.unread(folder, store: store) == ["vision_model.extra_head.weight"])
        // The model still loads; the warning names the tensor (stderr), and is what warnUnread returns.
        let w = WeightLoader(store: store)
        _ = try CLIPModel(CLIPConfiguration.load(folder), weights: w)
        #expect(w.warnUnread(model: "CLIPModel") == ["vision_model.extra_head.weight"])
        #expect(w.warnUnread(model: "CLIPModel", expected: { $0.hasPrefix("vision_model.extra") }) == [])
    }
}

/// The `model_type` of a fixture folder's config.json.
enum ModelConfigKind {
    static func of(_ folder: URL) throws -> String {
        let data = try Data(contentsOf: folder.appendingPathComponent("config.json"))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return (object?["model_type"] as? String) ?? "?"
    }
}
