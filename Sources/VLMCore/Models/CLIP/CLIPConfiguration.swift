import Foundation

/// Decoding helpers for transformers' config.json quirks.
extension KeyedDecodingContainer {
    /// An Int that may also be written as a list (first element) — `eos_token_id`, `image_size`.
    func decodeIntOrFirst(_ key: Key) throws -> Int? {
        if let v = try? decodeIfPresent(Int.self, forKey: key) { return v }
        if let v = try? decodeIfPresent([Int].self, forKey: key) { return v.first }
        return nil
    }
}

/// `text_config` of a CLIP config.json, with transformers' defaults (CLIPTextConfig).
public struct CLIPTextConfiguration: Codable, Sendable, Equatable {
    public var vocabSize = 49408
    public var hiddenSize = 512
    public var intermediateSize = 2048
    public var projectionDim = 512
    public var numHiddenLayers = 12
    public var numAttentionHeads = 8
    public var maxPositionEmbeddings = 77
    public var hiddenAct = Activation.quickGELU
    public var layerNormEps: Float = 1e-5
    public var padTokenId = 1
    public var bosTokenId = 49406
    public var eosTokenId = 49407

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case projectionDim = "projection_dim", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", maxPositionEmbeddings = "max_position_embeddings"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps", padTokenId = "pad_token_id"
        case bosTokenId = "bos_token_id", eosTokenId = "eos_token_id"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? vocabSize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? intermediateSize
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim) ?? projectionDim
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? numAttentionHeads
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? maxPositionEmbeddings
        hiddenAct = try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? hiddenAct
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? layerNormEps
        padTokenId = try c.decodeIntOrFirst(.padTokenId) ?? padTokenId
        bosTokenId = try c.decodeIntOrFirst(.bosTokenId) ?? bosTokenId
        eosTokenId = try c.decodeIntOrFirst(.eosTokenId) ?? eosTokenId
    }

    public var transformer: TransformerShape {
        TransformerShape(hidden: hiddenSize, intermediate: intermediateSize, layers: numHiddenLayers,
                         heads: numAttentionHeads, activation: hiddenAct, layerNormEps: layerNormEps)
    }
}

/// `vision_config` of a CLIP config.json, with transformers' defaults (CLIPVisionConfig).
public struct CLIPVisionConfiguration: Codable, Sendable, Equatable {
    public var hiddenSize = 768
    public var intermediateSize = 3072
    public var projectionDim = 512
    public var numHiddenLayers = 12
    public var numAttentionHeads = 12
    public var numChannels = 3
    public var imageSize = 224
    public var patchSize = 32
    public var hiddenAct = Activation.quickGELU
    public var layerNormEps: Float = 1e-5

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size", projectionDim = "projection_dim"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numChannels = "num_channels", imageSize = "image_size", patchSize = "patch_size"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? intermediateSize
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim) ?? projectionDim
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? numAttentionHeads
        numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? numChannels
        imageSize = try c.decodeIntOrFirst(.imageSize) ?? imageSize
        patchSize = try c.decodeIntOrFirst(.patchSize) ?? patchSize
        hiddenAct = try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? hiddenAct
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? layerNormEps
    }

    public var transformer: TransformerShape {
        TransformerShape(hidden: hiddenSize, intermediate: intermediateSize, layers: numHiddenLayers,
                         heads: numAttentionHeads, activation: hiddenAct, layerNormEps: layerNormEps)
    }
}

/// A CLIP config.json (CLIPConfig): the two towers plus the shared projection.
public struct CLIPConfiguration: Codable, Sendable, Equatable {
    public var textConfig = CLIPTextConfiguration()
    public var visionConfig = CLIPVisionConfiguration()
    public var projectionDim = 512
    public var logitScaleInitValue: Float = 2.6592

    enum CodingKeys: String, CodingKey {
        case textConfig = "text_config", visionConfig = "vision_config"
        case projectionDim = "projection_dim", logitScaleInitValue = "logit_scale_init_value"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        textConfig = try c.decodeIfPresent(CLIPTextConfiguration.self, forKey: .textConfig) ?? textConfig
        visionConfig = try c.decodeIfPresent(CLIPVisionConfiguration.self, forKey: .visionConfig) ?? visionConfig
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim) ?? projectionDim
        logitScaleInitValue = try c.decodeIfPresent(Float.self, forKey: .logitScaleInitValue) ?? logitScaleInitValue
    }

    /// Reads `config.json` from a model folder (or the file itself).
    public static func load(_ url: URL) throws -> CLIPConfiguration {
        let (file, data) = try ModelConfigFile.read(url)
        try ModelRegistry.require([ModelRegistry.clip], configData: data, file: file)
        let config = try ModelConfigFile.decode(CLIPConfiguration.self, data, file: file, expected: "a CLIP")
        try config.validate(file: file.path)
        return config
    }
}
