import Foundation

// Port of transformers 5.24 models/clipseg/modeling_clipseg.py (CLIPSegForImageSegmentation),
// inference with text prompts. The towers are the shared NN ones (as CLIP); this file adds the
// position-embedding interpolation, the extract-layer capture and the decoder.

/// What a CLIPSeg forward returns (transformers' CLIPSegImageSegmentationOutput, the parts we use).
public struct CLIPSegOutput: Sendable {
    /// (prompts, H, W) mask logits at the model's output size (grid · patch); sigmoid for probabilities.
    public let logits: Tensor
    /// (prompts, projection_dim): the projected prompt embeddings that conditioned the decoder.
    public let conditionalEmbeddings: Tensor

    /// Sigmoid of the logits of prompt `index`, row-major (H · W values).
    public func probabilities(_ index: Int) -> [Float] {
        let p = logits[index].copy()
        Ops.activate(p, .sigmoid)
        return p.values
    }
}

/// CLIPSeg: CLIP towers, activations of a few vision layers, a FiLM-conditioned decoder that
/// paints one logit mask per prompt.
public final class CLIPSegModel: @unchecked Sendable {
    public let configuration: CLIPSegConfiguration
    public let textModel: TextTransformer
    public let visionModel: VisionTransformer
    public let textProjection: Linear
    public let decoder: CLIPSegDecoder
    private let positions = PositionCache()

    /// Builds the model from checkpoint keys (`clip.text_model.*`, `clip.vision_model.*`,
    /// `clip.text_projection.weight`, `decoder.*`). `clip.visual_projection` and `clip.logit_scale`
    /// are not needed for segmentation with text prompts and are not loaded.
    public init(_ configuration: CLIPSegConfiguration, weights w: WeightLoader) throws {
        try configuration.validate()
        self.configuration = configuration
        let t = configuration.textConfig, v = configuration.visionConfig
        let clip = w.scoped("clip")
        // Configs written before transformers PR #24773 say eos_token_id 2; those models pool at argmax(ids).
        let pooling: TextPooling = t.eosTokenId == 2 ? .argmaxID : .firstToken(t.eosTokenId)
        textModel = try TextTransformer(clip.scoped("text_model"), shape: t.transformer, vocabSize: t.vocabSize,
                                        maxPositions: t.maxPositionEmbeddings, pooling: pooling)
        visionModel = try VisionTransformer(clip.scoped("vision_model"), shape: v.transformer, channels: v.numChannels,
                                            imageSize: v.imageSize, patchSize: v.patchSize)
        textProjection = try Linear(clip.scoped("text_projection"), in: t.hiddenSize, out: configuration.projectionDim, bias: false)
        decoder = try CLIPSegDecoder(w.scoped("decoder"), configuration: configuration)
        // interpolate_pos_encoding defaults to True in CLIPSeg: any grid is accepted.
        let cache = positions
        visionModel.embeddings.interpolatePositions = { stored, rows, cols in cache.positions(stored, rows: rows, cols: cols) }
    }

    /// Checkpoint tensors this port never reads (the contrastive head of the wrapped CLIPSegModel, which segmentation never runs); loading does not warn about them.
    public static let unusedCheckpointKeys: Set<String> = ["clip.logit_scale", "clip.visual_projection.weight"]

    /// Loads `config.json` and the weights in `store` (a checkpoint of that folder).
    public convenience init(folder: URL, store: TensorStore) throws {
        let weights = WeightLoader(store: store)
        try self.init(CLIPSegConfiguration.load(folder), weights: weights)
        weights.warnUnread(model: "CLIPSegForImageSegmentation", unused: Self.unusedCheckpointKeys)
    }

    /// Loads a Hugging Face CLIPSeg folder (config.json + safetensors / pytorch_model.bin).
    public convenience init(folder: URL) throws {
        try self.init(folder: folder, store: Checkpoint.open(folder: folder.path))
    }

    /// The projected, un-normalised prompt embeddings (get_text_features): (P, projection_dim).
    public func conditionalEmbeddings(_ ids: [[Int]], attentionMask: [[Int]]? = nil) throws -> Tensor {
        textProjection(try textModel.pooled(ids, attentionMask: attentionMask))
    }

    /// `hidden_states[i + 1]` for each extract layer i, in config order: (B, 1 + gh·gw, D) each.
    /// Vision layers past the last extract layer do not influence the masks and are skipped.
    public func activations(_ pixels: Tensor) throws -> [Tensor] {
        let wanted = configuration.extractLayers.map { $0 + 1 }
        var captured: [Int: Tensor] = [:]
        _ = try visionModel.lastHiddenState(pixels, layerCount: wanted.max()) { i, h in
            if wanted.contains(i), captured[i] == nil { captured[i] = h.copy() }
        }
        return wanted.map { captured[$0]! }
    }

    /// Mask logits for `pixels` (B, C, H, W), already resized and normalised, and P prompts given
    /// as token ids. B is 1 (the image is encoded once and shared by every prompt) or P.
    public func callAsFunction(pixels: Tensor, ids: [[Int]], attentionMask: [[Int]]? = nil) throws -> CLIPSegOutput {
        let conditioning = try conditionalEmbeddings(ids, attentionMask: attentionMask)
        return try segment(pixels: pixels, conditioning: conditioning)
    }

    /// Mask logits from precomputed conditional embeddings (P, projection_dim): lets callers
    /// encode their prompts once and segment many frames.
    public func segment(pixels: Tensor, conditioning: Tensor) throws -> CLIPSegOutput {
        guard pixels.rank == 4 else { throw InputError("pixel values have shape \(pixels.shape), expected (batch, channels, height, width)") }
        let p = conditioning.shape[0], b = pixels.shape[0]
        guard p > 0 else { throw InputError("CLIPSeg needs at least one prompt") }
        guard b == 1 || b == p else {
            throw InputError("\(b) images for \(p) prompts: give one image for all prompts or one per prompt")
        }
        guard conditioning.rank == 2, conditioning.shape[1] == configuration.projectionDim else {
            throw InputError("conditional embeddings have shape \(conditioning.shape), expected (\(p), \(configuration.projectionDim))")
        }
        let patch = configuration.visionConfig.patchSize
        let grid = (height: pixels.shape[2] / patch, width: pixels.shape[3] / patch)
        guard grid.height > 0, grid.width > 0 else {
            throw InputError("image \(pixels.shape[3])x\(pixels.shape[2]) is smaller than one \(patch)-pixel patch")
        }
        let acts = try activations(pixels)
        let logits = decoder.forward(activations: acts, conditioning: conditioning, grid: grid)
        try logits.requireFinite("CLIPSeg mask logits")
        return CLIPSegOutput(logits: logits, conditionalEmbeddings: conditioning)
    }

    /// The position embeddings for a `rows` x `cols` grid (CLS kept, the patch grid resized bicubically).
    public func interpolatedPositions(rows: Int, cols: Int) -> Tensor {
        positions.positions(visionModel.embeddings.positionEmbedding, rows: rows, cols: cols)
    }
}

extension CLIPSegModel {
    /// Segments `pixels` for a tokenizer batch (ids and mask as the tokenizer produced them).
    public func callAsFunction(pixels: Tensor, batch: TokenizedBatch) throws -> CLIPSegOutput {
        try self(pixels: pixels, ids: batch.inputIds.map { $0.map(Int.init) }, attentionMask: batch.attentionMask.map { $0.map(Int.init) })
    }

    /// transformers' interpolate_pos_encoding: [CLS position ; bicubic(patch positions, rows x cols)].
    /// `stored` is (1 + g², D) for a square trained grid g.
    public static func interpolatePositions(_ stored: Tensor, rows: Int, cols: Int) -> Tensor {
        let d = stored.shape[1], g = Int(Double(stored.shape[0] - 1).squareRoot().rounded())
        precondition(g * g + 1 == stored.shape[0], "interpolatePositions: \(stored.shape) is not 1 + a square grid")
        let grid = Tensor(shape: [g, g, d], storage: stored.storage, offset: stored.offset + d)
        let resized = Ops.resizeBicubic(grid, height: rows, width: cols)
        let out = Tensor(zeros: [1 + rows * cols, d])
        out.pointer.update(from: stored.pointer, count: d)
        (out.pointer + d).update(from: resized.pointer, count: rows * cols * d)
        return out
    }
}

/// Interpolated position embeddings by grid size: computed once per size, reused every frame.
private final class PositionCache: @unchecked Sendable {
    private let lock = NSLock()
    private var cache: [Int: Tensor] = [:]

    func positions(_ stored: Tensor, rows: Int, cols: Int) -> Tensor {
        lock.lock(); defer { lock.unlock() }
        let key = rows << 32 | cols
        if let t = cache[key] { return t }
        let t = CLIPSegModel.interpolatePositions(stored, rows: rows, cols: cols)
        cache[key] = t
        return t
    }
}
