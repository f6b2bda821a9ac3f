import ArgumentParser
import Foundation
import VLMCore

/// `vlmnode bench owlvit`: OWL-ViT B/32 at its real sizes (768 px, 24x24 patches) with random
/// weights, 2 text queries embedded once (cached, as the detector does), then ms per frame for the
/// image pass + scoring. The workload of ../shared/reference/torch_bench.py and ort_bench.py, except
/// that those rerun the text tower every forward (a few ms at 2 x 16 tokens).
struct BenchOwlViTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "owlvit",
        abstract: "OWL-ViT B/32 at 768 px: ms per frame with cached text, GFLOP/s vs sgemm peak, peak RSS, per-op profile.")

    @Option(help: "Timed runs (median reported).") var runs = 7
    @Option(help: "Number of text queries (16 tokens each).") var queries = 2

    func run() throws {
        let threads = BLAS.threadCount
        BLAS.configure()
        print("vlmnode bench owlvit: OWL-ViT B/32 random weights, 768 px + \(queries) cached queries x 16 tokens, \(threads) threads, GEMM threading \(BLAS.threading.rawValue)")
        print("load average before: \(Bench.loadAverage())")
        let config = OwlViTConfiguration()
        var t = Bench.now()
        let model = try OwlViTForObjectDetection(config, weights: .random(seed: 1))
        print("build (random weights): \(Bench.ms(Bench.now() - t)); peak RSS so far \(Self.peakRSSMiB()) MiB")

        var rng = SystemRandomNumberGenerator()
        let size = config.visionConfig.imageSize
        let pixels = Tensor(shape: [1, 3, size, size], values: (0 ..< 3 * size * size).map { _ in Float.random(in: -2 ... 2, using: &rng) })
        let ids = (0 ..< queries).map { _ in [49406] + (0 ..< 14).map { _ in Int.random(in: 0 ..< 49000, using: &rng) } + [49407] }

        t = Bench.now()
        let embedded = try model.queries(ids)
        print("text queries embedded once: \(Bench.ms(Bench.now() - t)) (first call, cached afterwards)")

        let cpu0 = Bench.cpuSeconds()
        let frame = try Bench.median(runs: runs) {
            _ = model.logits(image: try model.imageFeatures(pixels), queries: embedded)
        }
        let cpuPerFrame = (Bench.cpuSeconds() - cpu0) / Double(runs + 1)
        print("per frame (image pass + scoring against cached queries): \(Bench.ms(frame)) median of \(runs); CPU time per frame \(Bench.ms(cpuPerFrame)) (all threads)")
        print(String(format: "reference on this machine kind (2 threads): PyTorch eager 995 ms (vlmnode %.2fx faster), ONNX Runtime 750 ms (%.2fx)",
                     0.995 / frame, 0.750 / frame))

        Profiler.reset(); Profiler.isEnabled = true
        t = Bench.now()
        _ = model.logits(image: try model.imageFeatures(pixels), queries: embedded)
        let profiled = Bench.now() - t
        Profiler.isEnabled = false
        let issued = Profiler.gemmFlops

        let shapes: [(Int, Int, Int)] = [(577, 768, 2304), (577, 768, 3072), (577, 3072, 768), (577, 768, 768), (1024, 1024, 1024)]
        var peak = 0.0
        print("cblas_sgemm x · Wᵀ (\(threads) threads, \(BLAS.threading.rawValue)), M x K x N:")
        for (m, k, n) in shapes {
            let g = Bench.sgemmGFLOPs(m: m, k: k, n: n)
            peak = max(peak, g)
            print(String(format: "  %4dx%4dx%4d  %6.1f GFLOP/s", m, k, n, g))
        }
        let nominal = Self.imageFlops(config)
        let achieved = issued / frame * 1e-9
        print(String(format: "GEMM FLOPs per frame: %.1f GFLOP issued (nominal image pass + heads %.1f GFLOP)", issued * 1e-9, nominal * 1e-9))
        print(String(format: "achieved: %.1f GFLOP/s = %.0f%% of the best sgemm above (%.1f GFLOP/s)", achieved, 100 * achieved / peak, peak))
        print("per-op profile (one profiled frame, \(Bench.ms(profiled))):")
        Bench.printProfile(total: profiled)
        print("peak RSS (getrusage ru_maxrss, whole process): \(Self.peakRSSMiB()) MiB (reference: PyTorch 1321 MiB; target < 900 MiB)")
        print("load average after: \(Bench.loadAverage())")
    }

    /// GEMM FLOPs of the image side (2 per multiply-add): patch embedding, 12 layers at 577 tokens
    /// (projections, MLP, both attention products) and the heads on 576 patches.
    static func imageFlops(_ c: OwlViTConfiguration) -> Double {
        let v = c.visionConfig, g = Double(c.gridSize), n = g * g + 1, d = Double(v.hiddenSize), i = Double(v.intermediateSize)
        let layer = 2 * n * d * (4 * d + 2 * i) + 2 * 2 * n * n * d
        let patches = 2 * g * g * Double(v.numChannels * v.patchSize * v.patchSize) * d
        let heads = 2 * g * g * d * (2 * d + 4 + Double(c.textConfig.hiddenSize) + 2)
        return Double(v.numHiddenLayers) * layer + patches + heads
    }

    /// Peak resident set of this process in MiB (Linux reports ru_maxrss in KiB).
    static func peakRSSMiB() -> Int {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return u.ru_maxrss / 1024
    }
}
