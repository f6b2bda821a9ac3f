import CVLMKernels
import Foundation

/// A Linear weight (N, K) packed once for `PackedGEMM`: panels of 16 output columns, each K rows of
/// 16 contiguous floats (zero-padded past N), in owned 64-byte-aligned memory.
public final class PackedWeight: @unchecked Sendable {
    /// Output features (rows of the original weight).
    public let n: Int
    /// Input features.
    public let k: Int
    let storage: TensorStorage

    /// Packs `weight` (n rows of k floats, `ldw` apart). Reads the weight once; never writes it.
    public init(_ weight: UnsafePointer<Float>, n: Int, k: Int, ldw: Int) {
        precondition(n > 0 && k >= 0 && ldw >= k, "PackedWeight: n \(n), k \(k), ldw \(ldw)")
        self.n = n
        self.k = k
        storage = TensorStorage(count: vlm_gemm_packed_count(Int32(n), Int32(k)))
        vlm_gemm_pack(weight, Int32(ldw), Int32(n), Int32(k), storage.base)
    }

    /// Packs a 2-D (out, in) weight tensor.
    public convenience init(_ weight: Tensor) {
        precondition(weight.rank == 2, "PackedWeight: weight must be 2-D, got \(weight.shape)")
        self.init(weight.pointer, n: weight.shape[0], k: weight.shape[1], ldw: weight.shape[1])
    }

    /// Bytes of packed memory (the panel padding included).
    public var byteCount: Int { storage.count * MemoryLayout<Float>.stride }

    var panelCount: Int { (n + 15) / 16 }
}

/// Linear-layer GEMMs on pre-packed weights: `y (+)= x · Wᵀ + b` with an AVX2/FMA micro-kernel
/// (selected at run time; a portable loop elsewhere). OpenBLAS re-packs the whole weight on every
/// call, which caps it at these small row counts (50 image tokens, ~32 text tokens).
public enum PackedGEMM {
    /// Which GEMM Linear layers use (`VLMNODE_GEMM`).
    public enum Mode: String, Sendable {
        /// Packed weights where the AVX2/FMA kernel exists, OpenBLAS otherwise (the default).
        case auto
        /// Always the packed kernel (the portable loop where AVX2/FMA are missing: slow).
        case packed
        /// Always `cblas_sgemm` on the original weight.
        case blas
    }

    nonisolated(unsafe) private static var currentMode: Mode =
        ProcessInfo.processInfo.environment["VLMNODE_GEMM"].flatMap(Mode.init(rawValue:)) ?? .auto

    /// The mode (from `VLMNODE_GEMM`: `packed`, `blas`, default `auto`); settable for A/B runs.
    public static var mode: Mode {
        get { currentMode }
        set { currentMode = newValue }
    }

    /// Whether the AVX2/FMA micro-kernel runs on this CPU.
    public static var hasSIMDKernel: Bool { vlm_gemm_uses_simd() != 0 }

    /// Whether a Linear call of `m` rows should take the packed path.
    /// In `auto`, every shape the models use does where the SIMD kernel exists: measured
    /// (`vlmnode bench gemm`) from 1 to 577 rows it beats or ties OpenBLAS, and once packed the
    /// original weight pages are never touched again (the packed copy replaces them in RSS).
    public static func shouldUse(m: Int) -> Bool {
        switch currentMode {
        case .blas: return false
        case .packed: return true
        case .auto: return hasSIMDKernel
        }
    }

    /// `c (m x n, ldc) = (accumulate ? c : 0) + x (m x k, ldx) · Wᵀ + bias`; large products are
    /// split by output panels over `BLAS.threadCount` threads (the size rule of BLAS's split mode;
    /// OpenBLAS is idle meanwhile, so nothing is oversubscribed).
    /// `activation` (`identity` or `quickGELU`, see `fuses`) is applied in the kernel's store,
    /// only without `accumulate`.
    public static func gemm(m: Int, x: UnsafePointer<Float>, ldx: Int, weight: PackedWeight,
                            bias: UnsafePointer<Float>?, accumulate: Bool, activation: Activation = .identity,
                            c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(fuses(activation) && (!accumulate || activation == .identity),
                     "PackedGEMM: cannot fuse \(activation)\(accumulate ? " with accumulate" : "")")
        guard m > 0 else { return }
        let act = Int32(activation == .quickGELU ? VLM_GEMM_QUICK_GELU : VLM_GEMM_IDENTITY)
        func run(_ q0: Int, _ q1: Int) {
            if act != 0 {
                vlm_gemm_packed_act(Int32(m), Int32(weight.n), Int32(weight.k), x, Int32(ldx), packed(weight),
                                    Int32(q0), Int32(q1), bias, act, c, Int32(ldc))
            } else {
                vlm_gemm_packed(Int32(m), Int32(weight.n), Int32(weight.k), x, Int32(ldx), packed(weight),
                                Int32(q0), Int32(q1), bias, accumulate ? 1 : 0, c, Int32(ldc))
            }
        }
        splitPanels(m: m, n: weight.n, k: weight.k, panels: weight.panelCount, run)
        withExtendedLifetime(weight) {}
    }

    /// Runs `run(q0, q1)` over the output panels [0, panels) of an m x n x k product: split over
    /// `BLAS.threadCount` threads when large (the size rule of BLAS's split mode; OpenBLAS is idle
    /// meanwhile, so nothing is oversubscribed), else in one call. Shared with `QuantizedGEMM`.
    static func splitPanels(m: Int, n: Int, k: Int, panels: Int, _ run: (Int, Int) -> Void) {
        if Profiler.isEnabled { Profiler.gemmFlops += 2 * Double(m) * Double(n) * Double(k) }
        let parts = min(BLAS.threadCount, panels)
        if parts > 1, m * n * k >= 1 << 20, n >= 64 * parts {
            // Up to 4 chunks per thread (of >= 4 panels), handed out by GCD as threads free up: on a
            // shared machine a descheduled thread no longer holds back half of every product.
            let chunks = max(parts, min(panels / 4, 4 * parts))
            DispatchQueue.concurrentPerform(iterations: chunks) { i in
                run(panels * i / chunks, panels * (i + 1) / chunks)
            }
        } else {
            run(0, panels)
        }
    }

    /// Whether `gemm` can apply `activation` itself (else run `Ops.activate` afterwards).
    public static func fuses(_ activation: Activation) -> Bool { activation == .identity || activation == .quickGELU }

    private static func packed(_ w: PackedWeight) -> UnsafePointer<Float> { UnsafePointer(w.storage.base) }

    /// Test hook: runs the portable loop even where AVX2/FMA exist (`false` restores detection).
    public static func forcePortableKernel(_ force: Bool) { vlm_gemm_force_portable(force ? 1 : 0) }
}
