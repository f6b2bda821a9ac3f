import ArgumentParser
import Foundation
import VLMCore

/// `vlmnode bench gemm`: the packed-weight kernel against `cblas_sgemm` (through `BLAS.sgemm`, the
/// configured threading) on the Linear shapes of the CLIP family, with hot and cold weights.
struct BenchGemmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "Packed-weight sgemm vs cblas_sgemm, GFLOP/s on the models' Linear shapes (y = x · Wᵀ).",
        discussion: """
            "hot": one weight, cache-resident after the first call; "cold": a rotation of weight \
            copies larger than the L3 cache, as in a forward pass that reads every weight once. \
            Medians of alternated calls; "per core" divides by CPU time (all threads), which is \
            what to compare while other processes load the machine.
            """)

    @Option(help: "Seconds of calls per measurement.") var seconds = 0.25
    @Option(help: "A CLIP model folder: report RSS after forwards with BLAS, then packed weights (instead of the GFLOP/s table, so that its buffers do not blur the figures).")
    var model: String?
    @Flag(help: "Instead: packed fp32 vs bf16 vs int8 on every int8 kernel path this CPU runs (docs/precision.md).")
    var precisionTable = false

    /// M x K x N: ViT-B/32 image (50 tokens), 2 texts of 16 tokens, pooled last-layer rows,
    /// OWL-ViT B/32 at 768 px (577 tokens).
    static let shapes: [(m: Int, k: Int, n: Int)] = [
        (50, 768, 2304), (50, 768, 768), (50, 768, 3072), (50, 3072, 768),
        (32, 512, 1536), (32, 512, 512), (32, 512, 2048), (32, 2048, 512), (2, 768, 3072),
        (577, 768, 2304), (577, 768, 768), (577, 768, 3072), (577, 3072, 768),
    ]

    func run() throws {
        BLAS.configure()
        if let model { return try memory(model) }
        if precisionTable { return printPrecisionTable() }
        print("vlmnode bench gemm: \(BLAS.threadCount) threads, BLAS threading \(BLAS.threading.rawValue), " +
              "packed kernel \(PackedGEMM.hasSIMDKernel ? "AVX2+FMA" : "portable loop")")
        print("load average before: \(Bench.loadAverage())")
        print("   M x    K x    N | hot: packed   blas  ratio | cold: packed   blas  ratio | cold per core (CPU time): packed  blas")
        var totals = [0.0, 0.0]
        for s in Self.shapes {
            let r = measure(m: s.m, k: s.k, n: s.n)
            totals[0] += r.coldPacked.wall; totals[1] += r.coldBLAS.wall
            let flops = 2 * Double(s.m * s.k * s.n) * 1e-9
            func g(_ t: Double) -> Double { flops / t }
            print(String(format: "%4d x %4d x %4d |      %6.1f %6.1f  %4.2fx |       %6.1f %6.1f  %4.2fx |                          %6.1f %5.1f",
                         s.m, s.k, s.n, g(r.hotPacked.wall), g(r.hotBLAS.wall), r.hotBLAS.wall / r.hotPacked.wall,
                         g(r.coldPacked.wall), g(r.coldBLAS.wall), r.coldBLAS.wall / r.coldPacked.wall,
                         g(r.coldPacked.cpu), g(r.coldBLAS.cpu)))
        }
        print(String(format: "sum of cold medians over the shapes: packed %.2f ms, blas %.2f ms (%.2fx)",
                     totals[0] * 1e3, totals[1] * 1e3, totals[1] / totals[0]))
        print("load average after: \(Bench.loadAverage())")
    }

    struct Timing { var wall: Double; var cpu: Double }

    /// Median wall time and CPU time per call of packed and BLAS, alternated in rounds.
    func measure(m: Int, k: Int, n: Int) -> (hotPacked: Timing, hotBLAS: Timing, coldPacked: Timing, coldBLAS: Timing) {
        let copies = max(1, min(16, (96 << 20) / (n * k * 4)))
        var rng = SystemRandomNumberGenerator()
        let x = Tensor(shape: [m, k], values: (0 ..< m * k).map { _ in Float.random(in: -1 ... 1, using: &rng) })
        let weights = (0 ..< copies).map { _ in Tensor(shape: [n, k], values: (0 ..< n * k).map { _ in Float.random(in: -1 ... 1, using: &rng) }) }
        let packed = weights.map { PackedWeight($0) }
        let c = Tensor(zeros: [m, n])
        func packedCall(_ i: Int) {
            PackedGEMM.gemm(m: m, x: x.pointer, ldx: k, weight: packed[i], bias: nil, accumulate: false, c: c.pointer, ldc: n)
        }
        func blasCall(_ i: Int) {
            BLAS.sgemm(transB: true, m: m, n: n, k: k, a: x.pointer, lda: k, b: weights[i].pointer, ldb: k, c: c.pointer, ldc: n)
        }
        func time(_ rounds: Int, _ call: (Int) -> Void, cold: Bool) -> Timing {
            var walls: [Double] = []
            let cpu0 = Bench.cpuSeconds()
            for r in 0 ..< rounds {
                let t = Bench.now()
                call(cold ? r % copies : 0)
                walls.append(Bench.now() - t)
            }
            return Timing(wall: walls.sorted()[walls.count / 2], cpu: (Bench.cpuSeconds() - cpu0) / Double(rounds))
        }
        // Calibrate the round count on one call, then alternate packed and BLAS in 4 slices.
        let once = time(1, packedCall, cold: false).wall
        let rounds = max(4, Int(seconds / 8 / max(once, 1e-6)))
        var hp: [Timing] = [], hb: [Timing] = [], cp: [Timing] = [], cb: [Timing] = []
        for _ in 0 ..< 4 {
            hp.append(time(rounds, packedCall, cold: false)); hb.append(time(rounds, blasCall, cold: false))
            cp.append(time(rounds, packedCall, cold: true)); cb.append(time(rounds, blasCall, cold: true))
        }
        func mid(_ ts: [Timing]) -> Timing {
            Timing(wall: ts.map(\.wall).sorted()[ts.count / 2], cpu: ts.map(\.cpu).sorted()[ts.count / 2])
        }
        withExtendedLifetime((weights, packed, x, c)) {}
        return (mid(hp), mid(hb), mid(cp), mid(cb))
    }
}
