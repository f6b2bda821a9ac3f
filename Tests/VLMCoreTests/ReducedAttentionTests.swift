import Foundation
import Testing
@testable import VLMCore

/// The bf16 attention kernel (vlm_attention.c) against a Double reference on every bf16 path this
/// CPU runs (AVX512_BF16 where present, and the portable loops forced). Nested in the serialized
/// `QuantizedGEMMTests`: the forcing hooks are process-wide.
extension QuantizedGEMMTests {
@Suite(.serialized) struct ReducedAttentionTests {
    /// The bf16 paths to test here: the portable loops always, the AVX512_BF16 kernels where they run.
    static var paths: [Bool] { ReducedAttention.hasKernel ? [false, true] : [false] }

    /// One (batch, heads) attention from a fused [q | k | v] tensor (strided rows, several heads and
    /// batch entries), against Double: returns the worst |error| / allowed over all outputs.
    /// Allowed: scores move by at most δ = 2⁻⁸·scale·Σ|q||k| (q·scale and k rounded to bf16), so each
    /// probability by a factor within e^(±2δ); p and v are rounded to bf16 (2⁻⁹ each):
    /// |Δout| ≤ (e^(2δ)·(1 + 2⁻⁸) − 1)·Σ p|v| + 1e-5·max|v| (fp32 sums, the exp polynomial).
    static func worstError(batch: Int, tokens: Int, heads: Int, headDim: Int, block: Int?, portable: Bool,
                           spread: Float, seed: UInt64) -> Double {
        let d = heads * headDim
        var rng = TestRNG(seed)
        let qkv = rng.tensor([batch, tokens, 3 * d], scale: spread)
        let out = Tensor(shape: [batch, tokens, d], values: [Float](repeating: .nan, count: batch * tokens * d))
        let scale = 1 / Float(headDim).squareRoot()
        QuantizedGEMM.forceBF16Portable(portable)
        ReducedAttention.forceBlockRows(block)
        defer { QuantizedGEMM.forceBF16Portable(false); ReducedAttention.forceBlockRows(nil) }
        ReducedAttention.attention(q: StridedRows(qkv, column: 0), k: StridedRows(qkv, column: d), v: StridedRows(qkv, column: 2 * d),
                                   out: StridedRows(out), batch: batch, queryLength: tokens, keyLength: tokens, heads: heads,
                                   headDim: headDim, scale: scale)
        let x = qkv.pointer, o = out.pointer
        var worst = 0.0
        for b in 0 ..< batch {
            for h in 0 ..< heads {
                func at(_ t: Int, _ part: Int, _ c: Int) -> Double { Double(x[(b * tokens + t) * 3 * d + part * d + h * headDim + c]) }
                var vmax = 0.0
                for j in 0 ..< tokens { for c in 0 ..< headDim { vmax = max(vmax, abs(at(j, 2, c))) } }
                for i in 0 ..< tokens {
                    var s = [Double](repeating: 0, count: tokens), delta = 0.0
                    for j in 0 ..< tokens {
                        var dot = 0.0, mag = 0.0
                        for c in 0 ..< headDim { dot += at(i, 0, c) * at(j, 1, c); mag += abs(at(i, 0, c) * at(j, 1, c)) }
                        s[j] = dot * Double(scale)
                        delta = max(delta, mag * Double(scale) * 0.00391 * 1.01)
                    }
                    let mx = s.max()!
                    let e = s.map { Foundation.exp($0 - mx) }, sum = e.reduce(0, +)
                    for c in 0 ..< headDim {
                        var ref = 0.0, weighted = 0.0
                        for j in 0 ..< tokens { ref += e[j] / sum * at(j, 2, c); weighted += e[j] / sum * abs(at(j, 2, c)) }
                        let got = Double(o[(b * tokens + i) * d + h * headDim + c])
                        let allowed = (Foundation.exp(2 * delta) * (1 + 0.00391) - 1) * weighted + 1e-5 * vmax
                        worst = max(worst, got.isFinite ? abs(got - ref) / allowed : .infinity)
                    }
                }
            }
        }
        return worst
    }

    /// Shapes: a single key, token counts across the 16-key panels and 8-row tiles and their tails,
    /// odd head sizes (padding pairs), several query blocks per head, CLIP's 50 tokens.
    static let shapes: [(batch: Int, tokens: Int, heads: Int, headDim: Int, block: Int?)] = [
        (1, 1, 1, 64, nil), (1, 7, 2, 8, nil), (2, 17, 3, 16, nil), (1, 33, 2, 64, 8), (2, 50, 2, 64, nil),
        (1, 40, 3, 24, 16), (1, 19, 2, 63, 8), (1, 9, 1, 1, nil), (1, 70, 1, 33, 24),
    ]

    @Test func bf16AttentionMatchesTheDoubleReferenceOnEveryPath() {
        for portable in Self.paths.map({ !$0 }) {
            for (n, s) in Self.shapes.enumerated() {
                for spread: Float in [1, 6] {  // spread 6: peaked softmax rows
                    let w = Self.worstError(batch: s.batch, tokens: s.tokens, heads: s.heads, headDim: s.headDim, block: s.block,
                                            portable: portable, spread: spread, seed: UInt64(n * 10 + Int(spread)))
                    #expect(w <= 1, "\(portable ? "portable" : "avx512bf16") shape \(s) spread \(spread): error \(w) x the bound")
                }
            }
        }
    }

    /// The AVX512_BF16 kernels and the portable loops round the same way: the same outputs up to
    /// fp32 summation order and the exp polynomial (far below one bf16 step).
    @Test func avx512AndPortableAgree() {
        guard ReducedAttention.hasKernel else { return }
        var rng = TestRNG(77)
        let (tokens, heads, hd) = (45, 2, 64), d = heads * hd
        let qkv = rng.tensor([1, tokens, 3 * d], scale: 2)
        func run(_ portable: Bool) -> [Float] {
            let out = Tensor(zeros: [1, tokens, d])
            QuantizedGEMM.forceBF16Portable(portable)
            defer { QuantizedGEMM.forceBF16Portable(false) }
            ReducedAttention.attention(q: StridedRows(qkv, column: 0), k: StridedRows(qkv, column: d), v: StridedRows(qkv, column: 2 * d),
                                       out: StridedRows(out), batch: 1, queryLength: tokens, keyLength: tokens, heads: heads,
                                       headDim: hd, scale: 0.125)
            return out.values
        }
        #expect(maxAbsDiff(run(false), run(true)) < 2e-3)
    }

    /// A reduced-precision layer uses the bf16 attention where it runs, and an fp32 layer is exact
    /// again afterwards (fp32 never takes the reduced path).
    @Test func encoderLayerSwitchesAttentionWithItsPrecision() throws {
        let shape = TransformerShape(hidden: 32, intermediate: 64, layers: 1, heads: 2, activation: .quickGELU, layerNormEps: 1e-5)
        let layer = try EncoderLayer(WeightLoader.random(seed: 5).scoped("x"), shape: shape)
        var rng = TestRNG(9)
        let input = rng.tensor([2, 20, 32])
        func run() -> [Float] {
            let h = Tensor(shape: input.shape, values: input.values)
            layer.forward(h, mask: .none, workspace: Workspace())
            return h.values
        }
        let fp32 = run()
        layer.setPrecision(.bf16)
        let reduced = run()
        ReducedAttention.isEnabled = false
        let linearsOnly = run()
        ReducedAttention.isEnabled = true
        layer.setPrecision(.fp32)
        #expect(run() == fp32)
        #expect(maxAbsDiff(reduced, fp32) < 0.05)
        if QuantizedGEMM.bf16Runs { #expect(reduced != linearsOnly) }
    }
}
}
