import Foundation

// Port of transformers 5.25 models/vilt/configuration_vilt.py (ViltConfig).

/// A ViLT config.json with transformers' defaults (ViltConfig): one single-stream transformer over
/// BERT-style text embeddings and ViT-style patch embeddings, and the VQA head's labels.
public struct ViltConfiguration: Codable, Sendable, Equatable {
    public var vocabSize = 30522
    public var typeVocabSize = 2
    public var modalityTypeVocabSize = 2
    public var maxPositionEmbeddings = 40
    public var hiddenSize = 768
    public var numHiddenLayers = 12
    public var numAttentionHeads = 12
    public var intermediateSize = 3072
    public var hiddenAct = Activation.gelu
    public var layerNormEps: Float = 1e-12
    /// The square image size the patch position embeddings were trained at (any size is accepted).
    public var imageSize = 384
    public var patchSize = 32
    public var numChannels = 3
    public var qkvBias = true
    /// At most this many image patches (<= 0: all).
    public var maxImageLength = -1
    /// Answer label by classifier index; empty for a model without a VQA head.
    public var id2label: [Int: String] = [:]
    public var modelType = "vilt"
    public var architectures: [String] = []

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", typeVocabSize = "type_vocab_size"
        case modalityTypeVocabSize = "modality_type_vocab_size", maxPositionEmbeddings = "max_position_embeddings"
        case hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size", hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
        case imageSize = "image_size", patchSize = "patch_size", numChannels = "num_channels", qkvBias = "qkv_bias"
        case maxImageLength = "max_image_length", id2label, modelType = "model_type", architectures
    }

    public init() {}

    /// dandelin/vilt-b32-finetuned-vqa's architecture (the benchmark's, with `labels` answers).
    public static func b32VQA(labels: Int = 3129) -> ViltConfiguration {
        var c = ViltConfiguration()
        c.id2label = Dictionary(uniqueKeysWithValues: (0 ..< labels).map { ($0, "answer \($0)") })
        c.architectures = ["ViltForQuestionAnswering"]
        return c
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? vocabSize
        typeVocabSize = try c.decodeIfPresent(Int.self, forKey: .typeVocabSize) ?? typeVocabSize
        modalityTypeVocabSize = try c.decodeIfPresent(Int.self, forKey: .modalityTypeVocabSize) ?? modalityTypeVocabSize
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? maxPositionEmbeddings
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? numAttentionHeads
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? intermediateSize
        hiddenAct = try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? hiddenAct
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? layerNormEps
        imageSize = try c.decodeIntOrFirst(.imageSize) ?? imageSize
        patchSize = try c.decodeIntOrFirst(.patchSize) ?? patchSize
        numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? numChannels
        qkvBias = try c.decodeIfPresent(Bool.self, forKey: .qkvBias) ?? qkvBias
        maxImageLength = try c.decodeIfPresent(Int.self, forKey: .maxImageLength) ?? maxImageLength
        if let labels = try c.decodeIfPresent([String: String].self, forKey: .id2label) {
            var map: [Int: String] = [:]
            for (key, value) in labels {
                guard let i = Int(key) else {
                    throw DecodingError.dataCorruptedError(forKey: .id2label, in: c, debugDescription: "label id \"\(key)\" is not an integer")
                }
                map[i] = value
            }
            id2label = map
        }
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? modelType
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures) ?? architectures
    }

    public var transformer: TransformerShape {
        TransformerShape(hidden: hiddenSize, intermediate: intermediateSize, layers: numHiddenLayers,
                         heads: numAttentionHeads, activation: hiddenAct, layerNormEps: layerNormEps)
    }

    /// The answer labels in classifier order (`id2label` must cover 0..<count).
    public var labels: [String] { (0 ..< id2label.count).map { id2label[$0] ?? "" } }

    /// Every size is checked before it reaches an allocation; one line naming the bad field.
    public func validate() throws {
        func positive(_ v: Int, _ name: String, max: Int = 1 << 20) throws {
            if v <= 0 || v > max { throw InputError("ViLT config: \(name) \(v) is outside 1...\(max)") }
        }
        try positive(vocabSize, "vocab_size", max: 1 << 22)
        try positive(typeVocabSize, "type_vocab_size", max: 1024)
        try positive(modalityTypeVocabSize, "modality_type_vocab_size", max: 1024)
        try positive(maxPositionEmbeddings, "max_position_embeddings", max: 1 << 16)
        try positive(hiddenSize, "hidden_size", max: 1 << 16)
        try positive(numHiddenLayers, "num_hidden_layers", max: 1024)
        try positive(numAttentionHeads, "num_attention_heads", max: 1024)
        try positive(intermediateSize, "intermediate_size", max: 1 << 18)
        try positive(imageSize, "image_size", max: 1 << 14)
        try positive(patchSize, "patch_size", max: imageSize)
        try positive(numChannels, "num_channels", max: 16)
        if hiddenSize % numAttentionHeads != 0 {
            throw InputError("ViLT config: hidden_size \(hiddenSize) is not divisible by num_attention_heads \(numAttentionHeads)")
        }
        if modalityTypeVocabSize < 2 {
            throw InputError("ViLT config: modality_type_vocab_size \(modalityTypeVocabSize) has no image type (needs >= 2)")
        }
        if !qkvBias { throw InputError("ViLT config: qkv_bias false is not supported (every published ViLT has query/key/value biases)") }
        if !(layerNormEps > 0) { throw InputError("ViLT config: layer_norm_eps \(layerNormEps) must be positive") }
        if id2label.count > 1 << 20 { throw InputError("ViLT config: \(id2label.count) labels is too many") }
        if let bad = id2label.keys.first(where: { $0 < 0 || $0 >= id2label.count }) {
            throw InputError("ViLT config: id2label has id \(bad) but only \(id2label.count) labels (ids must be 0..<count)")
        }
    }

    /// Reads `config.json` from a model folder (or the file itself); another architecture is refused by name.
    public static func load(_ url: URL) throws -> ViltConfiguration {
        let (file, data) = try ModelConfigFile.read(url)
        try ModelRegistry.require([ModelRegistry.vilt], configData: data, file: file)
        let config = try ModelConfigFile.decode(ViltConfiguration.self, data, file: file, expected: "a ViLT")
        try config.validate()
        return config
    }
}
