import Foundation
import Testing
@testable import VLMCore

/// The packed-weight GEMM against a Double reference, on both dispatch paths (AVX2/FMA and the
/// portable loop), and Linear's packed path against its BLAS path.
/// Serialized: the dispatch hook and `PackedGEMM.mode` are process-wide.
@Suite(.serialized) struct PackedGEMMTests {
    /// One product on strided buffers: x (m, k; ldx = k + 3), W (n, k; ldw = k + 1), c (m, n; ldc = n + 5).
    /// Returns the largest error divided by its allowance (fp32 rounding of the summed magnitudes).
    static func worstError(m: Int, n: Int, k: Int, bias: Bool, accumulate: Bool, quickGELU: Bool = false,
                           seed: UInt64) -> Double {
        var rng = TestRNG(seed)
        let ldx = k + 3, ldw = k + 1, ldc = n + 5
        let x = (0 ..< m * ldx).map { _ in rng.next() }
        let w = (0 ..< n * ldw).map { _ in rng.next() }
        let b = (0 ..< n).map { _ in rng.next() }
        var c = (0 ..< m * ldc).map { _ in rng.next() }
        let before = c
        let packed = w.withUnsafeBufferPointer { PackedWeight($0.baseAddress!, n: n, k: k, ldw: ldw) }
        x.withUnsafeBufferPointer { xp in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    PackedGEMM.gemm(m: m, x: xp.baseAddress!, ldx: ldx, weight: packed,
                                    bias: bias ? bp.baseAddress! : nil, accumulate: accumulate,
                                    activation: quickGELU ? .quickGELU : .identity,
                                    c: cp.baseAddress!, ldc: ldc)
                }
            }
        }
        var worst = 0.0
        for i in 0 ..< m {
            for j in 0 ..< ldc {
                let got = Double(c[i * ldc + j])
                guard j < n else {
                    // Padding columns past n are never written.
                    if got != Double(before[i * ldc + j]) { return .infinity }
                    continue
                }
                var sum = 0.0, magnitude = 0.0
                for p in 0 ..< k {
                    let t = Double(x[i * ldx + p]) * Double(w[j * ldw + p])
                    sum += t
                    magnitude += abs(t)
                }
                if bias { sum += Double(b[j]); magnitude += abs(Double(b[j])) }
                if accumulate { sum += Double(before[i * ldc + j]); magnitude += abs(Double(before[i * ldc + j])) }
                // quick_gelu's slope stays below 1.13, so the allowance carries over (doubled for exp).
                if quickGELU { sum /= 1 + Foundation.exp(-1.702 * sum); magnitude *= 2 }
                worst = max(worst, abs(got - sum) / (4e-7 * (magnitude + 1) * Double(max(k, 8)).squareRoot()))
            }
        }
        return worst
    }

    /// Row counts 1…70 (every 6-row tail, MR blocks), K not a multiple of 8 and past the 768 K block,
    /// N not a multiple of 16, bias and accumulate combinations, one product large enough to be split over threads (8 x 130 x 1010).
    static let shapes: [(m: Int, n: Int, k: Int)] = {
        var s = (1 ... 70).map { m in (m: m, n: [1, 15, 16, 17, 33, 50][m % 6], k: [1, 7, 13, 64, 100][m % 5]) }
        s += [(5, 40, 769), (13, 17, 1601), (250, 20, 9), (241, 33, 30), (8, 130, 1010), (2, 24, 2700)]
        return s
    }()

    func checkAllShapes(portable: Bool) {
        PackedGEMM.forcePortableKernel(portable)
        defer { PackedGEMM.forcePortableKernel(false) }
        for (index, s) in Self.shapes.enumerated() {
            // Variants: bit 0 bias, bit 1 accumulate; 4 and 5: quick_gelu fused (without/with bias).
            for variant in [0, 1, 2, 3, 4, 5] {
                let e = Self.worstError(m: s.m, n: s.n, k: s.k, bias: variant & 1 != 0, accumulate: variant & 2 != 0,
                                        quickGELU: variant >= 4, seed: UInt64(index * 8 + variant))
                #expect(e <= 1, "m \(s.m) n \(s.n) k \(s.k) variant \(variant) (bias 1, accumulate 2, quick_gelu 4): error \(e)x allowed")
            }
        }
    }

    @Test func simdKernelMatchesDoubleReference() {
        // On a CPU without AVX2/FMA this runs the portable loop twice; say so instead of passing silently.
        withKnownIssue("no AVX2/FMA on this CPU: the SIMD kernel cannot be tested here", isIntermittent: true) {
            #expect(PackedGEMM.hasSIMDKernel)
        }
        checkAllShapes(portable: false)
    }

    @Test func portableKernelMatchesDoubleReference() {
        PackedGEMM.forcePortableKernel(true)
        #expect(!PackedGEMM.hasSIMDKernel)
        PackedGEMM.forcePortableKernel(false)
        checkAllShapes(portable: true)
    }

    @Test func zeroDepthWritesBiasOrKeepsOutput() {
        #expect(Self.worstError(m: 7, n: 19, k: 0, bias: true, accumulate: false, seed: 9) <= 1)
        #expect(Self.worstError(m: 7, n: 19, k: 0, bias: true, accumulate: true, seed: 10) <= 1)
    }

    /// Linear's packed path (bias fused, activation after, residual accumulate) equals its BLAS path.
    @Test func linearPackedPathMatchesBLASPath() {
        var rng = TestRNG(77)
        let linear = Linear(weight: rng.tensor([45, 70]), bias: rng.tensor([45]))
        let x = rng.tensor([2, 19, 70])
        let residual = rng.tensor([2, 19, 45])
        func run(_ mode: PackedGEMM.Mode) -> [[Float]] {
            let saved = PackedGEMM.mode
            PackedGEMM.mode = mode
            defer { PackedGEMM.mode = saved }
            let plain = linear(x), gelu = linear(x, activation: .quickGELU)
            let acc = residual.copy()
            linear.forward(x, into: acc, accumulate: true)
            return [plain.values, gelu.values, acc.values]
        }
        let blas = run(.blas)
        #expect(linear.packedBytes == 0)
        let packed = run(.packed)
        #expect(linear.packedBytes == 48 * 70 * 4)
        for (p, b) in zip(packed, blas) { #expect(maxAbsDiff(p, b) < 1e-4) }
        // And the packed result is not trivially the residual (the product really happened).
        #expect(maxAbsDiff(packed[2], residual.values) > 0.1)
    }
}
