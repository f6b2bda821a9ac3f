import Foundation

/// The CLIP-family towers (transformers' CLIPVisionTransformer and CLIPTextTransformer), shared by
/// CLIP, OWL-ViT, X-CLIP and CLIPSeg. Each owns a `Workspace`; a lock makes concurrent callers
/// take turns (one forward at a time per tower) instead of sharing scratch memory.

/// Embeddings -> pre-LN -> encoder; `post_layernorm` on the pooled (CLS) token.
public final class VisionTransformer: @unchecked Sendable {
    public var embeddings: VisionEmbeddings
    public let preNorm: LayerNorm
    public let encoder: Encoder
    public let postNorm: LayerNorm
    public let shape: TransformerShape
    let workspace = Workspace()
    private let lock = NSLock()

    /// - preNormKey: `pre_layrnorm` in CLIP and CLIPSeg checkpoints (sic), `pre_layernorm` in OWL-ViT.
    public init(_ w: WeightLoader, shape s: TransformerShape, channels: Int, imageSize: Int, patchSize: Int,
                preNormKey: String = "pre_layrnorm") throws {
        embeddings = try VisionEmbeddings(w.scoped("embeddings"), dim: s.hidden, channels: channels,
                                          imageSize: imageSize, patchSize: patchSize)
        preNorm = try LayerNorm(w.scoped(preNormKey), dim: s.hidden, eps: s.layerNormEps)
        encoder = try Encoder(w.scoped("encoder"), shape: s)
        postNorm = try LayerNorm(w.scoped("post_layernorm"), dim: s.hidden, eps: s.layerNormEps)
        shape = s
    }

    /// `last_hidden_state` (B, N, D), no final norm. `hiddenState` sees HF's `hidden_states`
    /// (index 0 = after pre-LN, i = after layer i); copy what you keep. With `layerCount` only the
    /// first that many layers run (the result is then `hidden_states[layerCount]`).
    public func lastHiddenState(_ pixels: Tensor, layerCount: Int? = nil,
                                hiddenState: ((Int, Tensor) -> Void)? = nil) throws -> Tensor {
        lock.lock(); defer { lock.unlock() }
        let h = try embeddings.forward(pixels, workspace: workspace)
        preNorm.forward(h, into: h)
        encoder.forward(h, mask: .none, workspace: workspace, layerCount: layerCount, hiddenState: hiddenState)
        try h.requireFinite("vision tower output")
        return h
    }

    /// `pooler_output`: post_layernorm(CLS) as (B, D). The last layer runs on the CLS tokens only.
    public func pooled(_ pixels: Tensor) throws -> Tensor {
        lock.lock(); defer { lock.unlock() }
        let h = try embeddings.forward(pixels, workspace: workspace)
        preNorm.forward(h, into: h)
        let cls = encoder.forward(h, mask: .none, rows: (0 ..< h.shape[0]).map { ($0, 0) }, workspace: workspace)
        postNorm.forward(cls, into: cls)
        try cls.requireFinite("vision tower output")
        return cls
    }
}

/// Which token of a text carries its summary.
public enum TextPooling: Sendable, Equatable {
    /// The first position holding this id (CLIP with a modern config: eos_token_id).
    case firstToken(Int)
    /// The position of the largest id (old CLIP configs with eos_token_id == 2; OWL-ViT always).
    case argmaxID
}

/// Embeddings -> causal encoder -> final_layer_norm; pooled at the EOS token.
public final class TextTransformer: @unchecked Sendable {
    public let embeddings: TextEmbeddings
    public let encoder: Encoder
    public let finalNorm: LayerNorm
    public let pooling: TextPooling
    public let shape: TransformerShape
    let workspace = Workspace()
    private let lock = NSLock()

    public init(_ w: WeightLoader, shape s: TransformerShape, vocabSize: Int, maxPositions: Int, pooling: TextPooling) throws {
        embeddings = try TextEmbeddings(w.scoped("embeddings"), dim: s.hidden, vocabSize: vocabSize, maxPositions: maxPositions)
        encoder = try Encoder(w.scoped("encoder"), shape: s)
        finalNorm = try LayerNorm(w.scoped("final_layer_norm"), dim: s.hidden, eps: s.layerNormEps)
        self.pooling = pooling
        shape = s
    }

    /// The pooled position of each sequence (as transformers picks it; 0 when the id is absent).
    public func poolingPositions(_ ids: [[Int]]) -> [Int] {
        ids.map { seq in
            switch pooling {
            case let .firstToken(id): return seq.firstIndex(of: id) ?? 0
            case .argmaxID:
                var best = 0
                for (i, v) in seq.enumerated() where v > seq[best] { best = i }
                return best
            }
        }
    }

    private func mask(_ attentionMask: [[Int]]?, batch: Int, length: Int) throws -> AttentionMask {
        guard let attentionMask else { return AttentionMask(causal: true) }
        guard attentionMask.count == batch, attentionMask.allSatisfy({ $0.count >= length }) else {
            throw InputError("attention mask \(attentionMask.count)x\(attentionMask.first?.count ?? 0) does not match \(batch) sequences of \(length)")
        }
        return AttentionMask.padding(attentionMask.map { Array($0.prefix(length)) }, causal: true)
    }

    /// `pooler_output` (B, D). Positions after the last pooled token cannot influence it under the
    /// causal mask, so the sequence is cut there, and the last layer runs on pooled tokens only.
    public func pooled(_ ids: [[Int]], attentionMask: [[Int]]? = nil) throws -> Tensor {
        lock.lock(); defer { lock.unlock() }
        let positions = poolingPositions(ids)
        let length = (positions.max() ?? 0) + 1
        let h = try embeddings.forward(ids, length: length)
        let m = try mask(attentionMask, batch: ids.count, length: length)
        let out = encoder.forward(h, mask: m, rows: positions.enumerated().map { ($0.offset, $0.element) }, workspace: workspace)
        finalNorm.forward(out, into: out)
        try out.requireFinite("text tower output")
        return out
    }

    /// `last_hidden_state` (B, N, D) after final_layer_norm, every position.
    public func lastHiddenState(_ ids: [[Int]], attentionMask: [[Int]]? = nil) throws -> Tensor {
        lock.lock(); defer { lock.unlock() }
        let h = try embeddings.forward(ids)
        let m = try mask(attentionMask, batch: ids.count, length: h.shape[1])
        encoder.forward(h, mask: m, workspace: workspace)
        finalNorm.forward(h, into: h)
        try h.requireFinite("text tower output")
        return h
    }
}
