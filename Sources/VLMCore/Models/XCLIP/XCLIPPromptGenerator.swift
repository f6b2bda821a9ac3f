// Port of transformers 5.24 models/x_clip/modeling_x_clip.py: XCLIPCrossAttention,
// PromptGeneratorLayer and XCLIPPromptGenerator (the "video-specific prompt").

/// Text queries attend to the video's patch features: q, k, v without bias, `proj` with bias.
public struct XCLIPCrossAttention: @unchecked Sendable {
    public let q: Linear, k: Linear, v: Linear, proj: Linear
    public let heads: Int
    public let scale: Float

    public init(_ w: WeightLoader, dim: Int, heads: Int) throws {
        guard heads > 0, dim % heads == 0 else {
            throw WeightError.invalid(key: w.prefix + "q_proj.weight", reason: "dimension \(dim) is not divisible by \(heads) heads")
        }
        q = try Linear(w.scoped("q_proj"), in: dim, out: dim, bias: false)
        k = try Linear(w.scoped("k_proj"), in: dim, out: dim, bias: false)
        v = try Linear(w.scoped("v_proj"), in: dim, out: dim, bias: false)
        proj = try Linear(w.scoped("proj"), in: dim, out: dim)
        self.heads = heads
        scale = 1 / Float(dim / heads).squareRoot()
    }

    /// `residual += proj(attention(q(x), k(visual), v(visual)))`; x (B, K, P), visual (B, M, P).
    func forward(_ x: Tensor, visual: Tensor, residual: Tensor) {
        let ctx = Ops.attention(query: q(x), key: k(visual), value: v(visual), heads: heads, scale: scale)
        proj.forward(ctx, into: residual, accumulate: true)
    }
}

/// `x += cross_attn(norm1 x, visual); x += mlp(norm3 x)`, the MLP being `mlp.0` -> act -> `mlp.3`
/// (indices of transformers' nn.Sequential, a dropout sits between).
public struct XCLIPPromptGeneratorLayer: @unchecked Sendable {
    public let norm1: LayerNorm
    public let crossAttention: XCLIPCrossAttention
    public let norm3: LayerNorm
    public let fc1: Linear, fc2: Linear
    public let activation: Activation

    public init(_ w: WeightLoader, dim: Int, heads: Int, activation: Activation, eps: Float) throws {
        norm1 = try LayerNorm(w.scoped("norm1"), dim: dim, eps: eps)
        crossAttention = try XCLIPCrossAttention(w.scoped("cross_attn"), dim: dim, heads: heads)
        norm3 = try LayerNorm(w.scoped("norm3"), dim: dim, eps: eps)
        fc1 = try Linear(w.scoped("mlp.0"), in: dim, out: 4 * dim)
        fc2 = try Linear(w.scoped("mlp.3"), in: 4 * dim, out: dim)
        self.activation = activation
    }

    func forward(_ x: Tensor, visual: Tensor) {
        crossAttention.forward(norm1(x), visual: visual, residual: x)
        fc2.forward(fc1(norm3(x), activation: activation), into: x, accumulate: true)
    }
}

/// Makes each text embedding video-specific: `alpha * layers(text, layernorm(visual))`, added to the
/// text embedding by the caller.
public struct XCLIPPromptGenerator: @unchecked Sendable {
    public let norm: LayerNorm
    public let layers: [XCLIPPromptGeneratorLayer]
    /// (P): a learned per-channel scale (initialised to prompt_alpha).
    public let alpha: Tensor

    public init(_ w: WeightLoader, configuration c: XCLIPConfiguration) throws {
        let p = c.projectionDim
        norm = try LayerNorm(w.scoped("layernorm"), dim: p, eps: c.visionConfig.layerNormEps)
        layers = try (0 ..< c.promptLayers).map {
            try XCLIPPromptGeneratorLayer(w.scoped("decoder.\($0)"), dim: p, heads: c.promptNumAttentionHeads,
                                          activation: c.promptHiddenAct, eps: c.textConfig.layerNormEps)
        }
        alpha = try w("alpha", shape: [p])
    }

    /// `text` (B, K, P) and `visual` (B, M, P) -> the prompt (B, K, P) to add to `text`.
    public func callAsFunction(text: Tensor, visual: Tensor) -> Tensor {
        let vis = norm(visual)
        let x = text.copy()
        for layer in layers { layer.forward(x, visual: vis) }
        Ops.mulRow(x, alpha)
        return x
    }
}
