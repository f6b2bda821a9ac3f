import Foundation
import VLMCore

extension BenchGemmCommand {
    /// `--precision-table`: packed fp32 vs bf16 vs int8 on every int8 path this CPU runs (hot
    /// weights, activation quantization included), GFLOP/s or GOP/s on the same shapes.
    func printPrecisionTable() {
        let paths = QuantizedGEMM.availableInt8Paths.filter { QuantizedGEMM.pathName($0) != "portable" }
        print("reduced precision, \(BLAS.threadCount) threads, hot weights, median of alternated calls; CPU \(CPUFeatures.summary)")
        print("   M x    K x    N |   fp32   bf16 | " + paths.map { "int8 " + QuantizedGEMM.pathName($0) }.joined(separator: " | ") + " | best int8 / fp32")
        for s in Self.shapes {
            var rng = SystemRandomNumberGenerator()
            let x = Tensor(shape: [s.m, s.k], values: (0 ..< s.m * s.k).map { _ in Float.random(in: -1 ... 1, using: &rng) })
            let w = Tensor(shape: [s.n, s.k], values: (0 ..< s.n * s.k).map { _ in Float.random(in: -1 ... 1, using: &rng) })
            let c = Tensor(zeros: [s.m, s.n])
            let fp = PackedWeight(w), bf = BF16PackedWeight(w.pointer, n: s.n, k: s.k, ldw: s.k)
            let q8 = Int8PackedWeight(w.pointer, n: s.n, k: s.k, ldw: s.k)
            var calls: [() -> Void] = [
                { PackedGEMM.gemm(m: s.m, x: x.pointer, ldx: s.k, weight: fp, bias: nil, accumulate: false, c: c.pointer, ldc: s.n) },
                { QuantizedGEMM.bf16(m: s.m, x: x.pointer, ldx: s.k, weight: bf, bias: nil, accumulate: false, c: c.pointer, ldc: s.n) },
            ]
            for p in paths {
                calls.append {
                    QuantizedGEMM.forceInt8Path(p)
                    QuantizedGEMM.int8(m: s.m, x: x.pointer, ldx: s.k, weight: q8, bias: nil, accumulate: false, c: c.pointer, ldc: s.n)
                    QuantizedGEMM.forceInt8Path(nil)
                }
            }
            var best = [Double](repeating: .infinity, count: calls.count)
            for _ in 0 ..< 3 {
                for (i, call) in calls.enumerated() {
                    let t = Bench.now()
                    var n = 0
                    repeat { call(); n += 1 } while Bench.now() - t < seconds / 6
                    best[i] = min(best[i], (Bench.now() - t) / Double(n))
                }
            }
            let g = best.map { 2 * Double(s.m * s.k * s.n) * 1e-9 / $0 }
            let int8Best = g.dropFirst(2).max() ?? 0
            print(String(format: "%4d x %4d x %4d | %6.1f %6.1f | ", s.m, s.k, s.n, g[0], g[1])
                  + g.dropFirst(2).map { String(format: "%12.1f", $0) }.joined(separator: " | ")
                  + String(format: " | %5.2fx", int8Best / g[0]))
            withExtendedLifetime((x, w, c, fp, bf, q8)) {}
        }
    }
}
