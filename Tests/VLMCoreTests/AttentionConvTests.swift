import Foundation
import Testing
@testable import VLMCore

/// Straightforward attention in Double: q, k, v (B, N, H·dh), keys allowed per (batch, query, key).
func naiveAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, heads: Int, allowed: (Int, Int, Int) -> Bool) -> [Float] {
    let (b, nq, nk, d) = (q.shape[0], q.shape[1], k.shape[1], q.shape[2])
    let dh = d / heads, scale = 1 / Double(dh).squareRoot()
    let qv = q.values, kv = k.values, vv = v.values
    var out = [Float](repeating: 0, count: b * nq * d)
    for bi in 0 ..< b { for h in 0 ..< heads { for i in 0 ..< nq {
        var s = [Double](repeating: -.infinity, count: nk)
        for j in 0 ..< nk where allowed(bi, i, j) {
            s[j] = (0 ..< dh).reduce(0.0) { $0 + Double(qv[(bi * nq + i) * d + h * dh + $1]) * Double(kv[(bi * nk + j) * d + h * dh + $1]) } * scale
        }
        let m = s.max()!
        guard m > -.infinity else { continue }
        let e = s.map { exp($0 - m) }, z = e.reduce(0, +)
        for c in 0 ..< dh {
            out[(bi * nq + i) * d + h * dh + c] = Float((0 ..< nk).reduce(0.0) { $0 + e[$1] / z * Double(vv[(bi * nk + $1) * d + h * dh + c]) })
        }
    } } }
    return out
}

@Suite struct AttentionConvTests {
    @Test(arguments: [false, true])
    func fusedSelfAttentionWithCausalAndPaddingMasks(causal: Bool) {
        let (b, n, heads, dh) = (2, 19, 3, 12)  // 19·19·12·6 MACs: the head-parallel path
        let d = heads * dh
        var rng = TestRNG(causal ? 7 : 8)
        let q = rng.tensor([b, n, d], scale: 2), k = rng.tensor([b, n, d], scale: 2), v = rng.tensor([b, n, d])
        let fused = Tensor(zeros: [b, n, 3 * d])
        for bi in 0 ..< b { for t in 0 ..< n {
            let row = fused.pointer + (bi * n + t) * 3 * d, src = (bi * n + t) * d
            for c in 0 ..< d { row[c] = q.values[src + c]; row[d + c] = k.values[src + c]; row[2 * d + c] = v.values[src + c] }
        } }
        let lengths = [n, 11]
        let valid = lengths.map { len in (0 ..< n).map { $0 < len } }
        let out = Tensor(zeros: [b, n, d])
        Ops.attention(fusedQKV: fused, heads: heads, scale: 1 / Float(dh).squareRoot(),
                      mask: AttentionMask(causal: causal, keyValid: valid), into: out, scores: Tensor(zeros: [n * n]))
        let ref = naiveAttention(q, k, v, heads: heads) { bi, i, j in valid[bi][j] && (!causal || j <= i) }
        #expect(maxAbsDiff(out.values, ref) < 1e-5)
    }

    @Test func crossAttentionWithDifferentLengths() {
        var rng = TestRNG(9)
        let q = rng.tensor([2, 3, 8]), k = rng.tensor([2, 17, 8]), v = rng.tensor([2, 17, 8])
        let out = Ops.attention(query: q, key: k, value: v, heads: 2, scale: 0.5)
        #expect(maxAbsDiff(out.values, naiveAttention(q, k, v, heads: 2) { _, _, _ in true }) < 1e-5)
    }

    @Test func selectedRowsMatchFullLayer() throws {
        let s = TransformerShape(hidden: 16, intermediate: 24, layers: 1, heads: 2, activation: .quickGELU, layerNormEps: 1e-5)
        let layer = try EncoderLayer(.random(seed: 5), shape: s)
        var rng = TestRNG(10)
        let h = rng.tensor([2, 9, 16])
        let mask = AttentionMask(causal: true, keyValid: [Array(repeating: true, count: 9), (0 ..< 9).map { $0 < 6 }])
        let full = h.copy()
        layer.forward(full, mask: mask, workspace: Workspace())
        let rows = layer.forward(h.copy(), mask: mask, rows: [(0, 8), (1, 5), (1, 2)], workspace: Workspace())
        let expected = full[0][8].values + full[1][5].values + full[1][2].values
        #expect(maxAbsDiff(rows.values, expected) < 1e-5)
    }

    /// Conv2d by definition, in Double: input (B, Cin, H, W), weight (Cout, Cin, kh, kw).
    func naiveConv(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, stride: Int, pad: Int) -> [Float] {
        let (b, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let ho = (h + 2 * pad - kh) / stride + 1, wo = (wd + 2 * pad - kw) / stride + 1
        let xv = x.values, wv = w.values
        var out: [Float] = []
        for bi in 0 ..< b { for co in 0 ..< cout { for oy in 0 ..< ho { for ox in 0 ..< wo {
            var s = Double(bias?.values[co] ?? 0)
            for ci in 0 ..< cin { for ky in 0 ..< kh { for kx in 0 ..< kw {
                let iy = oy * stride - pad + ky, ix = ox * stride - pad + kx
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                s += Double(xv[((bi * cin + ci) * h + iy) * wd + ix]) * Double(wv[((co * cin + ci) * kh + ky) * kw + kx])
            } } }
            out.append(Float(s))
        } } } }
        return out
    }

    @Test func patchEmbeddingIsAStridedConv() {
        var rng = TestRNG(11)
        let x = rng.tensor([2, 3, 13, 10]), w = rng.tensor([6, 3, 4, 4])
        let cols = Ops.patches(x, patch: 4)
        #expect(cols.shape == [2, 6, 48])
        let y = MatMul.matmul(cols, w.reshaped([6, 48]), transposeB: true)   // (B, patches, D)
        let ref = naiveConv(x, w, nil, stride: 4, pad: 0)                     // (B, D, 3, 2)
        var refTokens: [Float] = []
        for bi in 0 ..< 2 { for p in 0 ..< 6 { for c in 0 ..< 6 { refTokens.append(ref[(bi * 6 + c) * 6 + p]) } } }
        #expect(maxAbsDiff(y.values, refTokens) < 1e-5)
    }

    @Test func conv2dWithPaddingAndStride() {
        var rng = TestRNG(12)
        let x = rng.tensor([2, 3, 7, 9]), w = rng.tensor([5, 3, 3, 3]), b = rng.tensor([5])
        for (stride, pad) in [(1, 1), (2, 0), (2, 1)] {
            let y = Ops.conv2d(x, weight: w, bias: b, stride: stride, padding: pad)
            #expect(maxAbsDiff(y.values, naiveConv(x, w, b, stride: stride, pad: pad)) < 1e-5)
        }
    }

    @Test func convTransposeStrideEqualsKernel() {
        var rng = TestRNG(13)
        let x = rng.tensor([2, 3, 2, 3]), w = rng.tensor([3, 4, 2, 2]), b = rng.tensor([4])
        let y = Ops.convTranspose2d(x, weight: w, bias: b)
        #expect(y.shape == [2, 4, 4, 6])
        let xv = x.values, wv = w.values
        var ref = [Float](repeating: 0, count: y.count)
        for bi in 0 ..< 2 { for co in 0 ..< 4 { for oy in 0 ..< 4 { for ox in 0 ..< 6 {
            var s = Double(b.values[co])
            for ci in 0 ..< 3 { s += Double(xv[((bi * 3 + ci) * 2 + oy / 2) * 3 + ox / 2]) * Double(wv[((ci * 4 + co) * 2 + oy % 2) * 2 + ox % 2]) }
            ref[((bi * 4 + co) * 4 + oy) * 6 + ox] = Float(s)
        } } } }
        #expect(maxAbsDiff(y.values, ref) < 1e-5)
    }
}
