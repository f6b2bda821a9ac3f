import Foundation

// Port of transformers 5.24 models/x_clip/configuration_x_clip.py: XCLIPTextConfig,
// XCLIPVisionConfig and XCLIPConfig with their defaults (microsoft/xclip-base-patch32).

/// `text_config` of an X-CLIP config.json (XCLIPTextConfig). Same fields as CLIP's text config;
/// only the special-token defaults differ (`XCLIPConfiguration.defaultText`). X-CLIP's text model
/// always pools at argmax(input_ids) (transformers forces eos_token_id = 2), so they are informational.
public typealias XCLIPTextConfiguration = CLIPTextConfiguration

/// The special-token ids a text config states, to tell them from CLIP's defaults.
private struct StatedTokenIDs: Decodable {
    var bos: Int?, eos: Int?
    enum CodingKeys: String, CodingKey { case bos = "bos_token_id", eos = "eos_token_id" }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bos = try c.decodeIntOrFirst(.bos)
        eos = try c.decodeIntOrFirst(.eos)
    }
}

/// `vision_config` of an X-CLIP config.json (XCLIPVisionConfig): a CLIP vision tower plus the
/// frame count and the multi-frame integration transformer (MIT) sizes.
public struct XCLIPVisionConfiguration: Codable, Sendable, Equatable {
    public var hiddenSize = 768
    public var intermediateSize = 3072
    public var numHiddenLayers = 12
    public var numAttentionHeads = 12
    public var mitHiddenSize = 512
    public var mitIntermediateSize = 2048
    public var mitNumHiddenLayers = 1
    public var mitNumAttentionHeads = 8
    public var numChannels = 3
    public var imageSize = 224
    public var patchSize = 32
    public var numFrames = 8
    public var hiddenAct = Activation.quickGELU
    public var layerNormEps: Float = 1e-5

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case mitHiddenSize = "mit_hidden_size", mitIntermediateSize = "mit_intermediate_size"
        case mitNumHiddenLayers = "mit_num_hidden_layers", mitNumAttentionHeads = "mit_num_attention_heads"
        case numChannels = "num_channels", imageSize = "image_size", patchSize = "patch_size"
        case numFrames = "num_frames", hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? numAttentionHeads
        mitHiddenSize = try c.decodeIfPresent(Int.self, forKey: .mitHiddenSize) ?? mitHiddenSize
        mitIntermediateSize = try c.decodeIfPresent(Int.self, forKey: .mitIntermediateSize) ?? mitIntermediateSize
        mitNumHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .mitNumHiddenLayers) ?? mitNumHiddenLayers
        mitNumAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .mitNumAttentionHeads) ?? mitNumAttentionHeads
        numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? numChannels
        imageSize = try c.decodeIntOrFirst(.imageSize) ?? imageSize
        patchSize = try c.decodeIntOrFirst(.patchSize) ?? patchSize
        numFrames = try c.decodeIfPresent(Int.self, forKey: .numFrames) ?? numFrames
        hiddenAct = try c.decodeIfPresent(Activation.self, forKey: .hiddenAct) ?? hiddenAct
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? layerNormEps
    }

    /// The frame encoder's blocks.
    public var transformer: TransformerShape {
        TransformerShape(hidden: hiddenSize, intermediate: intermediateSize, layers: numHiddenLayers,
                         heads: numAttentionHeads, activation: hiddenAct, layerNormEps: layerNormEps)
    }

    /// The MIT's blocks (transformers copies the vision config and swaps in the mit_* sizes).
    public var mitTransformer: TransformerShape {
        TransformerShape(hidden: mitHiddenSize, intermediate: mitIntermediateSize, layers: mitNumHiddenLayers,
                         heads: mitNumAttentionHeads, activation: hiddenAct, layerNormEps: layerNormEps)
    }
}

/// An X-CLIP config.json (XCLIPConfig).
public struct XCLIPConfiguration: Codable, Sendable, Equatable {
    /// XCLIPTextConfig's defaults: CLIP's sizes with bos_token_id 0 and eos_token_id 2.
    public static let defaultText: XCLIPTextConfiguration = {
        var t = XCLIPTextConfiguration()
        t.bosTokenId = 0
        t.eosTokenId = 2
        return t
    }()

    public var textConfig = XCLIPConfiguration.defaultText
    public var visionConfig = XCLIPVisionConfiguration()
    public var projectionDim = 512
    public var promptLayers = 2
    public var promptAlpha: Float = 0.1
    public var promptHiddenAct = Activation.quickGELU
    public var promptNumAttentionHeads = 8
    public var logitScaleInitValue: Float = 2.6592

    enum CodingKeys: String, CodingKey {
        case textConfig = "text_config", visionConfig = "vision_config"
        // Hub configs written by transformers 4.2x carry the towers under *_config_dict as well.
        case textConfigDict = "text_config_dict", visionConfigDict = "vision_config_dict"
        case projectionDim = "projection_dim", promptLayers = "prompt_layers", promptAlpha = "prompt_alpha"
        case promptHiddenAct = "prompt_hidden_act", promptNumAttentionHeads = "prompt_num_attention_heads"
        case logitScaleInitValue = "logit_scale_init_value"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // transformers lets *_config_dict win over *_config (with a warning when they differ).
        let textKey: CodingKeys = c.contains(.textConfigDict) ? .textConfigDict : .textConfig
        if var text = try c.decodeIfPresent(XCLIPTextConfiguration.self, forKey: textKey) {
            let stated = try c.decode(StatedTokenIDs.self, forKey: textKey)
            text.bosTokenId = stated.bos ?? Self.defaultText.bosTokenId
            text.eosTokenId = stated.eos ?? Self.defaultText.eosTokenId
            textConfig = text
        }
        visionConfig = try c.decodeIfPresent(XCLIPVisionConfiguration.self, forKey: .visionConfigDict)
            ?? c.decodeIfPresent(XCLIPVisionConfiguration.self, forKey: .visionConfig) ?? visionConfig
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim) ?? projectionDim
        promptLayers = try c.decodeIfPresent(Int.self, forKey: .promptLayers) ?? promptLayers
        promptAlpha = try c.decodeIfPresent(Float.self, forKey: .promptAlpha) ?? promptAlpha
        promptHiddenAct = try c.decodeIfPresent(Activation.self, forKey: .promptHiddenAct) ?? promptHiddenAct
        promptNumAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .promptNumAttentionHeads) ?? promptNumAttentionHeads
        logitScaleInitValue = try c.decodeIfPresent(Float.self, forKey: .logitScaleInitValue) ?? logitScaleInitValue
    }

    public func encode(to encoder: Swift.Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(textConfig, forKey: .textConfig)
        try c.encode(visionConfig, forKey: .visionConfig)
        try c.encode(projectionDim, forKey: .projectionDim)
        try c.encode(promptLayers, forKey: .promptLayers)
        try c.encode(promptAlpha, forKey: .promptAlpha)
        try c.encode(promptHiddenAct, forKey: .promptHiddenAct)
        try c.encode(promptNumAttentionHeads, forKey: .promptNumAttentionHeads)
        try c.encode(logitScaleInitValue, forKey: .logitScaleInitValue)
    }

    /// Reads `config.json` from a model folder (or the file itself).
    public static func load(_ url: URL) throws -> XCLIPConfiguration {
        let (file, data) = try ModelConfigFile.read(url)
        try ModelRegistry.require([ModelRegistry.xclip], configData: data, file: file)
        let config = try ModelConfigFile.decode(XCLIPConfiguration.self, data, file: file, expected: "an X-CLIP")
        try config.validate(file: file.path)
        return config
    }
}
