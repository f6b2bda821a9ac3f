// Port of transformers 5.24 models/clipseg/modeling_clipseg.py: CLIPSegDecoderLayer, CLIPSegDecoder.
// The decoder's attention and MLP are the shared NN blocks; only the order of the norms differs.

/// Post-LN block: `x = LN1(x + attn(x)); x = LN2(x + fc2(relu(fc1 x)))`.
public struct CLIPSegDecoderLayer: @unchecked Sendable {
    public let attention: SelfAttention
    public let norm1: LayerNorm
    public let mlp: MLP
    public let norm2: LayerNorm

    public init(_ w: WeightLoader, shape s: TransformerShape) throws {
        attention = try SelfAttention(w.scoped("self_attn"), dim: s.hidden, heads: s.heads)
        norm1 = try LayerNorm(w.scoped("layer_norm1"), dim: s.hidden, eps: s.layerNormEps)
        mlp = try MLP(w.scoped("mlp"), dim: s.hidden, intermediate: s.intermediate, activation: s.activation)
        norm2 = try LayerNorm(w.scoped("layer_norm2"), dim: s.hidden, eps: s.layerNormEps)
    }

    /// Updates `h` (B, N, D) in place. The shared blocks read their input before adding into the
    /// residual, so input and residual may be the same tensor.
    public func forward(_ h: Tensor, workspace ws: Workspace) {
        attention.forward(h, mask: .none, residual: h, workspace: ws)
        norm1.forward(h, into: h)
        mlp.forward(h, residual: h, workspace: ws)
        norm2.forward(h, into: h)
    }
}

/// The upsampling head that turns the (B, R, gh, gw) token grid into logits (B, 1, gh·p, gw·p).
public enum CLIPSegHead: @unchecked Sendable {
    /// rd64-refined: Conv2d(R, R, 3, pad 1) -> ReLU -> ConvT(R, R/2, p/4, s p/4) -> ReLU -> ConvT(R/2, 1, p/4, s p/4).
    case refined(conv: (weight: Tensor, bias: Tensor), up1: (weight: Tensor, bias: Tensor), up2: (weight: Tensor, bias: Tensor))
    /// ConvT(R, 1, p, stride p).
    case single(weight: Tensor, bias: Tensor)

    init(_ w: WeightLoader, reduceDim r: Int, patchSize p: Int, refined: Bool) throws {
        if refined {
            let k = p / 4
            self = .refined(conv: (try w("0.weight", shape: [r, r, 3, 3]), try w("0.bias", shape: [r])),
                            up1: (try w("2.weight", shape: [r, r / 2, k, k]), try w("2.bias", shape: [r / 2])),
                            up2: (try w("4.weight", shape: [r / 2, 1, k, k]), try w("4.bias", shape: [1])))
        } else {
            self = .single(weight: try w("weight", shape: [r, 1, p, p]), bias: try w("bias", shape: [1]))
        }
    }

    func forward(_ grid: Tensor) -> Tensor {
        switch self {
        case let .refined(conv, up1, up2):
            let a = Profiler.measure(.gemm) { Ops.conv2d(grid, weight: conv.weight, bias: conv.bias, padding: 1) }
            Ops.activate(a, .relu)
            let b = Profiler.measure(.gemm) { Ops.convTranspose2d(a, weight: up1.weight, bias: up1.bias) }
            Ops.activate(b, .relu)
            return Profiler.measure(.gemm) { Ops.convTranspose2d(b, weight: up2.weight, bias: up2.bias) }
        case let .single(weight, bias):
            return Profiler.measure(.gemm) { Ops.convTranspose2d(grid, weight: weight, bias: bias) }
        }
    }
}

/// Reduces the extracted activations, conditions them on the prompt (FiLM), runs the post-LN
/// layers and the upsampling head. Keys under `decoder.`: `film_mul`, `film_add`, `reduces.N`,
/// `layers.N`, `transposed_convolution`.
public final class CLIPSegDecoder: @unchecked Sendable {
    public let filmMul: Linear
    public let filmAdd: Linear
    public let reduces: [Linear]
    public let layers: [CLIPSegDecoderLayer]
    public let head: CLIPSegHead
    public let conditionalLayer: Int
    let workspace = Workspace()

    public init(_ w: WeightLoader, configuration c: CLIPSegConfiguration) throws {
        let s = c.decoderShape, d = c.visionConfig.hiddenSize
        filmMul = try Linear(w.scoped("film_mul"), in: c.projectionDim, out: c.reduceDim)
        filmAdd = try Linear(w.scoped("film_add"), in: c.projectionDim, out: c.reduceDim)
        reduces = try (0 ..< c.extractLayers.count).map { try Linear(w.scoped("reduces.\($0)"), in: d, out: c.reduceDim) }
        layers = try (0 ..< c.extractLayers.count).map { try CLIPSegDecoderLayer(w.scoped("layers.\($0)"), shape: s) }
        head = try CLIPSegHead(w.scoped("transposed_convolution"), reduceDim: c.reduceDim, patchSize: c.visionConfig.patchSize,
                               refined: c.useComplexTransposedConvolution)
        conditionalLayer = c.conditionalLayer
    }

    /// Logits (P, gh·s, gw·s) for P prompts.
    /// - activations: per extract layer (in config order), (B, 1 + gh·gw, D) with B = 1 (one image
    ///   shared by every prompt: reduced once) or B = P.
    /// - conditioning: (P, projection_dim), the projected text (or image) embeddings, not normalised.
    public func forward(activations: [Tensor], conditioning: Tensor, grid: (height: Int, width: Int)) -> Tensor {
        let p = conditioning.shape[0], r = filmMul.outFeatures
        let n = activations[0].shape[1], b = activations[0].shape[0]
        precondition(activations.count == reduces.count && (b == 1 || b == p) && n == 1 + grid.height * grid.width,
                     "CLIPSegDecoder: \(activations.map(\.shape)) for \(p) prompts on a \(grid) grid")
        let out = Tensor(zeros: [p, n, r])
        let reduced = workspace.tensor("decoder.reduced", [b, n, r])
        let mul = filmMul(conditioning), add = filmAdd(conditioning)
        for (i, activation) in activations.reversed().enumerated() {
            reduces[i].forward(activation, into: reduced)
            // out (+)= reduce(activation), broadcast over prompts when one image serves them all.
            for q in 0 ..< p {
                let dst = out.pointer + q * n * r, src = reduced.pointer + (b == 1 ? 0 : q * n * r)
                if i == 0 { dst.update(from: src, count: n * r) } else { simdZip(dst, src, dst, n * r) { $0 + $1 } }
            }
            if i == conditionalLayer {
                Profiler.measure(.elementwise) {
                    for q in 0 ..< p {
                        let rows = Tensor(shape: [n, r], storage: out.storage, offset: q * n * r)
                        Ops.mulRow(rows, mul[q])
                        Ops.addRow(rows, add[q])
                    }
                }
            }
            layers[i].forward(out, workspace: workspace)
        }
        // Drop CLS and go channels-first: (P, R, gh, gw).
        let (gh, gw) = grid
        let maps = Tensor(zeros: [p, r, gh, gw])
        for q in 0 ..< p {
            let src = out.pointer + q * n * r + r, dst = maps.pointer + q * r * gh * gw
            for t in 0 ..< gh * gw { for c in 0 ..< r { dst[c * gh * gw + t] = src[t * r + c] } }
        }
        let logits = head.forward(maps)
        return logits.reshaped([p, logits.shape[2], logits.shape[3]])
    }
}
