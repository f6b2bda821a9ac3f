import Foundation

// Port of transformers 5.24 models/owlvit/modeling_owlvit.py (OwlViTForObjectDetection), inference
// with text queries. The towers are the shared NN/ VisionTransformer and TextTransformer; this file
// adds what OWL-ViT puts on top: the class-token merge, the box head with its grid bias, and the
// class head. Text queries are embedded once (`queries`) and reused for every image: one image pass
// serves every query, unlike the Hugging Face pipeline, which reruns the model per label.

/// Text queries embedded for the class head: computed once per query set, reused for every frame.
public struct OwlViTQueries: @unchecked Sendable {
    /// (Q, projection_dim): text_projection(pooled), L2-normalised as OwlViTModel returns it and
    /// again with +1e-6 as the class head does.
    public let embeds: Tensor
    /// False for a padded-out query (first token id 0): its logits are float32's minimum.
    public let valid: [Bool]

    public var count: Int { valid.count }
}

/// The image side of a detection forward: everything that does not depend on the queries.
public struct OwlViTImageFeatures: @unchecked Sendable {
    /// (B, G·G, D): post_layernorm(tokens) · post_layernorm(CLS), then layer_norm ("image_embeds").
    public let features: Tensor
    /// (B, G·G, text hidden): class_head.dense0(features), L2-normalised (+1e-6) ("class_embeds").
    public let classEmbeds: Tensor
    /// (B, G·G, 2): per patch the logit shift and the scale ELU(logit_scale(features)) + 1.
    public let shiftScale: Tensor
    /// (B, G·G, 4): sigmoid(box_head(features) + box_bias), (cx, cy, w, h) in [0, 1] of the input.
    public let boxes: Tensor
    /// Patches per side.
    public let grid: (rows: Int, columns: Int)
}

/// What a detection forward returns (transformers' OwlViTObjectDetectionOutput, the parts used).
public struct OwlViTDetectionOutput: @unchecked Sendable {
    /// (B, G·G, Q) class logits; float32 min for padded-out queries.
    public let logits: Tensor
    /// (B, G·G, 4) boxes (cx, cy, w, h) relative to the model input.
    public let predBoxes: Tensor
    public let image: OwlViTImageFeatures
}

/// dense0 -> GELU (erf) -> dense1 -> GELU -> dense2 (4 outputs); keys `box_head.dense{0,1,2}`.
public struct OwlViTBoxHead: @unchecked Sendable {
    public let dense0: Linear
    public let dense1: Linear
    public let dense2: Linear

    public init(_ w: WeightLoader, width: Int) throws {
        dense0 = try Linear(w.scoped("dense0"), in: width, out: width)
        dense1 = try Linear(w.scoped("dense1"), in: width, out: width)
        dense2 = try Linear(w.scoped("dense2"), in: width, out: 4)
    }
}

/// dense0 to the text width, plus per-patch logit shift and scale; keys `class_head.*`.
public struct OwlViTClassHead: @unchecked Sendable {
    public let dense0: Linear
    /// `logit_shift` and `logit_scale` (each D -> 1) stacked into one D -> 2 projection.
    public let shiftScale: Linear

    public init(_ w: WeightLoader, width: Int, textWidth: Int) throws {
        dense0 = try Linear(w.scoped("dense0"), in: width, out: textWidth)
        shiftScale = Linear.stacked([try Linear(w.scoped("logit_shift"), in: width, out: 1),
                                     try Linear(w.scoped("logit_scale"), in: width, out: 1)])
    }
}

/// OWL-ViT open-vocabulary detector: boxes for every patch of the grid, scored against text queries.
public final class OwlViTForObjectDetection: @unchecked Sendable {
    public let configuration: OwlViTConfiguration
    public let textModel: TextTransformer
    public let visionModel: VisionTransformer
    public let textProjection: Linear
    /// The detector's own layer norm after the class-token merge (`layer_norm`).
    public let layerNorm: LayerNorm
    public let boxHead: OwlViTBoxHead
    public let classHead: OwlViTClassHead
    /// (G·G, 4): the box head's prior, each patch's own centre and a patch-sized box (logit space).
    public let boxBias: Tensor
    private let workspace = Workspace()
    private let lock = NSLock()

    /// Builds the model from checkpoint keys (`owlvit.text_model.*`, `owlvit.vision_model.*`,
    /// `owlvit.text_projection`, `layer_norm`, `box_head.*`, `class_head.*`). The CLIP-style
    /// `visual_projection` and `logit_scale` are not used for detection and are not loaded.
    public init(_ configuration: OwlViTConfiguration, weights w: WeightLoader) throws {
        self.configuration = configuration
        let t = configuration.textConfig, v = configuration.visionConfig
        guard t.hiddenSize == configuration.projectionDim else {
            throw InputError("OWL-ViT config: text hidden_size \(t.hiddenSize) differs from projection_dim \(configuration.projectionDim); the class head needs them equal")
        }
        let core = w.scoped("owlvit")
        textModel = try TextTransformer(core.scoped("text_model"), shape: t.transformer, vocabSize: t.vocabSize,
                                        maxPositions: t.maxPositionEmbeddings, pooling: .argmaxID)
        visionModel = try VisionTransformer(core.scoped("vision_model"), shape: v.transformer, channels: v.numChannels,
                                            imageSize: v.imageSize, patchSize: v.patchSize, preNormKey: "pre_layernorm")
        textProjection = try Linear(core.scoped("text_projection"), in: t.hiddenSize, out: configuration.projectionDim, bias: false)
        layerNorm = try LayerNorm(w.scoped("layer_norm"), dim: v.hiddenSize, eps: v.layerNormEps)
        boxHead = try OwlViTBoxHead(w.scoped("box_head"), width: v.hiddenSize)
        classHead = try OwlViTClassHead(w.scoped("class_head"), width: v.hiddenSize, textWidth: t.hiddenSize)
        boxBias = Self.boxBias(rows: configuration.gridSize, columns: configuration.gridSize)
    }

    /// Checkpoint tensors this port never reads (the contrastive head of the wrapped OwlViTModel, which detection never runs); loading does not warn about them.
    public static let unusedCheckpointKeys: Set<String> = ["owlvit.logit_scale", "owlvit.visual_projection.weight"]

    /// Loads `config.json` (refusing other architectures) and the weights in `store`.
    public convenience init(folder: URL, store: TensorStore) throws {
        let weights = WeightLoader(store: store)
        try self.init(OwlViTConfiguration.load(folder), weights: weights)
        weights.warnUnread(model: "OwlViTForObjectDetection", unused: Self.unusedCheckpointKeys)
    }

    /// Loads a Hugging Face OWL-ViT folder: config.json first (a folder of another model fails
    /// before any weight is read), then its weights (safetensors memory-mapped, sharded or .bin).
    public convenience init(folder: URL) throws {
        let configuration = try OwlViTConfiguration.load(folder)
        let weights = WeightLoader(store: try Checkpoint.open(folder: folder.path))
        try self.init(configuration, weights: weights)
        weights.warnUnread(model: "OwlViTForObjectDetection", unused: Self.unusedCheckpointKeys)
    }

    /// transformers' `compute_box_bias`: logit(centre) of each patch (clipped to [0, 1]) and
    /// logit(1 / grid) for the size, each as log(x + 1e-4) - log1p(-x + 1e-4).
    public static func boxBias(rows: Int, columns: Int) -> Tensor {
        let out = Tensor(zeros: [rows * columns, 4])
        func logit(_ x: Float) -> Float { Foundation.log(x + 1e-4) - Foundation.log1p(-x + 1e-4) }
        let w = logit(1 / Float(columns)), h = logit(1 / Float(rows))
        for i in 0 ..< rows {
            for j in 0 ..< columns {
                let p = out.pointer + (i * columns + j) * 4
                p[0] = logit(min(max(Float(j + 1) / Float(columns), 0), 1))
                p[1] = logit(min(max(Float(i + 1) / Float(rows), 0), 1))
                p[2] = w
                p[3] = h
            }
        }
        return out
    }

    // MARK: - Text side (once per query set)

    /// Embeds a query set for `logits(image:queries:)`. `ids` are equal-length token sequences
    /// (padded with the checkpoint's pad token, "!" = id 0 on the hub), `attentionMask` HF's 0/1 mask.
    public func queries(_ ids: [[Int]], attentionMask: [[Int]]? = nil) throws -> OwlViTQueries {
        guard !ids.isEmpty else { throw InputError("no text queries") }
        let embeds = textProjection(try textModel.pooled(ids, attentionMask: attentionMask))
        Ops.l2Normalize(embeds)
        Ops.l2Normalize(embeds, eps: 1e-6)
        return OwlViTQueries(embeds: embeds, valid: ids.map { ($0.first ?? 0) > 0 })
    }

    /// Query embeddings of a tokenizer batch.
    public func queries(_ batch: TokenizedBatch) throws -> OwlViTQueries {
        try queries(batch.inputIds.map { $0.map(Int.init) }, attentionMask: batch.attentionMask.map { $0.map(Int.init) })
    }

    // MARK: - Image side (once per frame)

    /// Runs the vision tower and both heads' query-independent parts on `pixels` (B, C, H, W),
    /// already resized to the model's input size and normalised.
    public func imageFeatures(_ pixels: Tensor) throws -> OwlViTImageFeatures {
        let hidden = try visionModel.lastHiddenState(pixels)
        lock.lock(); defer { lock.unlock() }
        let (b, n, d) = (hidden.shape[0], hidden.shape[1], hidden.shape[2])
        let patches = n - 1
        let g = configuration.gridSize
        guard patches == g * g else { throw InputError("vision tower produced \(patches) patches, expected a \(g)x\(g) grid") }
        // post_layernorm over every token (not only CLS, unlike CLIP's pooler), then the merge.
        visionModel.postNorm.forward(hidden, into: hidden)
        let features = Tensor(zeros: [b, patches, d])
        Profiler.measure(.elementwise) {
            for bi in 0 ..< b {
                let cls = hidden.pointer + bi * n * d
                simdZipRows(cls + d, cls, features.pointer + bi * patches * d, rows: patches, width: d)
            }
        }
        layerNorm.forward(features, into: features)

        let classEmbeds = classHead.dense0(features)
        Profiler.measure(.elementwise) { Ops.l2Normalize(classEmbeds, eps: 1e-6) }
        let shiftScale = classHead.shiftScale(features)
        Profiler.measure(.activation) {
            for r in 0 ..< b * patches {
                let s = shiftScale.pointer[r * 2 + 1]
                shiftScale.pointer[r * 2 + 1] = (s > 0 ? s : Foundation.expm1(s)) + 1
            }
        }

        let mid = workspace.tensor("box.mid", [b, patches, d])
        let mid2 = workspace.tensor("box.mid2", [b, patches, d])
        boxHead.dense0.forward(features, into: mid, activation: .gelu)
        boxHead.dense1.forward(mid, into: mid2, activation: .gelu)
        let boxes = Tensor(zeros: [b, patches, 4])
        boxHead.dense2.forward(mid2, into: boxes)
        Profiler.measure(.activation) {
            for bi in 0 ..< b {
                let p = boxes.pointer + bi * patches * 4
                for i in 0 ..< patches * 4 { p[i] = 1 / (1 + Foundation.exp(-(p[i] + boxBias.pointer[i]))) }
            }
        }
        // The heads' own weights are not behind the tower's check.
        for (t, what) in [(classEmbeds, "OWL-ViT class head output"), (shiftScale, "OWL-ViT logit shift/scale"), (boxes, "OWL-ViT box head output")] {
            try t.requireFinite(what)
        }
        return OwlViTImageFeatures(features: features, classEmbeds: classEmbeds, shiftScale: shiftScale,
                                   boxes: boxes, grid: (g, g))
    }

    // MARK: - Scoring (per frame and query set: one small GEMM)

    /// (B, G·G, Q) logits: (cos(patch, query) + shift) · scale; float32 min for padded-out queries.
    public func logits(image: OwlViTImageFeatures, queries: OwlViTQueries) -> Tensor {
        let c = image.classEmbeds
        precondition(c.lastDim == queries.embeds.lastDim,
                     "OWL-ViT: class embeddings of width \(c.lastDim) against queries of width \(queries.embeds.lastDim)")
        let q = queries.count, rows = c.rowCount
        let out = Tensor(zeros: Array(c.shape.dropLast()) + [q])
        MatMul.matmul(c, queries.embeds, transposeB: true, into: out)
        for r in 0 ..< rows {
            let shift = image.shiftScale.pointer[r * 2], scale = image.shiftScale.pointer[r * 2 + 1]
            let row = out.pointer + r * q
            for j in 0 ..< q { row[j] = queries.valid[j] ? (row[j] + shift) * scale : -Float.greatestFiniteMagnitude }
        }
        return out
    }

    /// The whole detection forward for one query set (transformers' forward with input_ids).
    public func callAsFunction(pixels: Tensor, queries: OwlViTQueries) throws -> OwlViTDetectionOutput {
        let image = try imageFeatures(pixels)
        return OwlViTDetectionOutput(logits: logits(image: image, queries: queries), predBoxes: image.boxes, image: image)
    }
}

/// out[r] = a[r] * b for `rows` rows of `width` (b one row, broadcast): the class-token merge.
@inline(__always)
private func simdZipRows(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>,
                         _ out: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    for r in 0 ..< rows { simdZip(a + r * width, b, out + r * width, width) { $0 * $1 } }
}
