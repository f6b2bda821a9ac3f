import Foundation

// Port of transformers 5.24 models/owlvit/configuration_owlvit.py (OwlViTConfig and its two
// sub-configs). The towers have CLIP's fields, so CLIP's configuration types are reused with
// OWL-ViT's own defaults where they differ (16 text positions, pad id 0, 768 px images).

/// An OWL-ViT config.json (OwlViTConfig), with transformers' defaults (google/owlvit-base-patch32).
public struct OwlViTConfiguration: Codable, Sendable, Equatable {
    /// `text_config` (OwlViTTextConfig): CLIP's text fields; defaults 16 positions, pad_token_id 0.
    public var textConfig = OwlViTConfiguration.defaultTextConfig
    /// `vision_config` (OwlViTVisionConfig): CLIP's vision fields; default image_size 768.
    public var visionConfig = OwlViTConfiguration.defaultVisionConfig
    public var projectionDim = 512
    public var logitScaleInitValue: Float = 2.6592
    /// `model_type` as written in the file ("owlvit").
    public var modelType = "owlvit"
    /// `architectures` as written in the file.
    public var architectures: [String] = ["OwlViTForObjectDetection"]

    enum CodingKeys: String, CodingKey {
        case textConfig = "text_config", visionConfig = "vision_config", projectionDim = "projection_dim"
        case logitScaleInitValue = "logit_scale_init_value", modelType = "model_type", architectures
    }

    public static var defaultTextConfig: CLIPTextConfiguration {
        var t = CLIPTextConfiguration()
        t.maxPositionEmbeddings = 16
        t.padTokenId = 0
        return t
    }

    public static var defaultVisionConfig: CLIPVisionConfiguration {
        var v = CLIPVisionConfiguration()
        v.imageSize = 768
        return v
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if c.contains(.textConfig) {
            textConfig = try c.decode(CLIPTextConfiguration.self, forKey: .textConfig)
            // Keys the file leaves out take OWL-ViT's defaults, not CLIP's.
            let keys = try c.nestedContainer(keyedBy: CLIPTextConfiguration.CodingKeys.self, forKey: .textConfig)
            if !keys.contains(.maxPositionEmbeddings) { textConfig.maxPositionEmbeddings = 16 }
            if !keys.contains(.padTokenId) { textConfig.padTokenId = 0 }
        }
        if c.contains(.visionConfig) {
            visionConfig = try c.decode(CLIPVisionConfiguration.self, forKey: .visionConfig)
            let keys = try c.nestedContainer(keyedBy: CLIPVisionConfiguration.CodingKeys.self, forKey: .visionConfig)
            if !keys.contains(.imageSize) { visionConfig.imageSize = 768 }
        }
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim) ?? projectionDim
        logitScaleInitValue = try c.decodeIfPresent(Float.self, forKey: .logitScaleInitValue) ?? logitScaleInitValue
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? modelType
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures) ?? architectures
    }

    /// Patches per side of the feature grid (24 for B/32 at 768 px).
    public var gridSize: Int { visionConfig.imageSize / visionConfig.patchSize }

    /// Reads `config.json` from a model folder (or the file itself). A config of another model
    /// (CLIP, OWLv2, …) is refused with an error naming the architecture it describes.
    public static func load(_ url: URL) throws -> OwlViTConfiguration {
        let (file, data) = try ModelConfigFile.read(url)
        try ModelRegistry.require([ModelRegistry.owlvit], configData: data, file: file)
        let config: OwlViTConfiguration
        do { config = try JSONDecoder().decode(OwlViTConfiguration.self, from: data) } catch {
            throw InputError("\(file.path) is not a valid OWL-ViT config: \(error)")
        }
        try config.validate(file: file.path)
        return config
    }
}
