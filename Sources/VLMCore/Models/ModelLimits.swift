import Foundation

/// Ceilings on what a downloaded config.json or processor config may ask for. A config comes
/// from the hub like the weights do: its numbers size allocations and loops before any tensor
/// is read, so each is checked here once, at load, instead of trusting it deep in a kernel.
///
/// Defaults sit far above every published CLIP-family checkpoint (ViT-bigG: 48 layers, width
/// 1664, 8192 MLP; OWLv2: 960 px). Raise one with the environment, e.g.
/// `VLMNODE_MODEL_LIMITS="layers=512,image_size=16384"` (keys: the property names below in
/// snake case).
public struct ModelLimits: Sendable, Equatable {
    /// `num_hidden_layers` (and MIT / prompt / decoder layer counts) of one stack.
    public var layers = 256
    /// `hidden_size`, `projection_dim`, `reduce_dim`.
    public var width = 16_384
    /// `intermediate_size` (MLP width).
    public var intermediate = 65_536
    /// `num_attention_heads`.
    public var heads = 1_024
    /// `vocab_size`.
    public var vocab = 1_048_576
    /// `max_position_embeddings` (text tokens).
    public var positions = 65_536
    /// `image_size` of a vision tower and any processor `size` / `crop_size` side, in pixels.
    public var imageSize = 8_192
    /// `num_frames` of an X-CLIP video tower.
    public var frames = 1_024

    public init() {}

    /// The defaults, overridden by `VLMNODE_MODEL_LIMITS` when set.
    public static let current: ModelLimits = {
        var limits = ModelLimits()
        if let spec = ProcessInfo.processInfo.environment["VLMNODE_MODEL_LIMITS"] {
            for item in spec.split(separator: ",") {
                let kv = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard kv.count == 2, let value = Int(kv[1]), value > 0 else { continue }
                switch kv[0] {
                case "layers": limits.layers = value
                case "width": limits.width = value
                case "intermediate": limits.intermediate = value
                case "heads": limits.heads = value
                case "vocab": limits.vocab = value
                case "positions": limits.positions = value
                case "image_size": limits.imageSize = value
                case "frames": limits.frames = value
                default: continue
                }
            }
        }
        return limits
    }()
}

/// Checks of config values, one line each naming the file, the key and the value.
public struct ConfigChecker {
    public let file: String
    public let limits: ModelLimits

    public init(file: String, limits: ModelLimits = .current) {
        self.file = file
        self.limits = limits
    }

    func fail(_ key: String, _ value: Any, _ why: String) -> InputError {
        InputError("\(file): \(key) = \(value) \(why)")
    }

    /// 1 ... `limit` (or 0 ... `limit` when `allowZero`).
    public func count(_ key: String, _ value: Int, limit: Int, allowZero: Bool = false) throws {
        if value < (allowZero ? 0 : 1) { throw fail(key, value, allowZero ? "must not be negative" : "must be positive") }
        if value > limit {
            throw fail(key, value, "exceeds the limit of \(limit) (raise it with VLMNODE_MODEL_LIMITS if the model is real)")
        }
    }

    /// A finite number > 0 (layer_norm_eps).
    public func positiveFinite(_ key: String, _ value: Float) throws {
        guard value.isFinite, value > 0 else { throw fail(key, value, "must be a finite number greater than 0") }
    }

    /// A finite number (logit_scale_init_value, prompt_alpha, means).
    public func finite(_ key: String, _ value: Float) throws {
        guard value.isFinite else { throw fail(key, value, "must be a finite number") }
    }

    /// One transformer stack: sizes positive and bounded, heads dividing the width (transformers'
    /// CLIPAttention refuses `embed_dim` not divisible by `num_heads`), eps positive and finite.
    public func transformer(_ prefix: String, _ s: TransformerShape, hiddenKey: String = "hidden_size",
                            intermediateKey: String = "intermediate_size", layersKey: String = "num_hidden_layers",
                            headsKey: String = "num_attention_heads", allowZeroLayers: Bool = false) throws {
        try count(prefix + hiddenKey, s.hidden, limit: limits.width)
        try count(prefix + intermediateKey, s.intermediate, limit: limits.intermediate)
        try count(prefix + layersKey, s.layers, limit: limits.layers, allowZero: allowZeroLayers)
        try count(prefix + headsKey, s.heads, limit: limits.heads)
        if s.hidden % s.heads != 0 {
            throw fail(prefix + headsKey, s.heads, "does not divide \(prefix + hiddenKey) = \(s.hidden) (embed_dim must be divisible by num_heads)")
        }
        try positiveFinite(prefix + "layer_norm_eps", s.layerNormEps)
    }

    /// The image a vision tower takes: patches tile it exactly (transformers' position embedding
    /// has (image_size / patch_size)^2 + 1 rows; a rest would be silently cropped).
    public func vision(_ prefix: String, imageSize: Int, patchSize: Int, channels: Int) throws {
        try count(prefix + "image_size", imageSize, limit: limits.imageSize)
        try count(prefix + "patch_size", patchSize, limit: imageSize)
        try count(prefix + "num_channels", channels, limit: 16)
        if imageSize % patchSize != 0 {
            throw fail(prefix + "patch_size", patchSize, "does not divide \(prefix)image_size = \(imageSize)")
        }
    }
}

extension CLIPTextConfiguration {
    /// Checks every size against transformers' rules and `ModelLimits` (keys under `text_config.`).
    public func validate(_ c: ConfigChecker, prefix: String = "text_config.") throws {
        try c.transformer(prefix, transformer)
        try c.count(prefix + "vocab_size", vocabSize, limit: c.limits.vocab)
        try c.count(prefix + "max_position_embeddings", maxPositionEmbeddings, limit: c.limits.positions)
        try c.count(prefix + "projection_dim", projectionDim, limit: c.limits.width)
    }
}

extension CLIPVisionConfiguration {
    /// Checks every size against transformers' rules and `ModelLimits` (keys under `vision_config.`).
    public func validate(_ c: ConfigChecker, prefix: String = "vision_config.") throws {
        try c.transformer(prefix, transformer)
        try c.vision(prefix, imageSize: imageSize, patchSize: patchSize, channels: numChannels)
        try c.count(prefix + "projection_dim", projectionDim, limit: c.limits.width)
    }
}

extension CLIPConfiguration {
    /// Both towers and the shared projection.
    public func validate(file: String) throws {
        let c = ConfigChecker(file: file)
        try textConfig.validate(c)
        try visionConfig.validate(c)
        try c.count("projection_dim", projectionDim, limit: c.limits.width)
        try c.finite("logit_scale_init_value", logitScaleInitValue)
    }
}

extension OwlViTConfiguration {
    /// Both towers and the shared projection.
    public func validate(file: String) throws {
        let c = ConfigChecker(file: file)
        try textConfig.validate(c)
        try visionConfig.validate(c)
        try c.count("projection_dim", projectionDim, limit: c.limits.width)
        try c.finite("logit_scale_init_value", logitScaleInitValue)
    }
}

extension XCLIPConfiguration {
    /// Both towers, the multi-frame transformer and the prompt generator.
    public func validate(file: String) throws {
        let c = ConfigChecker(file: file)
        try textConfig.validate(c)
        let v = visionConfig, p = "vision_config."
        try c.transformer(p, v.transformer)
        try c.transformer(p, v.mitTransformer, hiddenKey: "mit_hidden_size", intermediateKey: "mit_intermediate_size",
                          layersKey: "mit_num_hidden_layers", headsKey: "mit_num_attention_heads", allowZeroLayers: true)
        try c.vision(p, imageSize: v.imageSize, patchSize: v.patchSize, channels: v.numChannels)
        try c.count(p + "num_frames", v.numFrames, limit: c.limits.frames)
        try c.count("projection_dim", projectionDim, limit: c.limits.width)
        try c.count("prompt_layers", promptLayers, limit: c.limits.layers, allowZero: true)
        try c.count("prompt_num_attention_heads", promptNumAttentionHeads, limit: c.limits.heads)
        if projectionDim % promptNumAttentionHeads != 0 {
            throw c.fail("prompt_num_attention_heads", promptNumAttentionHeads, "does not divide projection_dim = \(projectionDim) (embed_dim must be divisible by num_heads)")
        }
        try c.finite("prompt_alpha", promptAlpha)
        try c.finite("logit_scale_init_value", logitScaleInitValue)
    }
}

extension CLIPSegConfiguration {
    /// Both towers and the decoder's sizes (the decoder's own rules are in `validate()`).
    public func validate(file: String) throws {
        let c = ConfigChecker(file: file)
        try textConfig.validate(c)
        try visionConfig.validate(c)
        try c.count("projection_dim", projectionDim, limit: c.limits.width)
        try c.count("reduce_dim", reduceDim, limit: c.limits.width)
        try c.count("decoder_num_attention_heads", decoderNumAttentionHeads, limit: c.limits.heads)
        try c.count("decoder_intermediate_size", decoderIntermediateSize, limit: c.limits.intermediate)
        try c.count("extract_layers (count)", extractLayers.count, limit: c.limits.layers)
        try c.finite("logit_scale_init_value", logitScaleInitValue)
        do { try validate() } catch let error as InputError { throw InputError("\(file): \(error.description)") }
    }
}
