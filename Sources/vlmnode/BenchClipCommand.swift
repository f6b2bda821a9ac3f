import ArgumentParser
import Foundation
import VLMNode
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
    @Option(help: PrecisionCLI.help) var precision: Precision = .fp32

    func run() throws {
        let threads = BLAS.threadCount
        BLAS.configure()
        print("vlmnode bench clip: ViT-B/32 random weights, 1 image 224 px + 2 texts x 16 tokens, \(threads) threads, GEMM threading \(BLAS.threading.rawValue)")
        print("load average before: \(Bench.loadAverage()); CPU \(CPUFeatures.summary)")
        let config = CLIPConfiguration()
        var t = Bench.now()
        let model = try CLIPModel(config, weights: .random(seed: 1))
        NodePrecision.apply(precision, to: [model])
        print("build (random weights): \(Bench.ms(Bench.now() - t))")

        var rng = SystemRandomNumberGenerator()
        let pixels = Tensor(shape: [1, 3, 224, 224], values: (0 ..< 3 * 224 * 224).map { _ in Float.random(in: -2 ... 2, using: &rng) })
        let ids = (0 ..< 2).map { _ in (0 ..< 15).map { _ in Int.random(in: 0 ..< 49000, using: &rng) } + [49407] }

        let image = try Bench.median(runs: runs) { _ = try model.imageFeatures(pixels) }
        let text = try Bench.median(runs: runs) { _ = try model.textFeatures(ids) }
        let cpu0 = Bench.cpuSeconds()
        let total = try Bench.median(runs: runs) { _ = try model(pixels: pixels, ids: ids) }
        let cpuPerForward = (Bench.cpuSeconds() - cpu0) / Double(runs + 1)
        print("image: \(Bench.ms(image))   2 texts: \(Bench.ms(text))   image + 2 texts: \(Bench.ms(total))  (median of \(runs)); CPU time per forward \(Bench.ms(cpuPerForward)) (all threads)")

        try Bench.threadingAB("image + 2 texts", runs: 3) { _ = try model(pixels: pixels, ids: ids) }

        // Packed-weight kernel vs OpenBLAS for the Linear layers (VLMNODE_GEMM), alternated likewise.
        let chosenGEMM = PackedGEMM.mode
        var gemmAB: [PackedGEMM.Mode: [Double]] = [:]
        var gemmCPU: [PackedGEMM.Mode: Double] = [:]
        for _ in 0 ..< 3 {
            for mode in [PackedGEMM.Mode.blas, .packed] {
                PackedGEMM.mode = mode
                let c0 = Bench.cpuSeconds()
                gemmAB[mode, default: []].append(try Bench.median(runs: 5) { _ = try model(pixels: pixels, ids: ids) })
                gemmCPU[mode, default: 0] += (Bench.cpuSeconds() - c0) / 18
            }
        }
        PackedGEMM.mode = chosenGEMM
        print("Linear GEMM A/B, image + 2 texts (median of 3 medians; CPU time per forward): " + [PackedGEMM.Mode.blas, .packed].map {
            "\($0.rawValue) \(Bench.ms(gemmAB[$0]!.sorted()[1])) (CPU \(Bench.ms(gemmCPU[$0]!)))" }.joined(separator: ", ")
            + "; this run uses \(chosenGEMM.rawValue)\(chosenGEMM == .auto ? (PackedGEMM.hasSIMDKernel ? " = packed" : " = blas") : "")")

        // Nominal FLOPs of the full forward (what PyTorch computes), and what we actually issue.
        let nominal = Self.flops(config, tokens: 16, texts: 2)
        Profiler.reset(); Profiler.isEnabled = true
        t = Bench.now(); _ = try model(pixels: pixels, ids: ids); let profiled = Bench.now() - t
        Profiler.isEnabled = false
        let issued = Profiler.gemmFlops

        let shapes: [(Int, Int, Int)] = [(50, 768, 2304), (50, 768, 3072), (50, 3072, 768), (32, 512, 1536),
                                         (32, 512, 2048), (577, 768, 2304), (577, 768, 3072), (1024, 1024, 1024)]
        let (peak, modelPeak) = Bench.sgemmTable(shapes) { $0 <= 50 }
        let achieved = issued / total * 1e-9
        print(String(format: "GEMM FLOPs issued per forward: %.2f GFLOP (nominal full forward %.2f GFLOP)", issued * 1e-9, nominal * 1e-9))
        print(String(format: "achieved: %.1f GFLOP/s issued (%.1f nominal-equivalent) = %.0f%% of the best sgemm above (%.1f), %.0f%% of the best at the model's own shapes (%.1f)",
                     achieved, nominal / total * 1e-9, 100 * achieved / peak, peak, 100 * achieved / modelPeak, modelPeak))
        Bench.printKernelThroughput()
        print("per-op profile (one profiled forward, \(Bench.ms(profiled))):")
        Bench.printProfile(total: profiled)
        try Bench.sideBySide(kind: "clip", model: model, restore: precision, runs: runs, python: python) {
            _ = try model(pixels: pixels, ids: ids)
        }
        if let python {
            try compare(python: python) {
                // Re-measured right after the reference ran, so both sides saw similar background load.
                let after = try Bench.median(runs: runs) { _ = try model(pixels: pixels, ids: ids) }
                print("vlmnode image + 2 texts: \(Bench.ms(total)) before, \(Bench.ms(after)) right after the reference (the ratios use this one)")
                return after
            }
        }
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

    private func compare(python: String, remeasure: () throws -> Double) throws {
        let json = try Bench.runReference(python: python, script: referenceScript)
        let total = try remeasure()
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
