/// The pre-LN transformer shared by every CLIP-family tower (transformers' CLIPAttention, CLIPMLP,
/// CLIPEncoderLayer, CLIPEncoder). Checkpoint keys: `self_attn.{q,k,v,out}_proj`, `layer_norm1`,
/// `mlp.fc1`, `mlp.fc2`, `layer_norm2`, under `layers.N`.

/// Sizes of one transformer stack.
public struct TransformerShape: Sendable, Equatable {
    public var hidden: Int
    public var intermediate: Int
    public var layers: Int
    public var heads: Int
    public var activation: Activation
    public var layerNormEps: Float

    public init(hidden: Int, intermediate: Int, layers: Int, heads: Int, activation: Activation, layerNormEps: Float) {
        self.hidden = hidden
        self.intermediate = intermediate
        self.layers = layers
        self.heads = heads
        self.activation = activation
        self.layerNormEps = layerNormEps
    }

    public var headDim: Int { hidden / heads }
}

/// Multi-head self-attention with q, k, v fused into one projection (one GEMM), scale head_dim^-0.5.
public struct SelfAttention: @unchecked Sendable {
    /// [q | k | v] stacked: (3·D, D).
    public let qkv: Linear
    public let out: Linear
    public let heads: Int
    public let scale: Float

    public init(_ w: WeightLoader, dim: Int, heads: Int) throws {
        precondition(dim % heads == 0, "SelfAttention: \(dim) not divisible by \(heads) heads")
        qkv = Linear.stacked([try Linear(w.scoped("q_proj"), in: dim, out: dim),
                              try Linear(w.scoped("k_proj"), in: dim, out: dim),
                              try Linear(w.scoped("v_proj"), in: dim, out: dim)])
        out = try Linear(w.scoped("out_proj"), in: dim, out: dim)
        self.heads = heads
        self.scale = 1 / Float(dim / heads).squareRoot()
    }

    /// `residual += out_proj(attention(x))` for x (B, N, D).
    public func forward(_ x: Tensor, mask: AttentionMask, residual: Tensor, workspace ws: Workspace) {
        let (b, n, d) = (x.shape[0], x.shape[1], x.shape[2])
        let fused = ws.tensor("attn.qkv", [b, n, 3 * d])
        qkv.forward(x, into: fused)
        let ctx = ws.tensor("attn.ctx", [b, n, d])
        if qkv.precision != .fp32, !mask.causal, mask.keyValid == nil, ReducedAttention.runs {
            // Reduced modes: bf16 products, fp32 softmax (image towers; masked text attention stays fp32).
            ReducedAttention.attention(q: StridedRows(fused, column: 0), k: StridedRows(fused, column: d),
                                       v: StridedRows(fused, column: 2 * d), out: StridedRows(ctx), batch: b,
                                       queryLength: n, keyLength: n, heads: heads, headDim: d / heads, scale: scale)
        } else {
            Ops.attention(fusedQKV: fused, heads: heads, scale: scale, mask: mask, into: ctx,
                          scores: ws.tensor("attn.scores", [n * n]))
        }
        out.forward(ctx, into: residual, accumulate: true)
    }
}

/// fc1 -> activation -> fc2.
public struct MLP: @unchecked Sendable {
    public let fc1: Linear
    public let fc2: Linear
    public let activation: Activation

    public init(_ w: WeightLoader, dim: Int, intermediate: Int, activation: Activation) throws {
        fc1 = try Linear(w.scoped("fc1"), in: dim, out: intermediate)
        fc2 = try Linear(w.scoped("fc2"), in: intermediate, out: dim)
        self.activation = activation
    }

    /// `residual += fc2(act(fc1(x)))`.
    public func forward(_ x: Tensor, residual: Tensor, workspace ws: Workspace) {
        let mid = ws.tensor("mlp.mid", Array(x.shape.dropLast()) + [fc1.outFeatures])
        fc1.forward(x, into: mid, activation: activation)
        fc2.forward(mid, into: residual, accumulate: true)
    }
}

/// Pre-LN block: `x += attn(LN1 x); x += mlp(LN2 x)`.
public struct EncoderLayer: @unchecked Sendable {
    public let norm1: LayerNorm
    public let attention: SelfAttention
    public let norm2: LayerNorm
    public let mlp: MLP

    public init(_ w: WeightLoader, shape s: TransformerShape) throws {
        norm1 = try LayerNorm(w.scoped("layer_norm1"), dim: s.hidden, eps: s.layerNormEps)
        attention = try SelfAttention(w.scoped("self_attn"), dim: s.hidden, heads: s.heads)
        norm2 = try LayerNorm(w.scoped("layer_norm2"), dim: s.hidden, eps: s.layerNormEps)
        mlp = try MLP(w.scoped("mlp"), dim: s.hidden, intermediate: s.intermediate, activation: s.activation)
    }

    /// Updates the residual stream `h` (B, N, D) in place.
    public func forward(_ h: Tensor, mask: AttentionMask, workspace ws: Workspace) {
        let normed = ws.tensor("layer.normed", h.shape)
        norm1.forward(h, into: normed)
        attention.forward(normed, mask: mask, residual: h, workspace: ws)
        norm2.forward(h, into: normed)
        mlp.forward(normed, residual: h, workspace: ws)
    }

    /// The block's output for selected tokens only, as (rows.count, D): keys and values still come
    /// from every token, but queries, the output projection and the MLP run on `rows` alone.
    /// Used for the last block when only pooled tokens are needed (CLS, or the text's EOS).
    /// `rows` are (batch entry, token); with a causal mask token t attends to keys 0...t.
    public func forward(_ h: Tensor, mask: AttentionMask, rows: [(batch: Int, token: Int)], workspace ws: Workspace) -> Tensor {
        let (b, n, d) = (h.shape[0], h.shape[1], h.shape[2])
        let normed = ws.tensor("layer.normed", h.shape)
        norm1.forward(h, into: normed)
        let fused = ws.tensor("attn.qkv", [b, n, 3 * d])
        attention.qkv.forward(normed, into: fused)
        let s = rows.count
        let ctx = ws.tensor("attn.ctx", [s, d])
        let scores = ws.tensor("attn.scores", [n])
        let out = Tensor(zeros: [s, d])
        for (i, r) in rows.enumerated() {
            precondition(r.batch < b && r.token < n, "EncoderLayer: row \(r) outside \(h.shape)")
            let keys = mask.causal ? r.token + 1 : n
            let q = StridedRows(base: fused.pointer + (r.batch * n + r.token) * 3 * d, rowStride: 3 * d, batchStride: 0)
            let kv = fused.pointer + r.batch * n * 3 * d
            let m = AttentionMask(causal: false, keyValid: mask.keyValid.map { [$0[r.batch]] })
            Ops.attention(q: q, k: StridedRows(base: kv + d, rowStride: 3 * d, batchStride: 0),
                          v: StridedRows(base: kv + 2 * d, rowStride: 3 * d, batchStride: 0),
                          out: StridedRows(base: ctx.pointer + i * d, rowStride: d, batchStride: 0),
                          batch: 1, queryLength: 1, keyLength: keys, heads: attention.heads, headDim: d / attention.heads,
                          scale: attention.scale, mask: m, scores: scores.pointer)
            (out.pointer + i * d).update(from: h.pointer + (r.batch * n + r.token) * d, count: d)
        }
        attention.out.forward(ctx, into: out, accumulate: true)
        let normedRows = ws.tensor("layer.normedRows", [s, d])
        norm2.forward(out, into: normedRows)
        mlp.forward(normedRows, residual: out, workspace: ws)
        return out
    }
}

/// A stack of `EncoderLayer`s (`layers.0`, `layers.1`, …).
public struct Encoder: @unchecked Sendable {
    public let layers: [EncoderLayer]

    public init(_ w: WeightLoader, shape s: TransformerShape) throws {
        layers = try (0 ..< s.layers).map { try EncoderLayer(w.scoped("layers.\($0)"), shape: s) }
    }

    /// Runs every layer on `h` (B, N, D) in place. `hiddenState(i, h)` sees the input of layer 0
    /// (i = 0) and the output of every layer (i = 1…L), like HF's `hidden_states`; copy what you keep.
    /// `layerCount` stops after that many layers (CLIPSeg reads no activation past its last extract layer).
    public func forward(_ h: Tensor, mask: AttentionMask, workspace ws: Workspace, layerCount: Int? = nil,
                        hiddenState: ((Int, Tensor) -> Void)? = nil) {
        hiddenState?(0, h)
        for (i, layer) in layers.prefix(layerCount ?? layers.count).enumerated() {
            layer.forward(h, mask: mask, workspace: ws)
            hiddenState?(i + 1, h)
        }
    }

    /// Runs every layer but only keeps `rows` through the last one: returns (rows.count, D).
    /// `h` holds the input of the last layer afterwards.
    public func forward(_ h: Tensor, mask: AttentionMask, rows: [(batch: Int, token: Int)], workspace ws: Workspace) -> Tensor {
        guard let last = layers.last else {
            let d = h.shape[2], out = Tensor(zeros: [rows.count, d])
            for (i, r) in rows.enumerated() { (out.pointer + i * d).update(from: h.pointer + (r.batch * h.shape[1] + r.token) * d, count: d) }
            return out
        }
        for layer in layers.dropLast() { layer.forward(h, mask: mask, workspace: ws) }
        return last.forward(h, mask: mask, rows: rows, workspace: ws)
    }
}
