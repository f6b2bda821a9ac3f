import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// OWL-ViT on the tiny Hugging Face folders (old layout: preprocessor_config.json, vocab.json +
/// merges.txt, pad "!"; new layout: processor_config.json, tokenizer.json) against transformers'
/// OwlViTForObjectDetection outputs in Tests/Fixtures/reference/owlvit-tiny.json.
@Suite struct OwlViTParityTests {
    static let reference: [String: Any] = {
        guard let data = try? Data(contentsOf: Fixtures.url("reference/owlvit-tiny.json")),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return json
    }()
    static var folders: [String] { reference["models"] as? [String] ?? [] }
    static var cases: [[String: Any]] { reference["cases"] as? [[String: Any]] ?? [] }
    var inputs: [String: Any] { Self.reference["inputs"] as? [String: Any] ?? [:] }

    @Test func referenceCoversBothLayouts() {
        #expect(Set(Self.folders) == ["owlvit-tiny-old", "owlvit-tiny-new"])
        #expect(Self.cases.count == 2)
    }

    @Test(arguments: folders)
    func matchesTransformers(folder: String) throws {
        let url = Fixtures.url("models/\(folder)")
        let model = try OwlViTForObjectDetection(folder: url)
        #expect(model.configuration.gridSize == 6 && model.textModel.pooling == .argmaxID)

        // The folder's own tokenizer pads to 16 with its pad token and reproduces the reference ids.
        let tokenizer = try CLIPTokenizer(folder: url)
        let texts = try #require(inputs["queries"] as? [String])
        let batch = tokenizer(texts, padding: .maxLength)
        let ids = try #require(inputs["input_ids"] as? [[Int]]), mask = try #require(inputs["attention_mask"] as? [[Int]])
        #expect(batch.inputIds.map { $0.map(Int.init) } == ids)
        #expect(batch.attentionMask.map { $0.map(Int.init) } == mask)

        let queries = try model.queries(batch)
        let text = try #require(Self.reference["text"] as? [String: Any])
        #expect(maxAbsDiff(queries.embeds.values, try TinyCLIPReference.tensor(text["text_embeds"]).values) < 1e-4)
        #expect(queries.valid == [true, true, true])

        for c in Self.cases {
            let pixels = try TinyCLIPReference.tensor(c["pixel_values"])
            let hidden = try model.visionModel.lastHiddenState(pixels).copy()
            #expect(maxAbsDiff(hidden.values, try TinyCLIPReference.tensor(c["vision_last_hidden_state"]).values) < 1e-3)
            let out = try model(pixels: pixels, queries: queries)
            #expect(out.logits.shape == [1, 36, 3] && out.predBoxes.shape == [1, 36, 4])
            #expect(maxAbsDiff(out.logits.values, try TinyCLIPReference.tensor(c["logits"]).values) < 1e-3, "\(c["image"] ?? "")")
            #expect(maxAbsDiff(out.predBoxes.values, try TinyCLIPReference.tensor(c["pred_boxes"]).values) < 1e-3)
            #expect(maxAbsDiff(out.image.features.values, try TinyCLIPReference.tensor(c["image_embeds"]).values) < 1e-3)
            #expect(maxAbsDiff(out.image.classEmbeds.values, try TinyCLIPReference.tensor(c["class_embeds"]).values) < 1e-4)
        }
    }

    /// One image pass serves any query set: scoring cached image features against a subset of the
    /// queries gives those queries' columns of the full result.
    @Test func queriesAreScoredAgainstCachedImageFeatures() throws {
        let model = try OwlViTForObjectDetection(folder: Fixtures.url("models/owlvit-tiny-new"))
        let ids = try #require(inputs["input_ids"] as? [[Int]]), mask = try #require(inputs["attention_mask"] as? [[Int]])
        let all = try model.queries(ids, attentionMask: mask)
        let last = try model.queries([ids[2]], attentionMask: [mask[2]])
        let image = try model.imageFeatures(try TinyCLIPReference.tensor(Self.cases[0]["pixel_values"]))
        let full = model.logits(image: image, queries: all), one = model.logits(image: image, queries: last)
        #expect(maxAbsDiff(one.values, (0 ..< 36).map { full.pointer[$0 * 3 + 2] }) < 1e-6)
    }

    /// A query whose first token is the pad id 0 is padding: float32 min, as transformers' query_mask.
    @Test func paddedOutQueryGetsFloatMin() throws {
        let model = try OwlViTForObjectDetection(folder: Fixtures.url("models/owlvit-tiny-old"))
        let ids = try #require(inputs["input_ids"] as? [[Int]])
        let queries = try model.queries([ids[0], [Int](repeating: 0, count: 16)])
        #expect(queries.valid == [true, false])
        let logits = model.logits(image: try model.imageFeatures(try TinyCLIPReference.tensor(Self.cases[0]["pixel_values"])), queries: queries)
        #expect((0 ..< 36).allSatisfy { logits.pointer[$0 * 2 + 1] == -Float.greatestFiniteMagnitude && logits.pointer[$0 * 2] > -1e3 })
    }

    @Test func boxBiasIsTheGridPrior() {
        let bias = OwlViTForObjectDetection.boxBias(rows: 2, columns: 2)
        func logit(_ x: Double) -> Float { Float(log(x + 1e-4) - log1p(-x + 1e-4)) }
        // Token 1 = row 0, column 1: centre (1.0, 0.5), size 0.5.
        #expect(abs(bias[1].values[0] - logit(1.0)) < 1e-3 && abs(bias[1].values[1] - logit(0.5)) < 1e-5)
        #expect(abs(bias[1].values[2] - logit(0.5)) < 1e-5 && abs(bias[3].values[3] - logit(0.5)) < 1e-5)
    }

    @Test func configurationHasOwlViTDefaults() throws {
        let c = try JSONDecoder().decode(OwlViTConfiguration.self, from: Data("{\"model_type\": \"owlvit\", \"text_config\": {}, \"vision_config\": {}}".utf8))
        #expect(c.textConfig.maxPositionEmbeddings == 16 && c.textConfig.padTokenId == 0 && c.textConfig.hiddenSize == 512)
        #expect(c.visionConfig.imageSize == 768 && c.visionConfig.patchSize == 32 && c.gridSize == 24)
        #expect(c.projectionDim == 512 && OwlViTConfiguration().visionConfig.imageSize == 768)
        let tiny = try OwlViTConfiguration.load(Fixtures.url("models/owlvit-tiny-old"))
        #expect(tiny.visionConfig.imageSize == 48 && tiny.textConfig.vocabSize == 2014)
    }

    @Test func aFolderOfAnotherModelIsRefusedByName() throws {
        let error = #expect(throws: InputError.self) { try OwlViTForObjectDetection(folder: Fixtures.url("models/clip-tiny-new")) }
        #expect(error?.description.contains("CLIPModel") == true)
        #expect(error?.description.contains("not OWL-ViT") == true)
    }
}
