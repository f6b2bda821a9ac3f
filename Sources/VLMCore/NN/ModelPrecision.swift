/// Which layers each model runs in reduced precision (see `Precision`, docs/precision.md).
/// The image towers' transformer Linears (q/k/v, out_proj, fc1, fc2) run in the chosen precision:
/// they carry nearly all of the image FLOPs; their attention products run in bf16 where
/// AVX512_BF16 exists (`ReducedAttention`). Text towers' Linears run in bf16 in both reduced modes
/// (`Precision.textTower`): published W8A8 CLIP results lose the most in the text tower, bf16 does
/// not (measured: docs/precision.md). Projections, detection/segmentation heads, layer norms,
/// softmax, the patch embedding and X-CLIP's per-video message/MIT/prompt layers stay fp32.

extension SelfAttention {
    func setPrecision(_ p: Precision) {
        qkv.setPrecision(p)
        out.setPrecision(p)
    }
}

extension MLP {
    func setPrecision(_ p: Precision) {
        fc1.setPrecision(p)
        fc2.setPrecision(p)
    }
}

extension EncoderLayer {
    func setPrecision(_ p: Precision) {
        attention.setPrecision(p)
        mlp.setPrecision(p)
    }
}

extension Encoder {
    /// Switches every layer's Linears.
    public func setPrecision(_ p: Precision) { layers.forEach { $0.setPrecision(p) } }
}

extension VisionTransformer {
    public func setPrecision(_ p: Precision) { encoder.setPrecision(p) }
}

extension TextTransformer {
    public func setPrecision(_ p: Precision) { encoder.setPrecision(p) }
}

extension XCLIPVisionTransformer {
    /// The frame encoder's blocks; the 8-row message layers stay fp32.
    public func setPrecision(_ p: Precision) { layers.forEach { $0.block.setPrecision(p) } }
}

extension CLIPModel: PrecisionSelectable {
    public func setPrecision(_ p: Precision, text: Precision) {
        visionModel.setPrecision(p)
        textModel.setPrecision(text)
    }
}

extension OwlViTForObjectDetection: PrecisionSelectable {
    public func setPrecision(_ p: Precision, text: Precision) {
        visionModel.setPrecision(p)
        textModel.setPrecision(text)
    }
}

extension XCLIPModel: PrecisionSelectable {
    public func setPrecision(_ p: Precision, text: Precision) {
        visionModel.setPrecision(p)
        textModel.setPrecision(text)
    }
}

extension CLIPSegModel: PrecisionSelectable {
    public func setPrecision(_ p: Precision, text: Precision) {
        visionModel.setPrecision(p)
        textModel.setPrecision(text)
    }
}
