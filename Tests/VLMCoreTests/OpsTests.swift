import Foundation
import Testing
@testable import VLMCore

@Suite struct OpsTests {
    @Test(arguments: [(1, 1, 1), (7, 13, 5), (50, 33, 17), (3, 64, 130)])
    func matmulMatchesNaive(m: Int, k: Int, n: Int) {
        var rng = TestRNG(UInt64(m * 1000 + k * 10 + n))
        let a = rng.tensor([m, k]), b = rng.tensor([k, n])
        let ref = naiveMatmul(a.values, b.values, m: m, k: k, n: n)
        #expect(maxAbsDiff(MatMul.matmul(a, b).values, ref) < 1e-4)
        let bt = Tensor(shape: [n, k], values: transpose(b.values, rows: k, cols: n))
        #expect(maxAbsDiff(MatMul.matmul(a, bt, transposeB: true).values, ref) < 1e-4)
        // Accumulate adds onto what is there.
        let out = Tensor(zeros: [m, n]); out.fill(1)
        MatMul.matmul(a, b, into: out, accumulate: true)
        #expect(maxAbsDiff(out.values, ref.map { $0 + 1 }) < 1e-4)
    }

    @Test func batchedMatmulMatchesPerEntry() {
        var rng = TestRNG(3)
        let a = rng.tensor([3, 5, 7]), b = rng.tensor([3, 7, 4])
        let out = Tensor(zeros: [3, 5, 4])
        MatMul.batchedMatmul(a, b, into: out)
        for i in 0 ..< 3 {
            #expect(maxAbsDiff(out[i].values, naiveMatmul(a[i].values, b[i].values, m: 5, k: 7, n: 4)) < 1e-5)
        }
    }

    @Test func linearWithBiasActivationAndAccumulate() {
        var rng = TestRNG(4)
        let x = rng.tensor([2, 3, 19]), w = rng.tensor([21, 19]), b = rng.tensor([21])
        let lin = Linear(weight: w, bias: b)
        let plain = naiveMatmul(x.values, transpose(w.values, rows: 21, cols: 19), m: 6, k: 19, n: 21)
            .enumerated().map { $0.element + b.values[$0.offset % 21] }
        let y = lin(x, activation: .relu)
        #expect(y.shape == [2, 3, 21])
        #expect(maxAbsDiff(y.values, plain.map { max($0, 0) }) < 1e-5)
        let acc = Tensor(zeros: [6, 21]); acc.fill(0.5)
        lin.forward(x, into: acc, accumulate: true)
        #expect(maxAbsDiff(acc.values, plain.map { $0 + 0.5 }) < 1e-5)
    }

    /// Every length from 1 to 40 exercises the 16-wide body and the padded tail.
    @Test func activationsMatchScalarFormulas() {
        for n in 1 ... 40 {
            let xs = (0 ..< n).map { Float($0) * 0.61 - 12 }
            func check(_ act: Activation, _ f: (Double) -> Double, tol: Float) {
                let t = Tensor(shape: [n], values: xs)
                Ops.activate(t, act)
                let ref = xs.map { Float(f(Double($0))) }
                #expect(maxAbsDiff(t.values, ref) <= tol, "\(act) at length \(n)")
            }
            check(.quickGELU, { $0 / (1 + exp(-1.702 * $0)) }, tol: 2e-6)
            check(.gelu, { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }, tol: 4e-6)
            check(.relu, { max($0, 0) }, tol: 0)
            check(.elu, { $0 < 0 ? exp($0) - 1 : $0 }, tol: 1e-6)
            check(.sigmoid, { 1 / (1 + exp(-$0)) }, tol: 1e-6)
        }
        let big = Tensor(shape: [3], values: [-200, 0, 200])
        Ops.activate(big, .sigmoid)
        #expect(big.values[0] < 1e-30 && big.values[1] == 0.5 && big.values[2] == 1)
    }

    @Test func layerNormMatchesDouble() {
        for d in [1, 5, 16, 33, 768] {
            var rng = TestRNG(UInt64(d))
            let x = rng.tensor([3, d], scale: 4), w = rng.tensor([d]), b = rng.tensor([d])
            let out = Tensor(zeros: [3, d])
            Ops.layerNorm(x, weight: w, bias: b, eps: 1e-5, into: out)
            var ref: [Float] = []
            for r in 0 ..< 3 {
                let row = x[r].values.map(Double.init)
                let mean = row.reduce(0, +) / Double(d)
                let v = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d)
                ref += row.enumerated().map { Float(($0.element - mean) / (v + 1e-5).squareRoot() * Double(w.values[$0.offset]) + Double(b.values[$0.offset])) }
            }
            #expect(maxAbsDiff(out.values, ref) < 1e-4, "d = \(d)")
        }
    }

    @Test func softmaxWithMasks() {
        for n in [1, 7, 16, 37, 50] {
            var rng = TestRNG(UInt64(n + 100))
            let x = rng.tensor([2, n], scale: 30)
            let keep = (0 ..< n).map { $0 % 3 != 1 }
            let plain = x.copy(), masked = x.copy()
            Ops.softmax(plain)
            Ops.softmax(masked, keep: keep)
            for r in 0 ..< 2 {
                let row = x[r].values.map(Double.init)
                func ref(_ use: [Bool]) -> [Float] {
                    let m = zip(row, use).filter(\.1).map(\.0).max() ?? 0
                    let e = zip(row, use).map { $1 ? exp($0 - m) : 0 }
                    let s = e.reduce(0, +)
                    return e.map { Float($0 / s) }
                }
                #expect(maxAbsDiff(plain[r].values, ref(Array(repeating: true, count: n))) < 1e-6)
                #expect(maxAbsDiff(masked[r].values, ref(keep)) < 1e-6)
            }
        }
        let allMasked = Tensor(shape: [3], values: [1, 2, 3])
        Ops.softmax(allMasked, keep: [false, false, false])
        #expect(allMasked.values == [0, 0, 0])
    }

    @Test func l2NormalizeAndElementwise() {
        let x = Tensor(shape: [2, 3], values: [3, 4, 0, 0, 0, 2])
        Ops.l2Normalize(x)
        #expect(maxAbsDiff(x.values, [0.6, 0.8, 0, 0, 0, 1]) < 1e-7)
        let a = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]), row = Tensor(shape: [3], values: [1, 0, -1])
        Ops.addRow(a, row)
        #expect(a.values == [2, 2, 2, 5, 5, 5])
        Ops.mulRow(a, row)
        #expect(a.values == [2, 0, -2, 5, 0, -5])
        let s = a.copy(); Ops.scale(s, by: 2)
        #expect(s.values == [4, 0, -4, 10, 0, -10])
        let m = Tensor(zeros: [2, 3]); Ops.mul(a, s, into: m)
        #expect(m.values == [8, 0, 8, 50, 0, 50])
    }
}

@Suite struct BLASThreadingTests {
    /// Large enough for the split path (columns divided across threads, 16-aligned), both operand layouts.
    @Test(arguments: [false, true])
    func splitColumnsMatchesNaive(transposeB: Bool) {
        let (m, k, n) = (37, 129, 301)
        var rng = TestRNG(transposeB ? 21 : 22)
        let a = rng.tensor([m, k]), b = rng.tensor(transposeB ? [n, k] : [k, n])
        let bPlain = transposeB ? transpose(b.values, rows: n, cols: k) : b.values
        let ref = naiveMatmul(a.values, bPlain, m: m, k: k, n: n)
        let before = BLAS.threading
        defer { BLAS.threading = before }
        for mode in [BLAS.Threading.splitColumns, .openblas] {
            BLAS.threading = mode
            let out = Tensor(zeros: [m, n])
            out.fill(2)
            MatMul.matmul(a, b, transposeB: transposeB, into: out, accumulate: true)
            #expect(maxAbsDiff(out.values, ref.map { $0 + 2 }) < 1e-4, "\(mode)")
        }
    }
}

@Suite struct LargeActivationTests {
    /// 60 x 1500 elements: above the size where the bias + activation pass is shared across threads.
    @Test func largeBiasActivationMatchesScalar() {
        var rng = TestRNG(31)
        let x = rng.tensor([60, 1500], scale: 4), bias = rng.tensor([1500])
        let ref = x.values.enumerated().map { i, v -> Float in
            let z = Double(v + bias.values[i % 1500])
            return Float(z / (1 + exp(-1.702 * z)))
        }
        Ops.addBiasActivate(x, bias: bias, .quickGELU)
        #expect(maxAbsDiff(x.values, ref) < 1e-5)
    }
}
