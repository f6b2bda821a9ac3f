import ArgumentParser
import Foundation
import VLMCore

/// `vlmnode bench clip`: CLIP ViT-B/32 at its real sizes with random weights, 1 image 224 px +
/// 2 texts of 16 tokens (the workload of ../shared/reference/torch_bench.py and ort_bench.py).
struct BenchClipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip", abstract: "CLIP ViT-B/32: ms per image and text batch, GFLOP/s vs sgemm peak, per-op profile.")

    @Option(help: "Timed runs (median reported).") var runs = 20
    @Option(help: "Python with torch + onnxruntime: also run Scripts/bench/clip_reference.py for side-by-side ratios.")
    var python: String?
    @Option(help: "Path of clip_reference.py.") var referenceScript = "Scripts/bench/clip_reference.py"

    func run() throws {
        let threads = BLAS.threadCount
        print("vlmnode bench clip: ViT-B/32 random weights, 1 image 224 px + 2 texts x 16 tokens, \(threads) BLAS threads")
        print("load average before: \(Bench.loadAverage())")
        let config = CLIPConfiguration()
        var t = Bench.now()
        let model = try CLIPModel(config, weights: .random(seed: 1))
        print("build (random weights): \(Bench.ms(Bench.now() - t))")

        var rng = SystemRandomNumberGenerator()
        let pixels = Tensor(shape: [1, 3, 224, 224], values: (0 ..< 3 * 224 * 224).map { _ in Float.random(in: -2 ... 2, using: &rng) })
        let ids = (0 ..< 2).map { _ in (0 ..< 15).map { _ in Int.random(in: 0 ..< 49000, using: &rng) } + [49407] }

        let image = try Bench.median(runs: runs) { _ = try model.imageFeatures(pixels) }
        let text = try Bench.median(runs: runs) { _ = try model.textFeatures(ids) }
        let total = try Bench.median(runs: runs) { _ = try model(pixels: pixels, ids: ids) }

        // Nominal FLOPs of the full forward (what PyTorch computes), and what we actually issue.
        let nominal = Self.flops(config, tokens: 16, texts: 2)
        Profiler.reset(); Profiler.isEnabled = true
        t = Bench.now(); _ = try model(pixels: pixels, ids: ids); let profiled = Bench.now() - t
        Profiler.isEnabled = false
        let issued = Profiler.gemmFlops
        let profile = Profiler.seconds

        print("image: \(Bench.ms(image))   2 texts: \(Bench.ms(text))   image + 2 texts: \(Bench.ms(total))  (median of \(runs))")
        let shapes: [(Int, Int, Int)] = [(50, 768, 2304), (50, 768, 3072), (50, 3072, 768), (32, 512, 1536),
                                         (32, 512, 2048), (577, 768, 2304), (577, 768, 3072), (1024, 1024, 1024)]
        let chosen = BLAS.threading
        for mode in [BLAS.Threading.openblas, .splitColumns] {
            BLAS.threading = mode
            var g = [Double](repeating: 0, count: 3)
            for _ in 0 ..< 3 {
                for (i, (m, k, n)) in [(50, 768, 2304), (50, 768, 3072), (50, 3072, 768)].enumerated() {
                    g[i] = max(g[i], Bench.sgemmGFLOPs(m: m, k: k, n: n, seconds: 0.1))
                }
            }
            print(String(format: "threading %@: 50x768x2304 %.1f, 50x768x3072 %.1f, 50x3072x768 %.1f GFLOP/s", mode.rawValue, g[0], g[1], g[2]))
        }
        BLAS.threading = chosen
        var peak = 0.0, modelPeak = 0.0
        print("cblas_sgemm (x · Wᵀ, \(threads) threads), M x K x N:")
        for (m, k, n) in shapes {
            let g = Bench.sgemmGFLOPs(m: m, k: k, n: n)
            peak = max(peak, g)
            if m <= 50 { modelPeak = max(modelPeak, g) }
            print(String(format: "  %4dx%4dx%4d  %6.1f GFLOP/s", m, k, n, g))
        }
        let achieved = issued / total * 1e-9
        print(String(format: "GEMM FLOPs issued per forward: %.2f GFLOP (nominal full forward %.2f GFLOP)", issued * 1e-9, nominal * 1e-9))
        print(String(format: "achieved: %.1f GFLOP/s issued (%.1f nominal-equivalent); %.0f%% of best sgemm peak %.1f, %.0f%% of the best at model shapes %.1f",
                     achieved, nominal / total * 1e-9, 100 * achieved / peak, peak, 100 * achieved / modelPeak, modelPeak))
        Bench.printKernelThroughput()
        print("per-op profile (one profiled forward, \(Bench.ms(profiled))):")
        let gemmInAttention = profile.first { $0.0 == .attention }?.1 ?? 0
        _ = gemmInAttention
        Bench.printProfile(total: profiled)
        if let python { try compare(python: python, total: total, image: image, text: text, threads: threads) }
        print("load average after: \(Bench.loadAverage())")
    }

    /// GEMM FLOPs of a full CLIP forward (2 per multiply-add), attention products included.
    static func flops(_ c: CLIPConfiguration, tokens: Int, texts: Int) -> Double {
        func tower(_ s: TransformerShape, _ n: Int, _ b: Int) -> Double {
            let d = Double(s.hidden), i = Double(s.intermediate), nn = Double(n), bb = Double(b)
            let perLayer = 2 * bb * nn * d * (3 * d + d + 2 * i) + 2 * 2 * bb * nn * nn * d
            return Double(s.layers) * perLayer
        }
        let v = c.visionConfig, grid = v.imageSize / v.patchSize
        let patches = 2 * Double(grid * grid) * Double(v.numChannels * v.patchSize * v.patchSize * v.hiddenSize)
        return tower(v.transformer, grid * grid + 1, 1) + patches + tower(c.textConfig.transformer, tokens, texts)
            + 2 * Double(v.hiddenSize + texts * c.textConfig.hiddenSize) * Double(c.projectionDim)
    }

    private func compare(python: String, total: Double, image: Double, text: Double, threads: Int) throws {
        print("running \(referenceScript) with \(python) (\(threads) threads)…")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [referenceScript, String(threads)]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0, let line = String(data: data, encoding: .utf8)?.split(separator: "\n").last,
              let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw ValidationError("\(referenceScript) failed (exit \(p.terminationStatus))")
        }
        if let torch = json["torch_total_s"] as? Double {
            let ti = json["torch_image_s"] as? Double ?? .nan, tt = json["torch_text_s"] as? Double ?? .nan
            print(String(format: "PyTorch eager: image + 2 texts %@ (image %@, texts %@): vlmnode is %.2fx faster",
                         Bench.ms(torch), Bench.ms(ti), Bench.ms(tt), torch / total))
        }
        if let ort = json["ort_total_s"] as? Double {
            print(String(format: "ONNX Runtime:  image + 2 texts %@: vlmnode is %.2fx faster", Bench.ms(ort), ort / total))
        } else if let err = json["ort_error"] as? String {
            print("ONNX Runtime: not measured (\(err))")
        }
    }
}
