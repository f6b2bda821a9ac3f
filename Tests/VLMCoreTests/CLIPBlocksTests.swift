import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// The tiny CLIP of Scripts/fixtures/clip_blocks_reference.py: weights, inputs and transformers' outputs.
struct TinyCLIPReference {
    let json: [String: Any]
    let store: InMemoryTensorStore
    let configuration: CLIPConfiguration

    init() throws {
        let data = try Data(contentsOf: Fixtures.url("blocks/clip_tiny_blocks.json"))
        json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let weights = try #require(json["weights"] as? [String: Any])
        store = InMemoryTensorStore(try weights.mapValues { try Self.tensor($0) })
        let config = try JSONSerialization.data(withJSONObject: try #require(json["config"]))
        configuration = try JSONDecoder().decode(CLIPConfiguration.self, from: config)
    }

    static func tensor(_ any: Any?) throws -> Tensor {
        let d = try #require(any as? [String: Any])
        let shape = try #require(d["shape"] as? [Int]), data = try #require(d["data"] as? [Double])
        return Tensor(shape: shape, values: data.map { Float($0) })
    }

    func input(_ key: String) -> Any? { (json["inputs"] as? [String: Any])?[key] }
    func output(_ key: String) throws -> Tensor { try Self.tensor((json["outputs"] as? [String: Any])?[key]) }
    var pixels: Tensor { get throws { try Self.tensor(input("pixel_values")) } }
    var ids: [[Int]] { input("input_ids") as? [[Int]] ?? [] }
    var mask: [[Int]] { input("attention_mask") as? [[Int]] ?? [] }
}

@Suite struct CLIPBlocksTests {
    let ref: TinyCLIPReference
    let model: CLIPModel

    init() throws {
        ref = try TinyCLIPReference()
        model = try CLIPModel(ref.configuration, weights: WeightLoader(store: ref.store))
    }

    @Test func configurationDecodesWithDefaults() {
        let c = ref.configuration
        #expect(c.textConfig.hiddenAct == .gelu && c.visionConfig.hiddenAct == .quickGELU)
        #expect(c.textConfig.eosTokenId == 49 && c.visionConfig.patchSize == 5 && c.projectionDim == 8)
        #expect(c.visionConfig.layerNormEps == 1e-5 && c.visionConfig.numChannels == 3)
        let empty = try? JSONDecoder().decode(CLIPConfiguration.self, from: Data("{}".utf8))
        #expect(empty == CLIPConfiguration())
        #expect(CLIPConfiguration().textConfig.maxPositionEmbeddings == 77 && CLIPConfiguration().visionConfig.hiddenSize == 768)
    }

    /// Every encoder layer's output (HF hidden_states) after embeddings + pre_layrnorm, 17 tokens.
    @Test func visionHiddenStatesMatchTransformers() throws {
        var states: [Int: [Float]] = [:]
        let last = try model.visionModel.lastHiddenState(try ref.pixels) { states[$0] = $1.values }
        let expected = try #require(ref.json["outputs"] as? [String: Any])["vision_hidden_states"] as? [Any]
        #expect(states.count == expected?.count)
        for (i, e) in (expected ?? []).enumerated() {
            #expect(maxAbsDiff(states[i] ?? [], try TinyCLIPReference.tensor(e).values) < 1e-4, "hidden state \(i)")
        }
        #expect(maxAbsDiff(last.values, try ref.output("vision_last_hidden_state").values) < 1e-4)
        #expect(maxAbsDiff(try model.visionModel.pooled(try ref.pixels).values, try ref.output("vision_pooler_output").values) < 1e-4)
    }

    /// Causal + padding masks and exact GELU over a padded batch (every position compared).
    @Test func textTowerMatchesTransformers() throws {
        let full = try model.textModel.lastHiddenState(ref.ids, attentionMask: ref.mask)
        #expect(maxAbsDiff(full.values, try ref.output("text_last_hidden_state").values) < 1e-4)
        let pooled = try model.textModel.pooled(ref.ids, attentionMask: ref.mask)
        #expect(maxAbsDiff(pooled.values, try ref.output("text_pooler_output").values) < 1e-4)
    }

    @Test func oldConfigsPoolAtArgmaxID() throws {
        var c = ref.configuration
        c.textConfig.eosTokenId = 2
        let old = try CLIPModel(c, weights: WeightLoader(store: ref.store))
        #expect(old.textModel.pooling == .argmaxID)
        let pooled = try old.textModel.pooled(ref.ids, attentionMask: ref.mask)
        #expect(maxAbsDiff(pooled.values, try ref.output("text_pooler_output_argmax").values) < 1e-4)
    }

    @Test func clipForwardMatchesTransformers() throws {
        let out = try model(pixels: try ref.pixels, ids: ref.ids, attentionMask: ref.mask)
        #expect(maxAbsDiff(out.logitsPerImage.values, try ref.output("logits_per_image").values) < 1e-3)
        #expect(maxAbsDiff(out.logitsPerText.values, try ref.output("logits_per_text").values) < 1e-3)
        #expect(maxAbsDiff(out.imageEmbeds.values, try ref.output("image_embeds").values) < 1e-5)
        #expect(maxAbsDiff(out.textEmbeds.values, try ref.output("text_embeds").values) < 1e-5)
        #expect(out.logitsPerImage.shape == [2, 2] && out.probabilities.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-6 })
    }

    /// Towers own scratch memory; concurrent callers must take turns, not corrupt each other.
    @Test func concurrentCallersGetTheSameAnswer() throws {
        let pixels = try ref.pixels, expected = try model.imageFeatures(pixels).values
        let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: 8)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 8) { i in results[i] = (try? model.imageFeatures(pixels).values) ?? [] }
        #expect(results.allSatisfy { $0 == expected })
    }

    @Test func badInputsAreErrorsNotCrashes() throws {
        #expect(throws: InputError.self) { try model.visionModel.pooled(Tensor(zeros: [1, 3, 25, 25])) }
        #expect(throws: InputError.self) { try model.textFeatures([[48, 500, 49]]) }
        #expect(throws: InputError.self) { try model.textFeatures([[48, 49], [48, 5, 49]]) }
        #expect(throws: InputError.self) { try model.textFeatures([Array(repeating: 5, count: 13)]) }
        var bad = ref.configuration
        bad.visionConfig.hiddenSize = 20
        #expect(throws: WeightError.self) { try CLIPModel(bad, weights: WeightLoader(store: ref.store)) }
    }
}
