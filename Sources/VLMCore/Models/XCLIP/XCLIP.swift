import Foundation

// Port of transformers 5.24 models/x_clip/modeling_x_clip.py (XCLIPModel), inference only.
// Frame encoder, MIT and prompt generator are in XCLIPVision.swift and XCLIPPromptGenerator.swift;
// the text tower is the shared CLIP one.

/// What one video contributes to scoring, computed once and reusable with any prompts.
public struct XCLIPVideoFeatures: @unchecked Sendable {
    /// Post-LN CLS of every frame (B·T, vision hidden): transformers' `vision_model_output.pooler_output`.
    public let framePooled: Tensor
    /// The MIT's pooled output (B, P), not normalised: `get_video_features`.
    public let videoEmbeds: Tensor
    /// Frame-averaged, projected patch features (B, patches, P) that the prompt generator attends to.
    public let promptVisual: Tensor
}

/// What an X-CLIP forward returns (transformers' XCLIPOutput).
public struct XCLIPOutput: @unchecked Sendable {
    /// (videos, texts).
    public let logitsPerVideo: Tensor
    /// L2-normalised video embeddings (videos, P).
    public let videoEmbeds: Tensor
    /// L2-normalised, video-specific text embeddings (videos, texts, P).
    public let textEmbeds: Tensor

    /// Per video, softmax of its logits over the texts.
    public var probabilities: [[Float]] {
        let p = logitsPerVideo.copy()
        Ops.softmax(p)
        return (0 ..< p.shape[0]).map { p[$0].values }
    }

    /// Per video, the logits.
    public var logits: [[Float]] { (0 ..< logitsPerVideo.shape[0]).map { logitsPerVideo[$0].values } }
}

/// X-CLIP: video-text similarity from a CLIP-like frame encoder with cross-frame messages, a
/// multi-frame integration transformer, and text embeddings conditioned on the video.
public final class XCLIPModel: @unchecked Sendable {
    public let configuration: XCLIPConfiguration
    public let textModel: TextTransformer
    public let visionModel: XCLIPVisionTransformer
    public let visualProjection: Linear
    public let textProjection: Linear
    public let mit: XCLIPMultiframeIntegration
    public let promptsVisualNorm: LayerNorm
    /// (vision hidden, P): used as `x @ W`, not transposed like a Linear.
    public let promptsVisualProjection: Tensor
    public let promptGenerator: XCLIPPromptGenerator
    public let logitScale: Float
    private let workspace = Workspace()
    private let lock = NSLock()

    public var numFrames: Int { configuration.visionConfig.numFrames }
    public var imageSize: Int { configuration.visionConfig.imageSize }

    public init(_ configuration: XCLIPConfiguration, weights w: WeightLoader) throws {
        self.configuration = configuration
        let t = configuration.textConfig, v = configuration.visionConfig, p = configuration.projectionDim
        // XCLIPTextModel forces eos_token_id = 2: it always pools at argmax(input_ids).
        textModel = try TextTransformer(w.scoped("text_model"), shape: t.transformer, vocabSize: t.vocabSize,
                                        maxPositions: t.maxPositionEmbeddings, pooling: .argmaxID)
        visionModel = try XCLIPVisionTransformer(w.scoped("vision_model"), configuration: v)
        visualProjection = try Linear(w.scoped("visual_projection"), in: v.hiddenSize, out: p, bias: false)
        textProjection = try Linear(w.scoped("text_projection"), in: t.hiddenSize, out: p, bias: false)
        guard v.mitHiddenSize == p else {
            throw InputError("config: mit_hidden_size \(v.mitHiddenSize) must equal projection_dim \(p)")
        }
        mit = try XCLIPMultiframeIntegration(w.scoped("mit"), shape: v.mitTransformer, frames: v.numFrames)
        promptsVisualNorm = try LayerNorm(w.scoped("prompts_visual_layernorm"), dim: v.hiddenSize, eps: v.layerNormEps)
        promptsVisualProjection = try w("prompts_visual_projection", shape: [v.hiddenSize, p])
        promptGenerator = try XCLIPPromptGenerator(w.scoped("prompts_generator"), configuration: configuration)
        logitScale = try requireFinite(try w("logit_scale", shape: []).item, key: "logit_scale")
    }

    /// Checkpoint tensors this port never reads (none: XCLIPModel reads every tensor); loading does not warn about them.
    public static let unusedCheckpointKeys: Set<String> = []

    /// Loads `config.json` and the weights in `store`.
    public convenience init(folder: URL, store: TensorStore) throws {
        let weights = WeightLoader(store: store)
        try self.init(XCLIPConfiguration.load(folder), weights: weights)
        weights.warnUnread(model: "XCLIPModel", unused: Self.unusedCheckpointKeys)
    }

    /// Loads a Hugging Face X-CLIP folder (model.safetensors, sharded, or pytorch_model.bin).
    public convenience init(folder: URL) throws {
        try self.init(folder: folder, store: Checkpoint.open(folder: folder.path))
    }

    /// Video features of `pixels` (B, T, C, H, W), already preprocessed; T must be `numFrames`.
    public func videoFeatures(_ pixels: Tensor) throws -> XCLIPVideoFeatures {
        guard pixels.rank == 5, pixels.shape[1] == numFrames else {
            throw InputError("pixel values have shape \(pixels.shape), expected (videos, \(numFrames), channels, height, width)")
        }
        lock.lock(); defer { lock.unlock() }
        let (b, t) = (pixels.shape[0], pixels.shape[1])
        let frames = pixels.reshaped([b * t] + Array(pixels.shape[2...]))
        let h = try visionModel.encode(frames, frames: t)
        let pooled = visionModel.pooled(h)
        let cls = visualProjection(pooled).reshaped([b, t, configuration.projectionDim])
        let video = try mit.forward(cls, workspace: workspace)
        try video.requireFinite("X-CLIP video embedding")
        return XCLIPVideoFeatures(framePooled: pooled, videoEmbeds: video, promptVisual: promptVisual(h, videos: b, frames: t))
    }

    /// mean_t(prompts_visual_layernorm(patch tokens)) @ prompts_visual_projection: the mean is
    /// taken before the projection (it is linear), T times fewer multiply-adds than transformers' order.
    private func promptVisual(_ h: Tensor, videos b: Int, frames t: Int) -> Tensor {
        let (n1, d) = (h.shape[1], h.shape[2])
        let m = n1 - 2  // patch tokens: drop CLS and the message slot
        let normed = workspace.tensor("xclip.promptNormed", [b * t, n1, d])
        promptsVisualNorm.forward(h, into: normed)
        let mean = Tensor(zeros: [b, m, d])
        let inv = 1 / Float(t)
        for v in 0 ..< b {
            let dst = mean.pointer + v * m * d
            for f in 0 ..< t {
                simdZip(dst, normed.pointer + ((v * t + f) * n1 + 1) * d, dst, m * d) { $0 + $1 }
            }
        }
        Ops.scale(mean, by: inv)
        return MatMul.matmul(mean, promptsVisualProjection)
    }

    /// Projected, un-normalised text features (K, P) of equal-length id sequences.
    public func textFeatures(_ ids: [[Int]], attentionMask: [[Int]]? = nil) throws -> Tensor {
        lock.lock(); defer { lock.unlock() }
        return textProjection(try textModel.pooled(ids, attentionMask: attentionMask))
    }

    /// Text features of a tokenizer batch.
    public func textFeatures(_ batch: TokenizedBatch) throws -> Tensor {
        try textFeatures(batch.inputIds.map { $0.map(Int.init) }, attentionMask: batch.attentionMask.map { $0.map(Int.init) })
    }

    /// Scores cached text features (K, P) against videos: adds the video-specific prompt, normalises,
    /// and scales by exp(logit_scale). Neither input is modified.
    public func logits(video: XCLIPVideoFeatures, text: Tensor) -> XCLIPOutput {
        let b = video.videoEmbeds.shape[0], (k, p) = (text.shape[0], text.shape[1])
        let texts = Tensor(zeros: [b, k, p])
        for v in 0 ..< b { (texts.pointer + v * k * p).update(from: text.pointer, count: k * p) }
        let prompt = promptGenerator(text: texts, visual: video.promptVisual)
        Ops.add(texts, prompt, into: texts)
        let videoNorm = video.videoEmbeds.copy()
        Ops.l2Normalize(videoNorm)
        Ops.l2Normalize(texts)
        let scale = exp(logitScale)
        let logits = Tensor(zeros: [b, k])
        for v in 0 ..< b {
            let ve = videoNorm.pointer + v * p
            for j in 0 ..< k {
                let te = texts.pointer + (v * k + j) * p
                var dot: Float = 0
                for i in 0 ..< p { dot += ve[i] * te[i] }
                logits.pointer[v * k + j] = scale * dot
            }
        }
        return XCLIPOutput(logitsPerVideo: logits, videoEmbeds: videoNorm, textEmbeds: texts)
    }

    /// The full forward: `pixels` (B, T, C, H, W), token ids with their attention mask.
    public func callAsFunction(pixels: Tensor, ids: [[Int]], attentionMask: [[Int]]? = nil) throws -> XCLIPOutput {
        logits(video: try videoFeatures(pixels), text: try textFeatures(ids, attentionMask: attentionMask))
    }
}
