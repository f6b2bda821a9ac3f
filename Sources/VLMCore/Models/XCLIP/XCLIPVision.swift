// Port of transformers 5.24 models/x_clip/modeling_x_clip.py: XCLIPVisionEncoderLayer (the
// cross-frame communication block), XCLIPVisionModel and XCLIPMultiframeIntegrationTransformer.
// The blocks themselves are the shared NN/ ones; X-CLIP only adds the message token around them.

/// One frame-encoder layer with cross-frame communication. Before the shared pre-LN block runs,
/// each frame's CLS is turned into a message (`message_fc`), the messages of a video's T frames
/// attend to each other (`message_ln`, `message_attn`, residual), and each frame gets its message
/// as an extra token that every token may attend to; the token is dropped after attention.
public struct XCLIPCrossFrameLayer: @unchecked Sendable {
    public let block: EncoderLayer
    public let messageFC: Linear
    public let messageNorm: LayerNorm
    public let messageAttention: SelfAttention

    public init(_ w: WeightLoader, shape s: TransformerShape) throws {
        block = try EncoderLayer(w, shape: s)
        messageFC = try Linear(w.scoped("message_fc"), in: s.hidden, out: s.hidden)
        messageNorm = try LayerNorm(w.scoped("message_ln"), dim: s.hidden, eps: s.layerNormEps)
        messageAttention = try SelfAttention(w.scoped("message_attn"), dim: s.hidden, heads: s.heads)
    }

    /// Updates `h` (B·T, N + 1, D) in place: tokens 0..<N are the frame's, token N is the message
    /// slot (overwritten here; after the call it holds a value nobody reads). Running the MLP on the
    /// message slot as well keeps the shared block untouched at a cost of 1/(N+1) of the MLP: the
    /// block's output for the other tokens is exactly transformers' (LN and MLP are per token).
    func forward(_ h: Tensor, frames t: Int, workspace ws: Workspace) {
        let (bt, n1, d) = (h.shape[0], h.shape[1], h.shape[2])
        let b = bt / t
        let cls = ws.tensor("xclip.cls", [bt, d])
        for f in 0 ..< bt { (cls.pointer + f * d).update(from: h.pointer + f * n1 * d, count: d) }
        let msg = ws.tensor("xclip.msg", [b, t, d])
        messageFC.forward(cls, into: msg)
        let normed = ws.tensor("xclip.msgNormed", [b, t, d])
        messageNorm.forward(msg, into: normed)
        messageAttention.forward(normed, mask: .none, residual: msg, workspace: ws)
        for f in 0 ..< bt { (h.pointer + (f * n1 + n1 - 1) * d).update(from: msg.pointer + f * d, count: d) }
        block.forward(h, mask: .none, workspace: ws)
    }
}

/// X-CLIP's frame encoder (XCLIPVisionModel): CLIP embeddings, `pre_layernorm`, cross-frame layers,
/// `post_layernorm` on CLS. Owns a workspace: one forward at a time.
public final class XCLIPVisionTransformer: @unchecked Sendable {
    public let embeddings: VisionEmbeddings
    public let preNorm: LayerNorm
    public let layers: [XCLIPCrossFrameLayer]
    public let postNorm: LayerNorm
    public let shape: TransformerShape
    let workspace = Workspace()

    public init(_ w: WeightLoader, configuration c: XCLIPVisionConfiguration) throws {
        let s = c.transformer
        embeddings = try VisionEmbeddings(w.scoped("embeddings"), dim: s.hidden, channels: c.numChannels,
                                          imageSize: c.imageSize, patchSize: c.patchSize)
        preNorm = try LayerNorm(w.scoped("pre_layernorm"), dim: s.hidden, eps: s.layerNormEps)
        let enc = w.scoped("encoder")
        layers = try (0 ..< s.layers).map { try XCLIPCrossFrameLayer(enc.scoped("layers.\($0)"), shape: s) }
        postNorm = try LayerNorm(w.scoped("post_layernorm"), dim: s.hidden, eps: s.layerNormEps)
        shape = s
    }

    /// Runs the encoder on `pixels` (B·T, C, H, W), T frames per video, and returns the residual
    /// stream (B·T, N + 1, D): tokens 0..<N are `last_hidden_state`, token N is scratch. The tensor
    /// lives in the tower's workspace and is overwritten by the next call.
    func encode(_ pixels: Tensor, frames t: Int) throws -> Tensor {
        guard t > 0, pixels.rank == 4, pixels.shape[0] % t == 0 else {
            throw InputError("pixel values \(pixels.shape) are not a whole number of \(t)-frame videos")
        }
        let e = try embeddings.forward(pixels, workspace: workspace)
        preNorm.forward(e, into: e)
        let (bt, n, d) = (e.shape[0], e.shape[1], e.shape[2])
        let h = workspace.tensor("xclip.hidden", [bt, n + 1, d])
        for f in 0 ..< bt { (h.pointer + f * (n + 1) * d).update(from: e.pointer + f * n * d, count: n * d) }
        for layer in layers { layer.forward(h, frames: t, workspace: workspace) }
        return h
    }

    /// transformers' `last_hidden_state` (B·T, N, D), copied out.
    public func lastHiddenState(_ pixels: Tensor, frames t: Int) throws -> Tensor {
        let h = try encode(pixels, frames: t)
        let (bt, n1, d) = (h.shape[0], h.shape[1], h.shape[2])
        let out = Tensor(zeros: [bt, n1 - 1, d])
        for f in 0 ..< bt { (out.pointer + f * (n1 - 1) * d).update(from: h.pointer + f * n1 * d, count: (n1 - 1) * d) }
        return out
    }

    /// `pooler_output` of a residual stream from `encode`: post_layernorm(CLS), (B·T, D).
    func pooled(_ h: Tensor) -> Tensor {
        let (bt, n1, d) = (h.shape[0], h.shape[1], h.shape[2])
        let cls = Tensor(zeros: [bt, d])
        for f in 0 ..< bt { (cls.pointer + f * d).update(from: h.pointer + f * n1 * d, count: d) }
        postNorm.forward(cls, into: cls)
        return cls
    }
}

/// The multi-frame integration transformer: `mean_t(Encoder(x + position_embedding) + x)` over the
/// T per-frame embeddings (the residual skips the position embedding).
public struct XCLIPMultiframeIntegration: @unchecked Sendable {
    /// (T, D).
    public let positionEmbedding: Tensor
    public let encoder: Encoder

    public init(_ w: WeightLoader, shape s: TransformerShape, frames: Int) throws {
        positionEmbedding = try w("position_embedding", shape: [frames, s.hidden])
        encoder = try Encoder(w.scoped("encoder"), shape: s)
    }

    /// `x` (B, T, D) -> pooled (B, D).
    public func forward(_ x: Tensor, workspace ws: Workspace) throws -> Tensor {
        let (b, t, d) = (x.shape[0], x.shape[1], x.shape[2])
        guard t == positionEmbedding.shape[0] else {
            throw InputError("video has \(t) frames, the model's multi-frame transformer expects \(positionEmbedding.shape[0])")
        }
        let h = Tensor(zeros: x.shape)
        for v in 0 ..< b {
            simdZip(x.pointer + v * t * d, positionEmbedding.pointer, h.pointer + v * t * d, t * d) { $0 + $1 }
        }
        encoder.forward(h, mask: .none, workspace: ws)
        let out = Tensor(zeros: [b, d])
        let inv = 1 / Float(t)
        for v in 0 ..< b {
            let o = out.pointer + v * d
            for f in 0 ..< t {
                let hr = h.pointer + (v * t + f) * d, xr = x.pointer + (v * t + f) * d
                for j in 0 ..< d { o[j] += hr[j] + xr[j] }
            }
            for j in 0 ..< d { o[j] *= inv }
        }
        return out
    }
}
