import CVLMKernels

/// Arithmetic of a model's reduced-precision parts (`--precision`, the `precision` node param).
/// fp32 is the default and the only mode with exact parity; see docs/precision.md for what each
/// mode changes and the deviations measured.
public enum Precision: String, CaseIterable, Sendable {
    /// Every layer in fp32 (parity with transformers).
    case fp32
    /// Image-tower Linear layers on bf16 weights and activations, fp32 accumulation
    /// (AVX512_BF16 `vdpbf16ps`; fp32 on CPUs without it).
    case bf16
    /// Image-tower Linear layers W8A8: int8 weights per output channel, activations quantized per
    /// row at run time, int32 accumulation.
    case int8

    /// The kernel this precision runs on here, e.g. `int8 (vnni512)`, for bench and log lines.
    public var kernelDescription: String {
        switch self {
        case .fp32: return "fp32 (\(PackedGEMM.hasSIMDKernel ? "avx2+fma" : "portable"))"
        case .bf16: return QuantizedGEMM.bf16Runs ? "bf16 (\(String(cString: vlm_q_path_name(vlm_bf16_path()))))"
                                                  : "bf16 requested: no AVX512_BF16 here, runs fp32"
        case .int8: return "int8 (\(String(cString: vlm_q_path_name(vlm_q8_path()))))"
        }
    }

    /// What the text towers run in when the image tower runs in `self`: bf16 in both reduced modes
    /// (int8 text towers moved CLIP's probabilities 4x more than int8 image towers did; bf16 moves
    /// them little and halves their GEMM time), fp32 in fp32. Without AVX512_BF16, bf16 Linears run fp32.
    public var textTower: Precision { self == .fp32 ? .fp32 : .bf16 }

    /// Parses a `--precision` / param value; the error names the accepted values.
    public static func parse(_ text: String) throws -> Precision {
        guard let p = Precision(rawValue: text.lowercased()) else {
            throw InputError("precision '\(text)' is not one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return p
    }
}

/// Models whose image tower can run in reduced precision. Which parts change is each model's
/// choice (documented in docs/precision.md): projections, heads, layer norms, softmax and the
/// patch embedding stay fp32; text towers run in `Precision.textTower`.
public protocol PrecisionSelectable: AnyObject {
    /// Switches the reduced-precision parts; takes effect from the next forward (weights are packed
    /// for the new precision on first use). The text tower runs in `precision.textTower`, or with
    /// `includeText` in `precision` itself (measurement only).
    func setPrecision(_ precision: Precision, includeText: Bool)
}

public extension PrecisionSelectable {
    func setPrecision(_ precision: Precision) { setPrecision(precision, includeText: false) }
}
