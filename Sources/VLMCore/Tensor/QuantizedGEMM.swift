import CVLMKernels
import Foundation

/// Owned 64-byte-aligned bytes (packed reduced-precision weights and their per-column arrays).
final class AlignedBytes: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let count: Int

    init(count: Int) {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(count, 64)) == 0, let raw else {
            fatalError("AlignedBytes: cannot allocate \(count) bytes")
        }
        base = raw
        self.count = count
    }

    deinit { free(base) }
}

/// A Linear weight (N, K) quantized once to int8 per output channel (symmetric, scale = max|w|/127)
/// and packed for `QuantizedGEMM.int8`. With `smoothing` (SmoothQuant), input channel p of the
/// weight is multiplied by `s[p]` before quantization and activations are divided by it while they
/// are quantized, which moves activation outliers into the (per-channel-scaled) weights.
public final class Int8PackedWeight: @unchecked Sendable {
    public let n: Int
    public let k: Int
    let packed: AlignedBytes
    let scales: AlignedBytes
    let sums: AlignedBytes
    /// 1 / s[p] per input channel, or nil without smoothing.
    let inverseSmoothing: [Float]?

    /// Quantizes `weight` (n rows of k floats, `ldw` apart); `smoothing` holds s[p] (k values) or nil.
    public init(_ weight: UnsafePointer<Float>, n: Int, k: Int, ldw: Int, smoothing: [Float]? = nil) {
        precondition(n > 0 && k >= 0 && ldw >= k && (smoothing == nil || smoothing!.count == k),
                     "Int8PackedWeight: n \(n), k \(k), ldw \(ldw)")
        self.n = n
        self.k = k
        let np = Int(vlm_q_padded_n(Int32(n)))
        packed = AlignedBytes(count: vlm_q8_packed_bytes(Int32(n), Int32(k)))
        scales = AlignedBytes(count: np * 4)
        sums = AlignedBytes(count: np * 4)
        inverseSmoothing = smoothing.map { $0.map { 1 / $0 } }
        let s = smoothing
        s.withUnsafeOptionalBuffer { sp in
            vlm_q8_pack(weight, Int32(ldw), Int32(n), Int32(k), sp, packed.base.assumingMemoryBound(to: Int8.self),
                        scales.base.assumingMemoryBound(to: Float.self), sums.base.assumingMemoryBound(to: Int32.self))
        }
    }

    /// Bytes held (packed weight and per-column arrays).
    public var byteCount: Int { packed.count + scales.count + sums.count + (inverseSmoothing?.count ?? 0) * 4 }
    var panelCount: Int { (n + 15) / 16 }

    /// SmoothQuant factors `s[p] = max|x_p|^α / max|w_p|^(1-α)` from calibration rows `x`
    /// (m rows of k, `ldx` apart) and the weight; 1 where either side is all zero. nil when the
    /// calibration rows have no outlier channel (no channel's max above `outlierRatio` times the
    /// median channel max): measured on random weights without outliers, smoothing then only adds
    /// weight-quantization error (docs/precision.md).
    public static func smoothingFactors(x: UnsafePointer<Float>, m: Int, ldx: Int, weight: UnsafePointer<Float>,
                                        n: Int, k: Int, ldw: Int, alpha: Float = 0.5, outlierRatio: Float = 8) -> [Float]? {
        var xmax = [Float](repeating: 0, count: k), wmax = [Float](repeating: 0, count: k)
        for i in 0 ..< m { for p in 0 ..< k { xmax[p] = max(xmax[p], abs(x[i * ldx + p])) } }
        let sorted = xmax.sorted()
        guard let top = sorted.last, top > outlierRatio * sorted[sorted.count / 2] else { return nil }
        for j in 0 ..< n { for p in 0 ..< k { wmax[p] = max(wmax[p], abs(weight[j * ldw + p])) } }
        return (0 ..< k).map { p in
            guard xmax[p] > 0, wmax[p] > 0 else { return 1 }
            let s = pow(xmax[p], alpha) / pow(wmax[p], 1 - alpha)
            return s.isFinite && s > 0 ? s : 1
        }
    }
}

/// A Linear weight (N, K) rounded to bf16 and packed for `QuantizedGEMM.bf16`.
public final class BF16PackedWeight: @unchecked Sendable {
    public let n: Int
    public let k: Int
    let packed: AlignedBytes

    public init(_ weight: UnsafePointer<Float>, n: Int, k: Int, ldw: Int) {
        precondition(n > 0 && k >= 0 && ldw >= k, "BF16PackedWeight: n \(n), k \(k), ldw \(ldw)")
        self.n = n
        self.k = k
        packed = AlignedBytes(count: vlm_bf16_packed_bytes(Int32(n), Int32(k)))
        vlm_bf16_pack(weight, Int32(ldw), Int32(n), Int32(k), packed.base.assumingMemoryBound(to: UInt16.self))
    }

    public var byteCount: Int { packed.count }
    var panelCount: Int { (n + 15) / 16 }
}

/// Reduced-precision Linear GEMMs: `c (m x n) = (accumulate ? c : 0) + x · Wᵀ + bias`, then
/// `activation` (identity or quickGELU, in the kernel's store). Activations are quantized (int8)
/// or rounded (bf16) once per call on the calling thread, then output panels are split over
/// threads like `PackedGEMM.gemm`.
public enum QuantizedGEMM {
    /// The int8 kernel path in use (see `VLMNODE_INT8_PATH` and `forceInt8Path`).
    public static var int8PathName: String { String(cString: vlm_q_path_name(vlm_q8_path())) }
    /// Whether bf16 runs on its own kernel here (AVX512_BF16 and not forced portable). Without it a
    /// bf16 request runs fp32: the emulated loop exists for tests and non-x86 builds only.
    public static var bf16Runs: Bool { vlm_bf16_path() == Int32(VLM_QPATH_BF16) || forcedBF16Portable }
    nonisolated(unsafe) private static var forcedBF16Portable = false

    public static func int8(m: Int, x: UnsafePointer<Float>, ldx: Int, weight: Int8PackedWeight,
                            bias: UnsafePointer<Float>?, accumulate: Bool, activation: Activation = .identity,
                            c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(PackedGEMM.fuses(activation) && (!accumulate || activation == .identity),
                     "QuantizedGEMM: cannot fuse \(activation)\(accumulate ? " with accumulate" : "")")
        guard m > 0 else { return }
        let path = vlm_q8_path(), k = Int32(weight.k), n = Int32(weight.n)
        let rowBytes = Int(vlm_q8_row_bytes(k))
        let scratch = vlm_q_scratch(m * rowBytes + m * 4 + 64)!
        let xq = scratch.assumingMemoryBound(to: UInt8.self)
        let rowScales = (scratch + (m * rowBytes + 63) / 64 * 64).assumingMemoryBound(to: Float.self)
        weight.inverseSmoothing.withUnsafeOptionalBuffer { inv in
            vlm_q8_quantize(path, Int32(m), k, x, Int32(ldx), inv, xq, rowScales)
        }
        let act = Int32(activation == .quickGELU ? VLM_GEMM_QUICK_GELU : VLM_GEMM_IDENTITY)
        let packed = UnsafePointer(weight.packed.base.assumingMemoryBound(to: Int8.self))
        let scales = UnsafePointer(weight.scales.base.assumingMemoryBound(to: Float.self))
        let sums = UnsafePointer(weight.sums.base.assumingMemoryBound(to: Int32.self))
        PackedGEMM.splitPanels(m: m, n: weight.n, k: weight.k, panels: weight.panelCount) { q0, q1 in
            vlm_q8_gemm(path, Int32(m), n, k, xq, rowScales, packed, scales, sums, Int32(q0), Int32(q1),
                        bias, accumulate ? 1 : 0, act, c, Int32(ldc))
        }
        withExtendedLifetime(weight) {}
    }

    public static func bf16(m: Int, x: UnsafePointer<Float>, ldx: Int, weight: BF16PackedWeight,
                            bias: UnsafePointer<Float>?, accumulate: Bool, activation: Activation = .identity,
                            c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(PackedGEMM.fuses(activation) && (!accumulate || activation == .identity),
                     "QuantizedGEMM: cannot fuse \(activation)\(accumulate ? " with accumulate" : "")")
        guard m > 0 else { return }
        let path = vlm_bf16_path(), k = Int32(weight.k), n = Int32(weight.n)
        let rowElems = Int(vlm_bf16_row_elems(k))
        let xb = vlm_q_scratch(m * rowElems * 2 + 64)!.assumingMemoryBound(to: UInt16.self)
        vlm_bf16_convert_rows(path, Int32(m), k, x, Int32(ldx), xb)
        let act = Int32(activation == .quickGELU ? VLM_GEMM_QUICK_GELU : VLM_GEMM_IDENTITY)
        let packed = UnsafePointer(weight.packed.base.assumingMemoryBound(to: UInt16.self))
        PackedGEMM.splitPanels(m: m, n: weight.n, k: weight.k, panels: weight.panelCount) { q0, q1 in
            vlm_bf16_gemm(path, Int32(m), n, k, xb, packed, Int32(q0), Int32(q1), bias, accumulate ? 1 : 0, act, c, Int32(ldc))
        }
        withExtendedLifetime(weight) {}
    }

    /// Test hook: runs int8 on `path` (a `VLM_QPATH_*` value the CPU can run; nil restores
    /// detection). Returns false when this CPU cannot run it.
    @discardableResult
    public static func forceInt8Path(_ path: Int32?) -> Bool { vlm_q8_force_path(path ?? -1) != 0 }

    /// Test hook: runs bf16 on the portable loop (`false` restores detection).
    public static func forceBF16Portable(_ force: Bool) {
        forcedBF16Portable = force
        vlm_bf16_force_portable(force ? 1 : 0)
    }

    /// The int8 paths this CPU can run, best last (portable first).
    public static var availableInt8Paths: [Int32] {
        [VLM_QPATH_PORTABLE, VLM_QPATH_AVX2, VLM_QPATH_VNNI256, VLM_QPATH_AVXVNNI, VLM_QPATH_VNNI512]
            .map { Int32($0) }.filter { vlm_q_path_available($0) != 0 }
    }

    /// Largest |q| of a quantized activation on `path` (127 on every path: the AVX2 path is full 8-bit too).
    public static func int8ActivationMax(path: Int32) -> Int { Int(vlm_q8_act_max(path)) }

    /// The int8 path calls use now.
    public static var int8Path: Int32 { vlm_q8_path() }

    /// Name of a `VLM_QPATH_*` value.
    public static func pathName(_ path: Int32) -> String { String(cString: vlm_q_path_name(path)) }
}

extension Optional where Wrapped == [Float] {
    /// The array's base pointer, or nil, for C calls taking an optional `const float *`.
    func withUnsafeOptionalBuffer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let self else { return body(nil) }
        return self.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
