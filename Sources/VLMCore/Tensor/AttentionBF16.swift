import CVLMKernels
import Dispatch
import Foundation

/// Attention in bf16 for the reduced-precision modes: QKᵀ and P·V on `vdpbf16ps` (q, k, v and the
/// probabilities rounded to bf16, fp32 accumulation), the softmax in fp32 (vlm_attention.c). After
/// int8 Linears, fp32 attention was ~40% of an OWL-ViT frame (docs/precision.md).
public enum ReducedAttention {
    /// Whether `attention` has a fast kernel here (AVX512_BF16, or the portable loop forced by
    /// `QuantizedGEMM.forceBF16Portable` in tests). Elsewhere (AVX2-only CPUs) reduced modes keep
    /// fp32 attention: no AVX-512 instruction is reached there.
    public static var runs: Bool { QuantizedGEMM.bf16Runs && isEnabled }

    /// Whether this CPU has the AVX512_BF16 kernels (forcing aside).
    public static var hasKernel: Bool { vlm_q_path_available(Int32(VLM_QPATH_BF16)) != 0 }

    /// `VLMNODE_REDUCED_ATTENTION=0` keeps fp32 attention in the reduced modes (A/B measurements).
    nonisolated(unsafe) public static var isEnabled: Bool =
        ProcessInfo.processInfo.environment["VLMNODE_REDUCED_ATTENTION"] != "0"

    /// Unmasked multi-head attention (see `Ops.attention`), heads spread over the threads. Each
    /// head packs its k and v once (bf16, the GEMM kernel's weight layout) and runs its query rows
    /// in blocks whose scores stay in L2.
    public static func attention(q: StridedRows, k: StridedRows, v: StridedRows, out: StridedRows, batch: Int,
                                 queryLength: Int, keyLength: Int, heads: Int, headDim: Int, scale: Float) {
        guard batch > 0, queryLength > 0, keyLength > 0, heads > 0, headDim > 0 else { return }
        Profiler.measure(.attention) {
            let path = vlm_bf16_path()
            let (m, n, hd) = (Int32(queryLength), Int32(keyLength), Int32(headDim))
            let (ldq, ldk, ldv, ldo) = (Int32(q.rowStride), Int32(k.rowStride), Int32(v.rowStride), Int32(out.rowStride))
            func run(_ pair: Int) {
                let b = pair / heads, column = (pair % heads) * headDim
                let qh = q.base + (b * q.batchStride + column), kh = k.base + (b * k.batchStride + column)
                let vh = v.base + (b * v.batchStride + column), oh = out.base + (b * out.batchStride + column)
                vlm_attn_bf16(path, m, n, hd, qh, ldq, kh, ldk, vh, ldv, scale, oh, ldo)
            }
            let pairs = batch * heads
            let parts = min(BLAS.threadCount, pairs)
            if parts > 1, queryLength * keyLength * headDim * pairs >= 1 << 14 {
                // Pairs handed out one at a time: a descheduled thread holds back one head, not half.
                DispatchQueue.concurrentPerform(iterations: pairs) { run($0) }
            } else {
                for pair in 0 ..< pairs { run(pair) }
            }
        }
    }

    /// Test hook: query rows per block (nil restores the default), to cover several blocks on small inputs.
    public static func forceBlockRows(_ rows: Int?) { vlm_attn_force_block_rows(Int32(rows ?? 0)) }
}
