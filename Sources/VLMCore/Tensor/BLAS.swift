import CBLAS
import Foundation

/// The one place that configures BLAS threading and wraps `cblas_sgemm`.
public enum BLAS {
    /// How a GEMM uses several cores.
    public enum Threading: String, Sendable {
        /// OpenBLAS's own thread pool splits each call.
        case openblas
        /// OpenBLAS runs single-threaded and vlmnode splits the output columns of each large call
        /// across `threadCount` threads (each packs only its slice of the weights). The default:
        /// on a shared machine (other nodes, compilers) OpenBLAS's spin-waiting pool lost
        /// 30-45% against it in `vlmnode bench clip`'s A/B; small calls stay single-threaded.
        case splitColumns = "split"
    }

    /// Threads used by GEMMs: `VLMNODE_THREADS` if set to a positive integer, else the core count.
    public static let threadCount: Int = {
        let env = ProcessInfo.processInfo.environment["VLMNODE_THREADS"].flatMap { Int($0) }
        return (env ?? 0) > 0 ? env! : ProcessInfo.processInfo.activeProcessorCount
    }()

    nonisolated(unsafe) private static var mode: Threading = {
        let m = ProcessInfo.processInfo.environment["VLMNODE_GEMM_THREADING"].flatMap(Threading.init(rawValue:)) ?? .splitColumns
        openblas_set_num_threads(m == .openblas ? Int32(threadCount) : 1)
        return m
    }()

    /// The threading strategy (from `VLMNODE_GEMM_THREADING`: `split` (default) or `openblas`).
    public static var threading: Threading {
        get { mode }
        set {
            mode = newValue
            openblas_set_num_threads(newValue == .openblas ? Int32(threadCount) : 1)
        }
    }

    /// Applies the thread count before the first GEMM (cheap afterwards).
    @inline(__always) public static func configure() { _ = mode }

    /// Row-major `C = alpha * op(A) * op(B) + beta * C` on raw pointers with explicit leading
    /// dimensions (elements between rows), so strided views (one head of a fused QKV buffer,
    /// rows of a larger matrix) need no copies. `op(A)` is M x K, `op(B)` is K x N.
    @inline(__always)
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        configure()
        guard m > 0, n > 0 else { return }
        if Profiler.isEnabled { Profiler.gemmFlops += 2 * Double(m) * Double(n) * Double(k) }
        let parts = threadCount
        if mode == .splitColumns, parts > 1, m * n * k >= 1 << 20, n >= 64 * parts {
            // Slices are multiples of 16 columns so every thread's stores stay vector-aligned.
            DispatchQueue.concurrentPerform(iterations: parts) { i in
                let n0 = (n * i / parts) & ~15, n1 = i == parts - 1 ? n : (n * (i + 1) / parts) & ~15
                cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                            Int32(m), Int32(n1 - n0), Int32(k), alpha, a, Int32(lda),
                            transB ? b + n0 * ldb : b + n0, Int32(ldb), beta, c + n0, Int32(ldc))
            }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// Matrix products on tensors. Leading dimensions of the inputs are flattened into rows.
public enum MatMul {
    /// `out = a · b` (or `a · bᵀ` when `transposeB`, the layout of HF Linear weights (out, in)).
    /// `a` is (…, K); `b` is (K, N) or, transposed, (N, K); `out` is (…, N).
    /// With `accumulate`, adds into `out` instead of overwriting it.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false, into out: Tensor,
                              alpha: Float = 1, accumulate: Bool = false) {
        precondition(b.rank == 2, "matmul: b must be 2-D, got \(b.shape)")
        let k = a.lastDim, m = a.rowCount
        let n = transposeB ? b.shape[0] : b.shape[1]
        precondition((transposeB ? b.shape[1] : b.shape[0]) == k, "matmul: \(a.shape) x \(b.shape)\(transposeB ? "ᵀ" : "")")
        precondition(out.rowCount == m && out.lastDim == n, "matmul: output \(out.shape) is not \(m)x\(n)")
        BLAS.sgemm(transB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a.pointer, lda: k,
                   b: b.pointer, ldb: b.shape[1], beta: accumulate ? 1 : 0, c: out.pointer, ldc: n)
    }

    /// Allocating form of `matmul(_:_:transposeB:into:)`.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false) -> Tensor {
        let n = transposeB ? b.shape[0] : b.shape[1]
        let out = Tensor(zeros: Array(a.shape.dropLast()) + [n])
        matmul(a, b, transposeB: transposeB, into: out)
        return out
    }

    /// Batched product over the first dimension: `a` (B, M, K), `b` (B, K, N) or (B, N, K) when
    /// `transposeB`, `out` (B, M, N). One sgemm per batch entry.
    public static func batchedMatmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false, into out: Tensor,
                                     alpha: Float = 1) {
        precondition(a.rank == 3 && b.rank == 3 && out.rank == 3 && a.shape[0] == b.shape[0] && out.shape[0] == a.shape[0],
                     "batchedMatmul: \(a.shape) x \(b.shape) -> \(out.shape)")
        let batch = a.shape[0], m = a.shape[1], k = a.shape[2]
        let n = transposeB ? b.shape[1] : b.shape[2]
        precondition((transposeB ? b.shape[2] : b.shape[1]) == k && out.shape[1] == m && out.shape[2] == n,
                     "batchedMatmul: \(a.shape) x \(b.shape) -> \(out.shape)")
        for i in 0 ..< batch {
            BLAS.sgemm(transB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a.pointer + i * m * k, lda: k,
                       b: b.pointer + i * b.shape[1] * b.shape[2], ldb: b.shape[2],
                       c: out.pointer + i * m * n, ldc: n)
        }
    }
}
