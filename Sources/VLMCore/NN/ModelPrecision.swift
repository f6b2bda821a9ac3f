/// Which layers each model runs in reduced precision (see `Precision`, docs/precision.md).
/// The image towers' transformer Linears (q/k/v, out_proj, fc1, fc2) run in the chosen precision:
/// they carry nearly all of the image FLOPs; their attention products run in bf16 where
/// AVX512_BF16 exists (`ReducedAttention`). Text towers' Linears run in bf16 in both reduced modes
/// (`Precision.textTower`): published W8A8 CLIP results lose the most in the text tower, bf16 does
/// not (measured: docs/precision.md). Projections, detection/segmentation heads, layer norms,
/// softmax and the patch embedding stay fp32. X-CLIP's message layers follow the image tower, its
/// MIT and prompt generator the text tower.

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
    /// The frame encoder's blocks and their message layers (8 rows: reading their fp32 weights
    /// cost more than their arithmetic).
    public func setPrecision(_ p: Precision) {
        for layer in layers {
            layer.block.setPrecision(p)
            layer.messageFC.setPrecision(p)
            layer.messageAttention.setPrecision(p)
        }
    }
}

extension CLIPModel: PrecisionSelectable {
    public func setPrecision(_ p: Precision, includeText: Bool) {
        let text = includeText ? p : p.textTower
        visionModel.setPrecision(p)
        textModel.setPrecision(text)
    }
}

extension OwlViTForObjectDetection: PrecisionSelectable {
    public func setPrecision(_ p: Precision, includeText: Bool) {
        let text = includeText ? p : p.textTower
        visionModel.setPrecision(p)
        textModel.setPrecision(text)
    }
}

extension XCLIPModel: PrecisionSelectable {
    /// The multi-frame integration transformer and the prompt generator (8 and 2·50 rows) follow
    /// the text tower's precision.
    public func setPrecision(_ p: Precision, includeText: Bool) {
        let text = includeText ? p : p.textTower
        visionModel.setPrecision(p)
        textModel.setPrecision(text)
        mit.encoder.setPrecision(text)
        for layer in promptGenerator.layers {
            for linear in [layer.crossAttention.q, layer.crossAttention.k, layer.crossAttention.v, layer.crossAttention.proj,
                           layer.fc1, layer.fc2] { linear.setPrecision(text) }
        }
    }
}

extension CLIPSegModel: PrecisionSelectable {
    public func setPrecision(_ p: Precision, includeText: Bool) {
        let text = includeText ? p : p.textTower
        visionModel.setPrecision(p)
        textModel.setPrecision(text)
    }
}
