/// Linear and LayerNorm: the two parameterised layers every block is made of.

/// `y = x Wᵀ + b` with HF's (out, in) weight layout. The GEMM runs on a copy of the weight packed
/// for `PackedGEMM` at first use (see `PackedGEMM.shouldUse`), or with `VLMNODE_GEMM=blas` on the
/// weight as-is through sgemm (transposed operand, no copy).
public struct Linear: @unchecked Sendable {
    /// (out, in). For a `stacked` Linear of memory-mapped parts the values are discarded once a
    /// packed form exists and restored when a path needs them; read them through `forward`.
    public let weight: Tensor
    /// (out) or nil.
    public let bias: Tensor?
    private let packedSlot = PackedWeightSlot()

    /// Bytes of the packed weight copy (0 until a forward has used the packed path).
    public var packedBytes: Int { packedSlot.packedBytes }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2 && (bias == nil || bias!.count == weight.shape[0]),
                     "Linear: weight \(weight.shape), bias \(bias?.shape ?? [])")
        self.weight = weight
        self.bias = bias
    }

    /// Loads `weight` (and `bias`) from a loader scoped to the module (e.g. `…self_attn.out_proj`).
    public init(_ w: WeightLoader, in inFeatures: Int, out outFeatures: Int, bias: Bool = true) throws {
        self.init(weight: try w("weight", shape: [outFeatures, inFeatures]),
                  bias: bias ? try w("bias", shape: [outFeatures]) : nil)
    }

    /// `out = act(x Wᵀ + b)`, or with `accumulate` `out += x Wᵀ + b` (a residual add for free:
    /// the bias goes into `out` first and sgemm accumulates with beta = 1).
    /// `x` is (…, in) and `out` (…, out) with the same number of rows.
    public func forward(_ x: Tensor, into out: Tensor, activation: Activation = .identity, accumulate: Bool = false) {
        precondition(x.lastDim == inFeatures && out.lastDim == outFeatures && x.rowCount == out.rowCount,
                     "Linear(\(inFeatures) -> \(outFeatures)): input \(x.shape), output \(out.shape)")
        precondition(!accumulate || activation == .identity, "Linear: cannot accumulate through an activation")
        if packedSlot.precision != .fp32, forwardReduced(x, into: out, activation: activation, accumulate: accumulate) { return }
        if PackedGEMM.shouldUse(m: x.rowCount) {
            // Bias (and quick_gelu) fused into the kernel's store (into the residual too, with accumulate).
            let packed = packedSlot.get(weight)
            let fused = PackedGEMM.fuses(activation) ? activation : .identity
            Profiler.measure(.gemm) {
                PackedGEMM.gemm(m: x.rowCount, x: x.pointer, ldx: inFeatures, weight: packed,
                                bias: bias.map { UnsafePointer($0.pointer) }, accumulate: accumulate,
                                activation: fused, c: out.pointer, ldc: outFeatures)
            }
            if activation != fused { Profiler.measure(.activation) { Ops.activate(out, activation) } }
            return
        }
        packedSlot.ensureValues(weight)
        if accumulate, let bias { Profiler.measure(.elementwise) { Ops.addRow(out, bias) } }
        Profiler.measure(.gemm) {
            BLAS.sgemm(transB: true, m: x.rowCount, n: outFeatures, k: inFeatures, a: x.pointer, lda: inFeatures,
                       b: weight.pointer, ldb: inFeatures, beta: accumulate ? 1 : 0, c: out.pointer, ldc: outFeatures)
        }
        if !accumulate {
            if let bias {
                Profiler.measure(activation == .identity ? .elementwise : .activation) {
                    Ops.addBiasActivate(out, bias: bias, activation)
                }
            } else if activation != .identity {
                Profiler.measure(.activation) { Ops.activate(out, activation) }
            }
        }
    }

    /// Whether int8 weights may be smoothed (SmoothQuant factors calibrated on the first input each
    /// layer multiplies in int8, applied where that input has outlier channels; see
    /// `Int8PackedWeight.smoothingFactors`); default on, `VLMNODE_INT8_SMOOTH=0` turns it off.
    /// Affects weights packed after the change.
    public static var int8Smoothing: Bool {
        get { PackedWeightSlot.smoothing }
        set { PackedWeightSlot.smoothing = newValue }
    }

    /// The precision this layer runs in (`fp32` unless switched; see `Precision`).
    public var precision: Precision { packedSlot.precision }

    /// Switches this layer (and every copy of it) to `precision` from its next forward.
    public func setPrecision(_ precision: Precision) { packedSlot.precision = precision }

    /// The int8 or bf16 forward; false when bf16 has no kernel here (the caller then runs fp32).
    private func forwardReduced(_ x: Tensor, into out: Tensor, activation: Activation, accumulate: Bool) -> Bool {
        let fused = PackedGEMM.fuses(activation) ? activation : .identity
        let b = bias.map { UnsafePointer($0.pointer) }
        switch packedSlot.precision {
        case .fp32: return false
        case .bf16:
            guard QuantizedGEMM.bf16Runs else { return false }
            let w = packedSlot.bf16Weight(weight)
            Profiler.measure(.gemm) {
                QuantizedGEMM.bf16(m: x.rowCount, x: x.pointer, ldx: inFeatures, weight: w, bias: b,
                                   accumulate: accumulate, activation: fused, c: out.pointer, ldc: outFeatures)
            }
        case .int8:
            let w = packedSlot.int8Weight(weight, calibration: x.pointer, rows: x.rowCount, ldx: inFeatures)
            Profiler.measure(.gemm) {
                QuantizedGEMM.int8(m: x.rowCount, x: x.pointer, ldx: inFeatures, weight: w, bias: b,
                                   accumulate: accumulate, activation: fused, c: out.pointer, ldc: outFeatures)
            }
        }
        if activation != fused { Profiler.measure(.activation) { Ops.activate(out, activation) } }
        return true
    }

    /// Allocating form: returns `act(x Wᵀ + b)` with shape (…, out).
    public func callAsFunction(_ x: Tensor, activation: Activation = .identity) -> Tensor {
        let out = Tensor(zeros: Array(x.shape.dropLast()) + [outFeatures])
        forward(x, into: out, activation: activation)
        return out
    }

    /// Several Linears with the same input fused into one (weights stacked along `out`, copied once
    /// at load): one GEMM instead of several, e.g. q, k and v projections.
    public static func stacked(_ parts: [Linear]) -> Linear {
        precondition(!parts.isEmpty && parts.allSatisfy { $0.inFeatures == parts[0].inFeatures && ($0.bias == nil) == (parts[0].bias == nil) },
                     "Linear.stacked: parts differ in input size or bias")
        let inF = parts[0].inFeatures, outF = parts.reduce(0) { $0 + $1.outFeatures }
        let w = Tensor(zeros: [outF, inF])
        let b: Tensor? = parts[0].bias == nil ? nil : Tensor(zeros: [outF])
        var row = 0
        for p in parts {
            (w.pointer + row * inF).update(from: p.weight.pointer, count: p.weight.count)
            if let b, let pb = p.bias { (b.pointer + row).update(from: pb.pointer, count: pb.count) }
            row += p.outFeatures
        }
        // The parts' memory-mapped pages are never read again (only the stacked copy is).
        for p in parts where p.weight.isBorrowed { PackedWeightSlot.pageOut(p.weight) }
        let stacked = Linear(weight: w, bias: b)
        // Once packed, the stacked copy itself can go: it is rebuilt from memory-mapped parts if needed.
        if parts.allSatisfy({ $0.weight.isBorrowed }) { stacked.packedSlot.stackedParts = parts.map(\.weight) }
        return stacked
    }
}

/// Layer normalisation over the last dimension with learned weight and bias.
public struct LayerNorm: @unchecked Sendable {
    public let weight: Tensor
    public let bias: Tensor
    public let eps: Float

    public init(weight: Tensor, bias: Tensor, eps: Float) {
        precondition(weight.shape == bias.shape, "LayerNorm: weight \(weight.shape), bias \(bias.shape)")
        self.weight = weight
        self.bias = bias
        self.eps = eps
    }

    /// Loads `weight` and `bias` of size `dim` from a loader scoped to the module.
    public init(_ w: WeightLoader, dim: Int, eps: Float) throws {
        self.init(weight: try w("weight", shape: [dim]), bias: try w("bias", shape: [dim]), eps: eps)
    }

    /// Normalises `x` into `out` (which may be `x`).
    public func forward(_ x: Tensor, into out: Tensor) {
        Profiler.measure(.layerNorm) { Ops.layerNorm(x, weight: weight, bias: bias, eps: eps, into: out) }
    }

    /// Allocating form.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let out = Tensor(zeros: x.shape)
        forward(x, into: out)
        return out
    }
}
