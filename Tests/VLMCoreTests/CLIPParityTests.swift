import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// CLIP on the tiny Hugging Face folders of Tests/Fixtures/models against transformers' outputs
/// (Tests/Fixtures/reference/clip-tiny.json): old and new layouts, fp32, fp16, .bin and sharded.
@Suite struct CLIPParityTests {
    static let reference: [String: Any] = {
        guard let data = try? Data(contentsOf: Fixtures.url("reference/clip-tiny.json")),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return json
    }()
    static var folders: [String] { reference["models"] as? [String] ?? [] }

    func output(_ key: String) throws -> Tensor {
        try TinyCLIPReference.tensor((Self.reference["outputs"] as? [String: Any])?[key])
    }

    var inputs: [String: Any] { Self.reference["inputs"] as? [String: Any] ?? [:] }

    @Test func referenceCoversEveryLayout() {
        #expect(Set(Self.folders) == ["clip-tiny-old", "clip-tiny-new", "clip-tiny-fp16", "clip-tiny-bin", "clip-tiny-sharded"])
    }

    @Test(arguments: folders)
    func matchesTransformers(folder: String) throws {
        let model = try CLIPModel(folder: Fixtures.url("models/\(folder)"))
        let ids = try #require(inputs["input_ids"] as? [[Int]]), mask = try #require(inputs["attention_mask"] as? [[Int]])
        let pixels = try TinyCLIPReference.tensor(inputs["pixel_values"])

        var embedded: [Float] = []
        let vision = try model.visionModel.lastHiddenState(pixels) { i, h in if i == 0 { embedded = h.values } }
        #expect(maxAbsDiff(embedded, try output("vision_hidden_states_0").values) < 1e-3)
        #expect(maxAbsDiff(vision.values, try output("vision_last_hidden_state").values) < 1e-3)
        let text = try model.textModel.lastHiddenState(ids, attentionMask: mask)
        #expect(maxAbsDiff(text.values, try output("text_last_hidden_state").values) < 1e-3)
        // transformers 5's get_*_features put the projected features in pooler_output.
        #expect(maxAbsDiff(try model.imageFeatures(pixels).values, try output("vision_pooler_output").values) < 1e-3)
        #expect(maxAbsDiff(try model.textFeatures(ids, attentionMask: mask).values, try output("text_pooler_output").values) < 1e-3)

        let out = try model(pixels: pixels, ids: ids, attentionMask: mask)
        #expect(abs(model.logitScale - Float(try #require((Self.reference["outputs"] as? [String: Any])?["logit_scale"] as? Double))) < 1e-5)
        #expect(out.logitsPerImage.shape == [2, 3])
        #expect(maxAbsDiff(out.logitsPerImage.values, try output("logits_per_image").values) < 1e-3)
        #expect(maxAbsDiff(out.probabilities.flatMap { $0 }, try output("probs").values) < 1e-4)
        #expect(maxAbsDiff(out.imageEmbeds.values, try output("image_embeds").values) < 1e-4)
        #expect(maxAbsDiff(out.textEmbeds.values, try output("text_embeds").values) < 1e-4)
    }

    /// The old layout's config says eos_token_id 2: pooling falls back to argmax(ids), as transformers does.
    @Test func oldLayoutPoolsAtArgmax() throws {
        let old = try CLIPModel(folder: Fixtures.url("models/clip-tiny-old"))
        let new = try CLIPModel(folder: Fixtures.url("models/clip-tiny-new"))
        #expect(old.textModel.pooling == .argmaxID)
        #expect(new.textModel.pooling == .firstToken(new.configuration.textConfig.eosTokenId))
    }

    /// The tokenizer of the folder feeds the model the same ids transformers' processor did.
    @Test func tokenizerBatchFeedsTheModel() throws {
        let folder = Fixtures.url("models/clip-tiny-new")
        let texts = try #require(inputs["texts"] as? [String])
        let batch = try CLIPTokenizer(folder: folder)(texts, padding: .longest)
        #expect(batch.inputIds.map { $0.map(Int.init) } == inputs["input_ids"] as? [[Int]])
        let model = try CLIPModel(folder: folder)
        let viaTokenizer = try model.textFeatures(batch)
        let direct = try model.textFeatures(try #require(inputs["input_ids"] as? [[Int]]),
                                            attentionMask: try #require(inputs["attention_mask"] as? [[Int]]))
        #expect(viaTokenizer.values == direct.values)
    }

    @Test func fp32SafetensorsWeightsAreMemoryMappedNotCopied() throws {
        let model = try CLIPModel(folder: Fixtures.url("models/clip-tiny-new"))
        #expect(model.textProjection.weight.isBorrowed)
        #expect(model.visionModel.encoder.layers[0].mlp.fc1.weight.isBorrowed)
        let fp16 = try CLIPModel(folder: Fixtures.url("models/clip-tiny-fp16"))
        #expect(!fp16.textProjection.weight.isBorrowed)
    }
}
