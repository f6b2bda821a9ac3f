import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// X-CLIP on the tiny folders of Tests/Fixtures/models (the same random weights stored as
/// pytorch_model.bin and as model.safetensors) against transformers' outputs
/// (Tests/Fixtures/reference/xclip-tiny.json).
@Suite struct XCLIPParityTests {
    static let reference: [String: Any] = {
        guard let data = try? Data(contentsOf: Fixtures.url("reference/xclip-tiny.json")),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return json
    }()
    static var folders: [String] { reference["models"] as? [String] ?? [] }
    var inputs: [String: Any] { Self.reference["inputs"] as? [String: Any] ?? [:] }
    func output(_ key: String) throws -> Tensor {
        try TinyCLIPReference.tensor((Self.reference["outputs"] as? [String: Any])?[key])
    }

    @Test func referenceCoversBothFormats() throws {
        #expect(Set(Self.folders) == ["xclip-tiny-bin", "xclip-tiny-safetensors"])
        #expect(FileManager.default.fileExists(atPath: Fixtures.url("models/xclip-tiny-bin/pytorch_model.bin").path))
        #expect(FileManager.default.fileExists(atPath: Fixtures.url("models/xclip-tiny-safetensors/model.safetensors").path))
    }

    @Test(arguments: folders)
    func matchesTransformers(folder: String) throws {
        let model = try XCLIPModel(folder: Fixtures.url("models/\(folder)"))
        let ids = try #require(inputs["input_ids"] as? [[Int]]), mask = try #require(inputs["attention_mask"] as? [[Int]])
        let pixels = try TinyCLIPReference.tensor(inputs["pixel_values"])
        #expect(pixels.shape == [1, model.numFrames, 3, model.imageSize, model.imageSize])

        let frames = pixels.reshaped([model.numFrames, 3, model.imageSize, model.imageSize])
        let hidden = try model.visionModel.lastHiddenState(frames, frames: model.numFrames)
        #expect(hidden.shape == (try output("vision_last_hidden_state")).shape)
        #expect(maxAbsDiff(hidden.values, try output("vision_last_hidden_state").values) < 1e-3)

        let video = try model.videoFeatures(pixels)
        #expect(maxAbsDiff(video.framePooled.values, try output("vision_pooler_output").values) < 1e-3)
        #expect(maxAbsDiff(video.videoEmbeds.values, try output("mit_pooler_output").values) < 1e-3)
        #expect(maxAbsDiff(try model.textModel.pooled(ids, attentionMask: mask).values,
                           try output("text_pooler_output").values) < 1e-3)

        let out = try model(pixels: pixels, ids: ids, attentionMask: mask)
        #expect(out.logitsPerVideo.shape == [1, 3])
        #expect(maxAbsDiff(out.logitsPerVideo.values, try output("logits_per_video").values) < 1e-3)
        #expect(maxAbsDiff(out.probabilities.flatMap { $0 }, try output("probs").values) < 1e-4)
        #expect(maxAbsDiff(out.videoEmbeds.values, try output("video_embeds").values) < 1e-4)
        #expect(maxAbsDiff(out.textEmbeds.values, try output("text_embeds").values) < 1e-4)
    }

    /// The folder's tokenizer gives the ids transformers' processor gave, and cached text features
    /// scored later equal the one-shot forward.
    @Test(arguments: folders)
    func tokenizerAndCachedTextMatchForward(folder: String) throws {
        let url = Fixtures.url("models/\(folder)")
        let prompts = try #require(inputs["prompts"] as? [String])
        let batch = try CLIPTokenizer(folder: url)(prompts, padding: .longest)
        #expect(batch.inputIds.map { $0.map(Int.init) } == inputs["input_ids"] as? [[Int]])
        #expect(batch.attentionMask.map { $0.map(Int.init) } == inputs["attention_mask"] as? [[Int]])
        let model = try XCLIPModel(folder: url)
        let text = try model.textFeatures(batch)
        let pixels = try TinyCLIPReference.tensor(inputs["pixel_values"])
        let video = try model.videoFeatures(pixels)
        let first = model.logits(video: video, text: text), second = model.logits(video: video, text: text)
        #expect(first.logitsPerVideo.values == second.logitsPerVideo.values)
        #expect(maxAbsDiff(first.logitsPerVideo.values, try output("logits_per_video").values) < 1e-3)
    }

    /// Two videos in one batch score as each does alone.
    @Test func batchOfVideosEqualsSingles() throws {
        let model = try XCLIPModel(folder: Fixtures.url("models/xclip-tiny-safetensors"))
        let ids = try #require(inputs["input_ids"] as? [[Int]]), mask = try #require(inputs["attention_mask"] as? [[Int]])
        let one = try TinyCLIPReference.tensor(inputs["pixel_values"])
        let flipped = Tensor(shape: one.shape, values: one.values.reversed())
        let both = Tensor(shape: [2] + Array(one.shape.dropFirst()), values: one.values + flipped.values)
        let batched = try model(pixels: both, ids: ids, attentionMask: mask).logitsPerVideo.values
        let a = try model(pixels: one, ids: ids, attentionMask: mask).logitsPerVideo.values
        let b = try model(pixels: flipped, ids: ids, attentionMask: mask).logitsPerVideo.values
        #expect(maxAbsDiff(batched, a + b) < 1e-4)
        #expect(maxAbsDiff(a, b) > 1e-3)
    }

    @Test func wrongFrameCountIsAnInputError() throws {
        let model = try XCLIPModel(folder: Fixtures.url("models/xclip-tiny-bin"))
        let pixels = Tensor(zeros: [1, model.numFrames + 1, 3, model.imageSize, model.imageSize])
        #expect(throws: InputError.self) { try model.videoFeatures(pixels) }
    }

    @Test func configurationDefaultsAreTransformers() throws {
        let c = try JSONDecoder().decode(XCLIPConfiguration.self, from: Data("{}".utf8))
        #expect(c.projectionDim == 512 && c.promptLayers == 2 && c.promptNumAttentionHeads == 8 && c.promptAlpha == 0.1)
        #expect(c.visionConfig.numFrames == 8 && c.visionConfig.mitHiddenSize == 512 && c.visionConfig.patchSize == 32)
        #expect(c.textConfig.hiddenSize == 512 && c.textConfig.maxPositionEmbeddings == 77)
        #expect(c.textConfig.bosTokenId == 0 && c.textConfig.eosTokenId == 2)
        let partial = try JSONDecoder().decode(XCLIPConfiguration.self, from: Data(#"{"text_config": {"hidden_size": 32}}"#.utf8))
        #expect(partial.textConfig.hiddenSize == 32 && partial.textConfig.eosTokenId == 2 && partial.textConfig.vocabSize == 49408)
        let tiny = try XCLIPConfiguration.load(Fixtures.url("models/xclip-tiny-bin"))
        #expect(tiny.textConfig.eosTokenId == 2013 && tiny.visionConfig.numFrames == 4 && tiny.projectionDim == 24)
        let dict = try JSONDecoder().decode(XCLIPConfiguration.self, from: Data(#"{"vision_config_dict": {"num_frames": 16}}"#.utf8))
        #expect(dict.visionConfig.numFrames == 16)
    }
}
