import Foundation

// Port of transformers 5.24 models/clip/modeling_clip.py (CLIPModel), inference only.
// Blocks (attention, MLP, encoder, embeddings, towers) live in NN/ and are shared with OWL-ViT,
// X-CLIP and CLIPSeg; this file is the CLIP-specific top: projections, logit scale, pooling rule.

/// What a CLIP forward returns (transformers' CLIPOutput).
public struct CLIPOutput: Sendable {
    /// (images, texts): scaled cosine similarities; softmax over texts gives zero-shot probabilities.
    public let logitsPerImage: Tensor
    /// (texts, images), the transpose.
    public let logitsPerText: Tensor
    /// L2-normalised projected image embeddings (images, projection_dim).
    public let imageEmbeds: Tensor
    /// L2-normalised projected text embeddings (texts, projection_dim).
    public let textEmbeds: Tensor

    /// Per image, softmax of its logits over the texts.
    public var probabilities: [[Float]] {
        let p = logitsPerImage.copy()
        Ops.softmax(p)
        return (0 ..< p.shape[0]).map { p[$0].values }
    }
}

/// CLIP: a text tower and a vision tower with linear projections into one embedding space.
public final class CLIPModel: @unchecked Sendable {
    public let configuration: CLIPConfiguration
    public let textModel: TextTransformer
    public let visionModel: VisionTransformer
    public let visualProjection: Linear
    public let textProjection: Linear
    /// log of the temperature; logits are multiplied by exp(logitScale).
    public let logitScale: Float

    /// Builds the model from checkpoint keys (`text_model.*`, `vision_model.*`,
    /// `visual_projection.weight`, `text_projection.weight`, `logit_scale`).
    public init(_ configuration: CLIPConfiguration, weights w: WeightLoader) throws {
        self.configuration = configuration
        let t = configuration.textConfig, v = configuration.visionConfig
        // Configs written before transformers PR #24773 say eos_token_id 2; those models pool at argmax(ids).
        let pooling: TextPooling = t.eosTokenId == 2 ? .argmaxID : .firstToken(t.eosTokenId)
        textModel = try TextTransformer(w.scoped("text_model"), shape: t.transformer, vocabSize: t.vocabSize,
                                        maxPositions: t.maxPositionEmbeddings, pooling: pooling)
        visionModel = try VisionTransformer(w.scoped("vision_model"), shape: v.transformer, channels: v.numChannels,
                                            imageSize: v.imageSize, patchSize: v.patchSize)
        visualProjection = try Linear(w.scoped("visual_projection"), in: v.hiddenSize, out: configuration.projectionDim, bias: false)
        textProjection = try Linear(w.scoped("text_projection"), in: t.hiddenSize, out: configuration.projectionDim, bias: false)
        logitScale = try requireFinite(try w("logit_scale", shape: []).item, key: "logit_scale")
    }

    /// Checkpoint tensors this port never reads (none: CLIPModel reads every tensor); loading does not warn about them.
    public static let unusedCheckpointKeys: Set<String> = []

    /// Loads `config.json` and the weights in `store` (a checkpoint of that folder).
    public convenience init(folder: URL, store: TensorStore) throws {
        let weights = WeightLoader(store: store)
        try self.init(CLIPConfiguration.load(folder), weights: weights)
        weights.warnUnread(model: "CLIPModel", unused: Self.unusedCheckpointKeys)
    }

    /// Projected, un-normalised image features (transformers' get_image_features): (B, projection_dim).
    /// `pixels` is (B, C, H, W), already resized and normalised.
    public func imageFeatures(_ pixels: Tensor) throws -> Tensor {
        visualProjection(try visionModel.pooled(pixels))
    }

    /// Projected, un-normalised text features (get_text_features): (B, projection_dim).
    /// `ids` are equal-length token sequences; `attentionMask` HF's 0/1 mask or nil.
    public func textFeatures(_ ids: [[Int]], attentionMask: [[Int]]? = nil) throws -> Tensor {
        textProjection(try textModel.pooled(ids, attentionMask: attentionMask))
    }

    /// The full forward: normalised embeddings and both logit matrices.
    public func callAsFunction(pixels: Tensor, ids: [[Int]], attentionMask: [[Int]]? = nil) throws -> CLIPOutput {
        let image = try imageFeatures(pixels)
        let text = try textFeatures(ids, attentionMask: attentionMask)
        return logits(imageFeatures: image, textFeatures: text)
    }

    /// Normalises features in place and scores them: lets callers cache text features across frames.
    public func logits(imageFeatures image: Tensor, textFeatures text: Tensor) -> CLIPOutput {
        Ops.l2Normalize(image)
        Ops.l2Normalize(text)
        let perText = MatMul.matmul(text, image, transposeB: true)
        Ops.scale(perText, by: exp(logitScale))
        let (nt, ni) = (perText.shape[0], perText.shape[1])
        let perImage = Tensor(zeros: [ni, nt])
        for i in 0 ..< ni { for j in 0 ..< nt { perImage.pointer[i * nt + j] = perText.pointer[j * ni + i] } }
        return CLIPOutput(logitsPerImage: perImage, logitsPerText: perText, imageEmbeds: image, textEmbeds: text)
    }
}

extension CLIPModel {
    /// Text features of a tokenizer batch (ids and attention mask as the tokenizer produced them).
    public func textFeatures(_ batch: TokenizedBatch) throws -> Tensor {
        try textFeatures(batch.inputIds.map { $0.map(Int.init) }, attentionMask: batch.attentionMask.map { $0.map(Int.init) })
    }

    /// Loads a Hugging Face CLIP folder: config.json and its weights (safetensors memory-mapped,
    /// sharded or pytorch_model.bin).
    public convenience init(folder: URL) throws {
        try self.init(folder: folder, store: Checkpoint.open(folder: folder.path))
    }
}
