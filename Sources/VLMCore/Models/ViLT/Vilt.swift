import Foundation

// Port of transformers 5.25 models/vilt/modeling_vilt.py (ViltModel, ViltPooler,
// ViltForQuestionAnswering), inference. ViltLayer is the shared pre-LN EncoderLayer
// (layernorm_before -> attention -> residual -> layernorm_after -> MLP -> residual); its keys are
// renamed to the shared names at load (`ViltForQuestionAnswering.sanitize`).

/// The answers to one question: a logit per label and the sigmoid scores transformers' VQA pipeline reports.
public struct ViltAnswers: Sendable, Equatable {
    /// One logit per label, in label-id order.
    public let logits: [Float]
    /// sigmoid(logits), in label-id order.
    public var scores: [Float] { logits.map { 1 / (1 + Foundation.exp(-$0)) } }

    /// The `k` best (label id, score) pairs, highest score first (ties: lower id first).
    public func top(_ k: Int) -> [(id: Int, score: Float)] {
        let s = scores
        return s.indices.sorted { s[$0] != s[$1] ? s[$0] > s[$1] : $0 < $1 }.prefix(max(0, k)).map { ($0, s[$0]) }
    }
}

/// ViltForQuestionAnswering: one transformer over [question tokens ; image tokens], pooled at the
/// question's [CLS], classified into `config.id2label` answers.
public final class ViltForQuestionAnswering: @unchecked Sendable {
    public let configuration: ViltConfiguration
    public let embeddings: ViltEmbeddings
    public let encoder: Encoder
    public let finalNorm: LayerNorm
    public let pooler: Linear
    /// Linear(D, 2D) -> LayerNorm(2D, eps 1e-5: nn.LayerNorm's default) -> GELU -> Linear(2D, labels).
    public let classifier: (Linear, LayerNorm, Linear)
    private let workspace = Workspace()
    private let lock = NSLock()

    public var labels: [String] { configuration.labels }

    /// Builds the model from canonical keys (see `sanitize`).
    public init(_ c: ViltConfiguration, weights w: WeightLoader) throws {
        try c.validate()
        if !c.architectures.isEmpty && !c.architectures.contains("ViltForQuestionAnswering") {
            throw InputError("ViLT checkpoint is \(c.architectures.joined(separator: ", ")), not ViltForQuestionAnswering (no VQA head)")
        }
        guard !c.id2label.isEmpty else { throw InputError("ViLT config has no id2label: no answers to choose from") }
        configuration = c
        let d = c.hiddenSize, labels = c.id2label.count
        embeddings = try ViltEmbeddings(w.scoped("embeddings"), config: c)
        encoder = try Encoder(w.scoped("encoder"), shape: c.transformer)
        finalNorm = try LayerNorm(w.scoped("layernorm"), dim: d, eps: c.layerNormEps)
        pooler = try Linear(w.scoped("pooler.dense"), in: d, out: d)
        let head = w.scoped("classifier")
        classifier = (try Linear(head.scoped("0"), in: d, out: 2 * d),
                      try LayerNorm(head.scoped("1"), dim: 2 * d, eps: 1e-5),
                      try Linear(head.scoped("3"), in: 2 * d, out: labels))
    }

    /// Checkpoint tensors this port never reads (none: every kept key is read); loading does not warn about them.
    public static let unusedCheckpointKeys: Set<String> = []

    /// Loads `config.json` and the weights in `store` (a checkpoint of that folder).
    public convenience init(folder: URL, store: TensorStore) throws {
        try self.init(folder: folder, config: ViltConfiguration.load(folder), store: store)
    }

    /// Loads a Hugging Face ViLT VQA folder (config.json + safetensors / pytorch_model.bin).
    public convenience init(folder: URL) throws {
        let config = try ViltConfiguration.load(folder)  // refuses another architecture before the weights
        try self.init(folder: folder, config: config, store: Checkpoint.open(folder: folder.path))
    }

    private convenience init(folder: URL, config: ViltConfiguration, store: TensorStore) throws {
        let weights = WeightLoader(store: store, sanitize: Self.sanitize)
        try self.init(config, weights: weights)
        weights.warnUnread(model: "ViltForQuestionAnswering", unused: Self.unusedCheckpointKeys)
    }

    /// Checkpoint key -> canonical key: `vilt.` dropped, each ViltLayer's modules named as the shared
    /// EncoderLayer's. Keys of other heads are ignored.
    public static func sanitize(_ key: String) -> String? {
        if key.hasPrefix("classifier.") { return key }
        guard key.hasPrefix("vilt.") else { return nil }
        var k = String(key.dropFirst(5))
        guard k.hasPrefix("encoder.layer.") else { return k }
        k = "encoder.layers." + k.dropFirst("encoder.layer.".count)
        for (old, new) in [(".attention.attention.query.", ".self_attn.q_proj."), (".attention.attention.key.", ".self_attn.k_proj."),
                           (".attention.attention.value.", ".self_attn.v_proj."), (".attention.output.dense.", ".self_attn.out_proj."),
                           (".layernorm_before.", ".layer_norm1."), (".layernorm_after.", ".layer_norm2."),
                           (".intermediate.dense.", ".mlp.fc1."), (".output.dense.", ".mlp.fc2.")] where k.contains(old) {
            return k.replacingOccurrences(of: old, with: new)
        }
        return k
    }

    /// The image tokens of `pixels` (1, C, H, W) and its mask (H·W, nil: all real), for `answer`.
    public func imageTokens(_ pixels: Tensor, pixelMask: [UInt8]? = nil) throws -> ViltImageTokens {
        lock.lock(); defer { lock.unlock() }
        return try embeddings.image(pixels, pixelMask: pixelMask, workspace: workspace)
    }

    /// Answers each question (token ids with [CLS] … [SEP]) about one image, in one padded batch.
    public func answer(_ questions: [[Int]], image: ViltImageTokens) throws -> [ViltAnswers] {
        guard !questions.isEmpty else { return [] }
        guard questions.allSatisfy({ !$0.isEmpty }) else { throw InputError("a question has no tokens") }
        lock.lock(); defer { lock.unlock() }
        let d = configuration.hiddenSize, b = questions.count
        let textLength = questions.map(\.count).max()!, n = textLength + image.count
        let h = workspace.tensor("vilt.hidden", [b, n, d])
        h.fill(0)
        var keyValid: [[Bool]] = []
        for (i, ids) in questions.enumerated() {
            let text = try embeddings.text(ids)
            let base = h.pointer + i * n * d
            base.update(from: text.pointer, count: ids.count * d)
            (base + textLength * d).update(from: image.tokens.pointer, count: image.count * d)
            keyValid.append((0 ..< n).map { $0 < ids.count || $0 >= textLength })
        }
        let mask = questions.allSatisfy({ $0.count == textLength }) ? AttentionMask.none : AttentionMask(keyValid: keyValid)
        // Only the question's [CLS] (token 0) is pooled: the last block runs on those rows alone.
        let cls = encoder.forward(h, mask: mask, rows: (0 ..< b).map { ($0, 0) }, workspace: workspace)
        finalNorm.forward(cls, into: cls)
        let pooled = pooler(cls)
        Ops.tanh(pooled)
        let hidden = classifier.0(pooled)
        classifier.1.forward(hidden, into: hidden)
        Ops.activate(hidden, .gelu)
        let logits = classifier.2(hidden)
        return (0 ..< b).map { ViltAnswers(logits: logits[$0].values) }
    }

    /// Answers `questions` about `pixels` (1, C, H, W) with its pixel mask.
    public func callAsFunction(_ questions: [[Int]], pixels: Tensor, pixelMask: [UInt8]? = nil) throws -> [ViltAnswers] {
        try answer(questions, image: imageTokens(pixels, pixelMask: pixelMask))
    }
}

extension Ops {
    /// In-place tanh (ViltPooler's activation; a handful of values per question).
    public static func tanh(_ x: Tensor) {
        for i in 0 ..< x.count { x.pointer[i] = Foundation.tanh(x.pointer[i]) }
    }
}
