import Dispatch
import Foundation

/// Which keys each query may attend to.
public struct AttentionMask: Sendable {
    /// Query i sees keys 0...i only (text towers).
    public var causal: Bool
    /// Per batch entry, per key: false where the key is padding. Nil: every key is valid.
    public var keyValid: [[Bool]]?

    public init(causal: Bool = false, keyValid: [[Bool]]? = nil) {
        self.causal = causal
        self.keyValid = keyValid
    }

    /// No masking.
    public static let none = AttentionMask()

    /// Keys valid where `attentionMask` (HF's 0/1 `attention_mask`, one row per batch entry) is non-zero.
    public static func padding(_ attentionMask: [[Int]], causal: Bool = false) -> AttentionMask {
        AttentionMask(causal: causal, keyValid: attentionMask.map { $0.map { $0 != 0 } })
    }
}

/// A batch of row-major matrices inside a larger buffer: token t of batch entry b starts at
/// `base + b * batchStride + t * rowStride`. Lets attention read the heads straight out of a fused
/// QKV projection without copying.
public struct StridedRows {
    public var base: UnsafeMutablePointer<Float>
    public var rowStride: Int
    public var batchStride: Int

    public init(base: UnsafeMutablePointer<Float>, rowStride: Int, batchStride: Int) {
        self.base = base
        self.rowStride = rowStride
        self.batchStride = batchStride
    }

    /// Columns `column...` of a (B, N, C) tensor.
    public init(_ t: Tensor, column: Int = 0) {
        precondition(t.rank == 3, "StridedRows: expected (batch, tokens, channels), got \(t.shape)")
        self.init(base: t.pointer + column, rowStride: t.shape[2], batchStride: t.shape[1] * t.shape[2])
    }
}

/// Query rows per attention block: a block's scores (at most 2 MiB) stay in cache between QKᵀ,
/// softmax and P·V. At OWL-ViT B/32's 577 tokens that is one block (blocking measured no faster
/// there); at B/16's 2305 tokens (21 MB of scores per head) it is 227 rows.
/// `VLMNODE_ATTENTION_BLOCK` overrides it (A/B measurements).
func attentionRowBlock(keys: Int) -> Int {
    if let forced = attentionBlockOverride { return forced }
    return Swift.max(64, (1 << 19) / Swift.max(keys, 1))
}

/// Tests set it to force several blocks on small inputs (results are the same up to rounding).
nonisolated(unsafe) var attentionBlockOverride: Int? = {
    let env = ProcessInfo.processInfo.environment["VLMNODE_ATTENTION_BLOCK"].flatMap { Int($0) } ?? 0
    return env > 0 ? env : nil
}()

/// exp(x - max) over a row in place, returning the sum (0 for an all -inf row, then all zeros).
@inline(__always)
func expRow(_ x: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
    guard n > 0 else { return 0 }
    let m = simdMax(x, n)
    if m == -.infinity { x.update(repeating: 0, count: n); return 0 }
    var acc = F16x()
    var i = 0
    while i + 16 <= n {
        let e = simdExp(UnsafeRawPointer(x + i).loadUnaligned(as: F16x.self) - m)
        UnsafeMutableRawPointer(x + i).storeBytes(of: e, as: F16x.self)
        acc += e
        i += 16
    }
    var s = acc.sum()
    while i < n { x[i] = Foundation.exp(x[i] - m); s += x[i]; i += 1 }
    return s
}

extension Ops {
    /// Scaled dot-product multi-head attention, `softmax(scale · Q Kᵀ + mask) V` per batch entry
    /// and head, on GEMMs (two strided sgemm calls per head, no copies).
    /// - q: `queryLength` rows of `heads * headDim` per batch entry; k, v: `keyLength` rows.
    /// - out: merged heads (head h in columns h*headDim ..< (h+1)*headDim), may not alias q/k/v.
    /// - scores: scratch of at least `queryLength * keyLength` floats.
    public static func attention(q: StridedRows, k: StridedRows, v: StridedRows, out: StridedRows,
                                 batch: Int, queryLength: Int, keyLength: Int, heads: Int, headDim: Int,
                                 scale: Float, mask: AttentionMask = .none, scores: UnsafeMutablePointer<Float>) {
        if let kv = mask.keyValid {
            precondition(kv.count == batch && kv.allSatisfy { $0.count >= keyLength },
                         "attention: key mask for \(kv.count) entries, need \(batch) x \(keyLength)")
        }
        Profiler.measure(.attention) {
            // One (batch entry, head) pair, in blocks of query rows (`attentionRowBlock`).
            // The softmax is left unnormalised (max, then exp and sum in one pass); each output row
            // is divided by its sum after P·V, on headDim values instead of keyLength.
            func run(_ pair: Int, _ scores: UnsafeMutablePointer<Float>) {
                let b = pair / heads, h = pair % heads
                let valid = mask.keyValid?[b]
                let qh = q.base + b * q.batchStride + h * headDim
                let kh = k.base + b * k.batchStride + h * headDim
                let vh = v.base + b * v.batchStride + h * headDim
                let oh = out.base + b * out.batchStride + h * headDim
                let block = attentionRowBlock(keys: keyLength)
                var sums = [Float](repeating: 0, count: Swift.min(queryLength, block))
                var r0 = 0
                while r0 < queryLength {
                    let rows = Swift.min(block, queryLength - r0)
                    // Causal: rows of this block see at most keys 0...r0+rows-1.
                    let keys = mask.causal ? Swift.min(r0 + rows, keyLength) : keyLength
                    BLAS.sgemm(transB: true, m: rows, n: keys, k: headDim, alpha: scale,
                               a: qh + r0 * q.rowStride, lda: q.rowStride, b: kh, ldb: k.rowStride, c: scores, ldc: keys)
                    for i in 0 ..< rows {
                        let row = scores + i * keys
                        let live = mask.causal ? Swift.min(r0 + i + 1, keys) : keys
                        if let valid { for j in 0 ..< live where !valid[j] { row[j] = -.infinity } }
                        sums[i] = expRow(row, live)
                        if live < keys { (row + live).update(repeating: 0, count: keys - live) }
                    }
                    BLAS.sgemm(m: rows, n: headDim, k: keys, a: scores, lda: keys,
                               b: vh, ldb: v.rowStride, c: oh + r0 * out.rowStride, ldc: out.rowStride)
                    for i in 0 ..< rows {
                        let inv: Float = sums[i] > 0 ? 1 / sums[i] : 0
                        let o = oh + (r0 + i) * out.rowStride
                        for j in 0 ..< headDim { o[j] *= inv }
                    }
                    r0 += rows
                }
            }
            let pairs = batch * heads, area = queryLength * keyLength
            let parts = min(BLAS.threadCount, pairs)
            // Heads are independent: spread them over the cores when GEMMs are split that way too
            // (each head's GEMMs are far too small to be worth splitting themselves).
            if BLAS.threading == .splitColumns, parts > 1, area * headDim * pairs >= 1 << 14 {
                let extra = UnsafeMutablePointer<Float>.allocate(capacity: (parts - 1) * area)
                defer { extra.deallocate() }
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    let buffer = part == 0 ? scores : extra + (part - 1) * area
                    for pair in stride(from: part, to: pairs, by: parts) { run(pair, buffer) }
                }
            } else {
                for pair in 0 ..< pairs { run(pair, scores) }
            }
        }
    }

    /// Self-attention on a fused (B, N, 3·D) projection laid out [q | k | v]; writes (B, N, D) into `out`.
    public static func attention(fusedQKV qkv: Tensor, heads: Int, scale: Float, mask: AttentionMask = .none,
                                 into out: Tensor, scores: Tensor) {
        precondition(qkv.rank == 3 && qkv.shape[2] % (3 * heads) == 0, "attention: fused QKV \(qkv.shape) for \(heads) heads")
        let (b, n, d) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
        precondition(out.shape == [b, n, d] && scores.count >= n * n, "attention: out \(out.shape), scores \(scores.shape)")
        attention(q: StridedRows(qkv, column: 0), k: StridedRows(qkv, column: d), v: StridedRows(qkv, column: 2 * d),
                  out: StridedRows(out), batch: b, queryLength: n, keyLength: n, heads: heads, headDim: d / heads,
                  scale: scale, mask: mask, scores: scores.pointer)
    }

    /// Attention on separate contiguous q (B, Nq, D), k and v (B, Nk, D); allocating.
    public static func attention(query: Tensor, key: Tensor, value: Tensor, heads: Int, scale: Float,
                                 mask: AttentionMask = .none) -> Tensor {
        precondition(query.rank == 3 && key.rank == 3 && key.shape == value.shape && query.shape[0] == key.shape[0]
                     && query.shape[2] == key.shape[2] && query.shape[2] % heads == 0,
                     "attention: q \(query.shape), k \(key.shape), v \(value.shape), \(heads) heads")
        let (b, nq, nk, d) = (query.shape[0], query.shape[1], key.shape[1], query.shape[2])
        let out = Tensor(zeros: query.shape)
        let scores = Tensor(zeros: [nq * nk])
        attention(q: StridedRows(query), k: StridedRows(key), v: StridedRows(value), out: StridedRows(out),
                  batch: b, queryLength: nq, keyLength: nk, heads: heads, headDim: d / heads, scale: scale,
                  mask: mask, scores: scores.pointer)
        withExtendedLifetime(scores) {}
        return out
    }
}
