import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// CLIPSeg on Tests/Fixtures/models/clipseg-tiny against transformers' outputs
/// (Tests/Fixtures/reference/clipseg-tiny.json): interpolated positions, extracted activations,
/// conditional embeddings and the mask logits.
@Suite struct CLIPSegParityTests {
    static let reference: [String: Any] = {
        guard let data = try? Data(contentsOf: Fixtures.url("reference/clipseg-tiny.json")),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return json
    }()
    static let folder = Fixtures.url("models/clipseg-tiny")

    var inputs: [String: Any] { Self.reference["inputs"] as? [String: Any] ?? [:] }
    var outputs: [String: Any] { Self.reference["outputs"] as? [String: Any] ?? [:] }
    func output(_ key: String) throws -> Tensor { try TinyCLIPReference.tensor(outputs[key]) }

    @Test func configurationDefaultsAndFixture() throws {
        let d = CLIPSegConfiguration()
        #expect(d.extractLayers == [3, 6, 9] && d.reduceDim == 64 && d.decoderNumAttentionHeads == 4)
        #expect(d.decoderIntermediateSize == 2048 && d.conditionalLayer == 0 && !d.useComplexTransposedConvolution)
        #expect(d.visionConfig.patchSize == 32 && d.projectionDim == 512)
        let c = try CLIPSegConfiguration.load(Self.folder)
        #expect(c.extractLayers == [0, 1] && c.reduceDim == 16 && c.useComplexTransposedConvolution)
        #expect(c.visionConfig.imageSize == 48 && c.visionConfig.patchSize == 16 && c.decoderShape.activation == .relu)
        // Another model's folder is refused by name, before any weight is read.
        #expect { try CLIPSegModel(folder: Fixtures.url("models/clip-tiny-new")) } throws: { error in
            "\(error)".contains("model_type \"clip\", not CLIPSeg")
        }
        var bad = c
        bad.extractLayers = [0, 5]
        #expect { try bad.validate() } throws: { error in "\(error)".contains("extract_layers holds 5") }
    }

    @Test func matchesTransformers() throws {
        let model = try CLIPSegModel(folder: Self.folder)
        let ids = try #require(inputs["input_ids"] as? [[Int]]), mask = try #require(inputs["attention_mask"] as? [[Int]])
        let pixels = try TinyCLIPReference.tensor(inputs["pixel_values"])
        #expect(pixels.shape == [1, 3, 64, 64])

        let positions = model.interpolatedPositions(rows: 4, cols: 4)
        #expect(maxAbsDiff(positions.values, try output("interpolated_position_embeddings").values) < 1e-4)

        var embedded: [Float] = []
        _ = try model.visionModel.lastHiddenState(pixels, layerCount: 0) { i, h in if i == 0 { embedded = h.values } }
        #expect(maxAbsDiff(embedded, try output("vision_hidden_states_0").values) < 1e-3)

        let acts = try model.activations(pixels)
        let expected = try #require(outputs["extracted_activations"] as? [Any])
        #expect(acts.count == expected.count)
        for (a, e) in zip(acts, expected) { #expect(maxAbsDiff(a.values, try TinyCLIPReference.tensor(e).values) < 1e-3) }

        let cond = try model.conditionalEmbeddings(ids, attentionMask: mask)
        #expect(maxAbsDiff(cond.values, try output("conditional_embeddings").values) < 1e-4)

        let out = try model(pixels: pixels, ids: ids, attentionMask: mask)
        #expect(out.logits.shape == [2, 64, 64])
        #expect(maxAbsDiff(out.logits.values, try output("logits").values) < 1e-3)
    }

    /// The non-refined head (one ConvTranspose2d of patch size) on the folder's other weights.
    @Test func singleHeadMatchesTransformers() throws {
        let single = try #require(Self.reference["single_head"] as? [String: Any])
        var config = try CLIPSegConfiguration.load(Self.folder)
        config.useComplexTransposedConvolution = false
        let store = OverlayStore(base: try Checkpoint.open(folder: Self.folder.path), overlay: InMemoryTensorStore([
            "decoder.transposed_convolution.weight": try TinyCLIPReference.tensor(single["weight"]),
            "decoder.transposed_convolution.bias": try TinyCLIPReference.tensor(single["bias"]),
        ]))
        let model = try CLIPSegModel(config, weights: WeightLoader(store: store))
        guard case .single = model.decoder.head else { Issue.record("expected the single ConvT head"); return }
        let ids = try #require(inputs["input_ids"] as? [[Int]]), mask = try #require(inputs["attention_mask"] as? [[Int]])
        let out = try model(pixels: try TinyCLIPReference.tensor(inputs["pixel_values"]), ids: ids, attentionMask: mask)
        #expect(out.logits.shape == [2, 64, 64])
        #expect(maxAbsDiff(out.logits.values, try TinyCLIPReference.tensor(single["logits"]).values) < 1e-3)
    }

    /// One image per prompt (transformers' batching) gives the same masks as one shared image.
    @Test func batchedImagesMatchSharedImage() throws {
        let model = try CLIPSegModel(folder: Self.folder)
        let ids = try #require(inputs["input_ids"] as? [[Int]])
        let pixels = try TinyCLIPReference.tensor(inputs["pixel_values"])
        let twice = Tensor(zeros: [2, 3, 64, 64])
        twice[0].assign(pixels[0]); twice[1].assign(pixels[0])
        let shared = try model(pixels: pixels, ids: ids), batched = try model(pixels: twice, ids: ids)
        #expect(maxAbsDiff(shared.logits.values, batched.logits.values) < 1e-5)
        #expect(throws: InputError.self) { try model(pixels: Tensor(zeros: [3, 3, 64, 64]), ids: ids) }
    }

    /// Tokenizer and image processor of the folder feed the model what transformers' processor did.
    @Test func processorsFeedTheModel() throws {
        let prompts = try #require(inputs["prompts"] as? [String])
        let batch = try CLIPTokenizer(folder: Self.folder)(prompts, padding: .longest)
        #expect(batch.inputIds.map { $0.map(Int.init) } == inputs["input_ids"] as? [[Int]])
        let processor = try ImageProcessor(folder: Self.folder)
        #expect(processor.outputSize(height: 30, width: 90) == (64, 64))
    }

    /// The segmenter keeps prompt embeddings until the prompts change, and they are the model's.
    @Test func segmenterCachesPromptEmbeddings() throws {
        let segmenter = try CLIPSegSegmenter(folder: Self.folder)
        let prompts = try #require(inputs["prompts"] as? [String])
        let a = try segmenter.conditioning(prompts), b = try segmenter.conditioning(prompts)
        #expect(a.storage === b.storage)
        #expect(maxAbsDiff(a.values, try output("conditional_embeddings").values) < 1e-4)
        let c = try segmenter.conditioning([prompts[1]])
        #expect(c.shape == [1, 24] && maxAbsDiff(c.values, Array(a.values[24...])) < 1e-5)
        let image = RGBImage(width: 80, height: 50, pixels: [UInt8](repeating: 90, count: 80 * 50 * 3))
        let s = try segmenter.segment(image, prompts: prompts)
        #expect(s.width == 64 && s.height == 64 && s.imageProbabilities(0).count == 80 * 50)
        #expect(s.probabilities(1).allSatisfy { $0 > 0 && $0 < 1 })
    }

    /// torch's bicubic: same-size resampling is the identity; a constant grid stays constant.
    @Test func bicubicResizeBasics() {
        var rng = TestRNG(7)
        let x = rng.tensor([3, 3, 5])
        #expect(maxAbsDiff(Ops.resizeBicubic(x, height: 3, width: 3).values, x.values) < 1e-6)
        let c = Tensor(shape: [2, 2, 1], values: [2, 2, 2, 2])
        #expect(maxAbsDiff(Ops.resizeBicubic(c, height: 5, width: 7).values, [Float](repeating: 2, count: 35)) < 1e-5)
    }

    /// The real rd64-refined architecture builds with random weights and paints 352x352 masks.
    @Test func refinedHeadUpsamplesBySixteen() throws {
        var c = CLIPSegConfiguration.rd64Refined
        c.visionConfig.numHiddenLayers = 2; c.visionConfig.hiddenSize = 32; c.visionConfig.intermediateSize = 64
        c.visionConfig.numAttentionHeads = 2; c.textConfig.numHiddenLayers = 1; c.extractLayers = [0, 1]
        c.textConfig.hiddenSize = 32; c.textConfig.intermediateSize = 64; c.textConfig.numAttentionHeads = 2
        c.projectionDim = 16; c.decoderIntermediateSize = 32
        let model = try CLIPSegModel(c, weights: .random(seed: 3))
        let out = try model(pixels: Tensor(zeros: [1, 3, 64, 96]), ids: [[49406, 320, 49407]])
        #expect(out.logits.shape == [1, 64, 96])
    }
}

/// A checkpoint with some tensors replaced or added (tests of variants that share most weights).
final class OverlayStore: TensorStore {
    let base: TensorStore, overlay: TensorStore
    init(base: TensorStore, overlay: TensorStore) { (self.base, self.overlay) = (base, overlay) }
    var tensorNames: [String] { Array(Set(base.tensorNames).union(overlay.tensorNames)).sorted() }
    func storedTensor(named name: String) throws -> StoredTensor? {
        try overlay.storedTensor(named: name) ?? base.storedTensor(named: name)
    }
}
