import ArgumentParser
import Foundation
import VLMNode
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
    @Option(help: PrecisionCLI.help) var precision: Precision = .fp32
    @Option(help: "Python with torch + onnxruntime: also time PyTorch, ONNX Runtime fp32 and int8 (Scripts/bench/precision_reference.py).")
    var python: String?

    func run() throws {
        let threads = BLAS.threadCount
        BLAS.configure()
        print("vlmnode bench owlvit: OWL-ViT B/32 random weights, 768 px + \(queries) cached queries x 16 tokens, \(threads) threads, GEMM threading \(BLAS.threading.rawValue)")
        print("load average before: \(Bench.loadAverage()); CPU \(CPUFeatures.summary)")
        let config = OwlViTConfiguration()
        var t = Bench.now()
        let model = try OwlViTForObjectDetection(config, weights: .random(seed: 1))
        NodePrecision.apply(precision, to: [model])
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

        // Both GEMM threading strategies, alternated so that background load hits them alike.
        let chosen = BLAS.threading
        var ab: [BLAS.Threading: [Double]] = [:]
        for _ in 0 ..< 2 {
            for mode in [BLAS.Threading.openblas, .splitColumns] {
                BLAS.threading = mode
                ab[mode, default: []].append(try Bench.median(runs: 1) { _ = model.logits(image: try model.imageFeatures(pixels), queries: embedded) })
            }
        }
        BLAS.threading = chosen
        print("threading A/B, per frame: " + [BLAS.Threading.openblas, .splitColumns].map {
            "\($0.rawValue) \(Bench.ms(ab[$0]!.min()!))" }.joined(separator: ", "))

        // What a node adds per frame before the model: PIL-exact bicubic resize of a 640x480 frame
        // to 768x768, rescale and normalise (the hub checkpoint's preprocessor_config.json).
        let processor = ImageProcessor(config: try ImageProcessorConfig.parse(object: [
            "do_resize": true, "size": size, "resample": 3, "do_center_crop": false, "do_normalize": true,
            "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
        ], file: "owlvit preprocessor_config.json", modelType: "owlvit"))
        let frame640 = RGBImage(width: 640, height: 480, pixels: (0 ..< 640 * 480 * 3).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) })
        let prep = Bench.median(runs: 5) { _ = processor(frame640) }
        print("preprocessing a 640x480 frame to 768x768 (PIL bicubic, normalise): \(Bench.ms(prep))")

        Profiler.reset(); Profiler.isEnabled = true
        t = Bench.now()
        _ = model.logits(image: try model.imageFeatures(pixels), queries: embedded)
        let profiled = Bench.now() - t
        Profiler.isEnabled = false
        let issued = Profiler.gemmFlops

        let shapes: [(Int, Int, Int)] = [(577, 768, 2304), (577, 768, 3072), (577, 3072, 768), (577, 768, 768), (1024, 1024, 1024)]
        let peak = Bench.sgemmTable(shapes).peak
        let nominal = Self.imageFlops(config)
        let achieved = issued / frame * 1e-9
        print(String(format: "GEMM FLOPs per frame: %.1f GFLOP issued (nominal image pass + heads %.1f GFLOP)", issued * 1e-9, nominal * 1e-9))
        print(String(format: "achieved: %.1f GFLOP/s = %.0f%% of the best sgemm above (%.1f GFLOP/s)", achieved, 100 * achieved / peak, peak))
        Self.attentionBreakdown(tokens: config.gridSize * config.gridSize + 1, dim: config.visionConfig.hiddenSize,
                                heads: config.visionConfig.numAttentionHeads)
        print("per-op profile (one profiled frame, \(Bench.ms(profiled))):")
        Bench.printProfile(total: profiled)
        print("peak RSS (getrusage ru_maxrss, whole process): \(Self.peakRSSMiB()) MiB (reference: PyTorch 1321 MiB; target < 900 MiB)")
        // vlmnode reuses the embedded queries (as the detector does); PyTorch and ONNX Runtime run
        // the text tower too (2 x 16 tokens: a few ms of the total).
        try Bench.sideBySide(kind: "owlvit", model: model, restore: precision, runs: runs, python: python) {
            _ = model.logits(image: try model.imageFeatures(pixels), queries: embedded)
        }
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

    /// Where one layer's attention time goes: the whole op, its two GEMMs per head alone, and the
    /// softmax alone (single thread, for the same n x n scores).
    static func attentionBreakdown(tokens n: Int, dim d: Int, heads: Int) {
        let hd = d / heads
        let qkv = Tensor(zeros: [1, n, 3 * d]), out = Tensor(zeros: [1, n, d]), scores = Tensor(zeros: [n * n])
        for i in 0 ..< qkv.count { qkv.pointer[i] = Float(i % 13) * 0.01 - 0.06 }
        let whole = Bench.median(runs: 5) {
            Ops.attention(fusedQKV: qkv, heads: heads, scale: 0.125, into: out, scores: scores)
        }
        let gemms = Bench.median(runs: 5) {
            for h in 0 ..< heads {
                let q = qkv.pointer + h * hd
                BLAS.sgemm(transB: true, m: n, n: n, k: hd, alpha: 0.125, a: q, lda: 3 * d, b: q + d, ldb: 3 * d, c: scores.pointer, ldc: n)
                BLAS.sgemm(m: n, n: hd, k: n, a: scores.pointer, lda: n, b: q + 2 * d, ldb: 3 * d, c: out.pointer + h * hd, ldc: d)
            }
        }
        let softmax = Bench.median(runs: 5) {
            for _ in 0 ..< heads { Ops.softmax(scores.reshaped([n, n])) }
        }
        let flops = 4 * Double(n * n * d)
        print(String(format: "attention, one layer (%d tokens, %d heads): %@ (%.1f GFLOP/s); its GEMMs alone, one thread: %@ (%.1f GFLOP/s); softmax alone, one thread: %@",
                     n, heads, Bench.ms(whole), flops / whole * 1e-9, Bench.ms(gemms), flops / gemms * 1e-9, Bench.ms(softmax)))
        withExtendedLifetime((qkv, out, scores)) {}
    }

    /// Peak resident set of this process in MiB (Linux reports ru_maxrss in KiB).
    static func peakRSSMiB() -> Int {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return u.ru_maxrss / 1024
    }
}
