import Foundation

// Port of transformers 5.24 models/clipseg/configuration_clipseg.py (CLIPSegConfig).
// The towers' configs have the same keys and defaults as CLIP's (CLIPSegTextConfig,
// CLIPSegVisionConfig), so CLIPTextConfiguration / CLIPVisionConfiguration are reused.

/// A CLIPSeg config.json: two CLIP towers plus the decoder's settings, with transformers' defaults.
public struct CLIPSegConfiguration: Codable, Sendable, Equatable {
    public var textConfig = CLIPTextConfiguration()
    public var visionConfig = CLIPVisionConfiguration()
    public var projectionDim = 512
    public var logitScaleInitValue: Float = 2.6592
    /// Vision layers whose outputs feed the decoder (`hidden_states[i + 1]`).
    public var extractLayers = [3, 6, 9]
    /// Width of the decoder.
    public var reduceDim = 64
    public var decoderNumAttentionHeads = 4
    public var decoderIntermediateSize = 2048
    /// Stored for completeness: transformers overrides it with "relu" in the decoder layers.
    public var decoderHiddenAct = Activation.quickGELU
    /// The decoder step at which FiLM conditioning is applied.
    public var conditionalLayer = 0
    /// rd64-refined: conv3x3 -> ReLU -> ConvT -> ReLU -> ConvT; otherwise one ConvT of patch size.
    public var useComplexTransposedConvolution = false
    /// `model_type` as written in the file ("clipseg"); `load` checks it against `ModelRegistry` first,
    /// so another model's folder fails with its name rather than with a missing tensor.
    public var modelType = "clipseg"

    enum CodingKeys: String, CodingKey {
        case textConfig = "text_config", visionConfig = "vision_config"
        case projectionDim = "projection_dim", logitScaleInitValue = "logit_scale_init_value"
        case extractLayers = "extract_layers", reduceDim = "reduce_dim"
        case decoderNumAttentionHeads = "decoder_num_attention_heads"
        case decoderIntermediateSize = "decoder_intermediate_size", decoderHiddenAct = "decoder_hidden_act"
        case conditionalLayer = "conditional_layer"
        case useComplexTransposedConvolution = "use_complex_transposed_convolution"
        case modelType = "model_type"
    }

    public init() {}

    /// The published CIDAS/clipseg-rd64-refined architecture (ViT-B/16 trained at 224 px, rd64,
    /// refined head): used by the benchmark when no checkpoint is at hand.
    public static var rd64Refined: CLIPSegConfiguration {
        var c = CLIPSegConfiguration()
        c.visionConfig.patchSize = 16
        c.decoderIntermediateSize = 2048
        c.decoderNumAttentionHeads = 4
        c.useComplexTransposedConvolution = true
        return c
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        textConfig = try c.decodeIfPresent(CLIPTextConfiguration.self, forKey: .textConfig) ?? textConfig
        visionConfig = try c.decodeIfPresent(CLIPVisionConfiguration.self, forKey: .visionConfig) ?? visionConfig
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim) ?? projectionDim
        logitScaleInitValue = try c.decodeIfPresent(Float.self, forKey: .logitScaleInitValue) ?? logitScaleInitValue
        extractLayers = try c.decodeIfPresent([Int].self, forKey: .extractLayers) ?? extractLayers
        reduceDim = try c.decodeIfPresent(Int.self, forKey: .reduceDim) ?? reduceDim
        decoderNumAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .decoderNumAttentionHeads) ?? decoderNumAttentionHeads
        decoderIntermediateSize = try c.decodeIfPresent(Int.self, forKey: .decoderIntermediateSize) ?? decoderIntermediateSize
        decoderHiddenAct = try c.decodeIfPresent(Activation.self, forKey: .decoderHiddenAct) ?? decoderHiddenAct
        conditionalLayer = try c.decodeIfPresent(Int.self, forKey: .conditionalLayer) ?? conditionalLayer
        useComplexTransposedConvolution = try c.decodeIfPresent(Bool.self, forKey: .useComplexTransposedConvolution)
            ?? useComplexTransposedConvolution
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? modelType
    }

    /// The decoder's transformer sizes: vision config with the decoder's width, heads and ReLU.
    public var decoderShape: TransformerShape {
        TransformerShape(hidden: reduceDim, intermediate: decoderIntermediateSize, layers: extractLayers.count,
                         heads: decoderNumAttentionHeads, activation: .relu, layerNormEps: visionConfig.layerNormEps)
    }

    /// Checks what the decoder relies on; one line naming the bad field.
    public func validate() throws {
        let layers = visionConfig.numHiddenLayers
        if extractLayers.isEmpty { throw InputError("CLIPSeg config: extract_layers is empty") }
        if let bad = extractLayers.first(where: { $0 < 0 || $0 >= layers }) {
            throw InputError("CLIPSeg config: extract_layers holds \(bad), outside the \(layers) vision layers")
        }
        if reduceDim % decoderNumAttentionHeads != 0 {
            throw InputError("CLIPSeg config: reduce_dim \(reduceDim) is not divisible by decoder_num_attention_heads \(decoderNumAttentionHeads)")
        }
        if conditionalLayer < 0 || conditionalLayer >= extractLayers.count {
            throw InputError("CLIPSeg config: conditional_layer \(conditionalLayer) outside the \(extractLayers.count) decoder layers")
        }
        if useComplexTransposedConvolution && (visionConfig.patchSize < 4 || reduceDim < 2) {
            throw InputError("CLIPSeg config: the refined head needs patch_size >= 4 and reduce_dim >= 2")
        }
    }

    /// Reads `config.json` from a model folder (or the file itself).
    public static func load(_ url: URL) throws -> CLIPSegConfiguration {
        let (file, data) = try ModelConfigFile.read(url)
        try ModelRegistry.require([ModelRegistry.clipseg], configData: data, file: file)
        let config = try ModelConfigFile.decode(CLIPSegConfiguration.self, data, file: file, expected: "a CLIPSeg")
        try config.validate(file: file.path)
        return config
    }
}
