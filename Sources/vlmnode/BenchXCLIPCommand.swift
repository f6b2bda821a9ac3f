import ArgumentParser
import Foundation
import VLMNode
import VLMCore

/// `vlmnode bench xclip`: X-CLIP B/32 at its real sizes with random weights, 8 frames of 224 px,
/// 2 prompts (the workload of ../shared/reference/torch_bench.py and ort_bench.py).
struct BenchXCLIPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xclip",
        abstract: "X-CLIP B/32, 8 frames: ms per window with cached text, GFLOP/s vs sgemm peak, per-op profile.")

    @Option(help: "Timed runs (median reported).") var runs = 10
    @Option(help: "Python with torch + onnxruntime: also run Scripts/bench/xclip_reference.py for side-by-side ratios.")
    var python: String?
    @Option(help: "Path of xclip_reference.py.") var referenceScript = "Scripts/bench/xclip_reference.py"
    @Option(help: PrecisionCLI.help) var precision: Precision = .fp32

    func run() throws {
        let threads = BLAS.threadCount
        BLAS.configure()
        print("vlmnode bench xclip: X-CLIP B/32 random weights, 8 frames x 224 px + 2 prompts, \(threads) threads, GEMM threading \(BLAS.threading.rawValue)")
        print("load average before: \(Bench.loadAverage()); CPU \(CPUFeatures.summary)")
        let config = XCLIPConfiguration()
        var t = Bench.now()
        let model = try XCLIPModel(config, weights: .random(seed: 1))
        NodePrecision.apply(precision, to: [model])
        print("build (random weights): \(Bench.ms(Bench.now() - t))")

        var rng = SystemRandomNumberGenerator()
        let (frames, size) = (config.visionConfig.numFrames, config.visionConfig.imageSize)
        let pixels = Tensor(shape: [1, frames, 3, size, size],
                            values: (0 ..< frames * 3 * size * size).map { _ in Float.random(in: -2 ... 2, using: &rng) })
        // Two prompts of 16 tokens (bos, 14 words, eos): pooled at argmax = the eos.
        let ids = (0 ..< 2).map { _ in [49406] + (0 ..< 14).map { _ in Int.random(in: 0 ..< 49000, using: &rng) } + [49407] }
        let text = try model.textFeatures(ids)

        let cpu0 = Bench.cpuSeconds()
        let window = try Bench.median(runs: runs) { _ = model.logits(video: try model.videoFeatures(pixels), text: text) }
        // CPU seconds per window (all threads): less sensitive than wall time to other processes' load.
        let cpuPerWindow = (Bench.cpuSeconds() - cpu0) / Double(runs + 1)
        let textOnly = try Bench.median(runs: runs) { _ = try model.textFeatures(ids) }
        let full = try Bench.median(runs: runs) { _ = try model(pixels: pixels, ids: ids) }
        print("window with cached text: \(Bench.ms(window))   2 texts: \(Bench.ms(textOnly))   full forward (8 frames + 2 texts): \(Bench.ms(full))  (median of \(runs)); CPU time per window \(Bench.ms(cpuPerWindow)) (all threads)")
        print(String(format: "reference (2 threads, this machine kind): PyTorch eager 694 ms, ONNX Runtime 424 ms per full forward -> vlmnode full forward %.2fx PyTorch, %.2fx ONNX Runtime; window with cached text %.2fx ONNX Runtime",
                     0.694 / full, 0.424 / full, 0.424 / window))

        try Bench.threadingAB("window with cached text", runs: 2) {
            _ = model.logits(video: try model.videoFeatures(pixels), text: text)
        }

        let nominal = Self.flops(config, frames: frames)
        Profiler.reset(); Profiler.isEnabled = true
        t = Bench.now(); _ = model.logits(video: try model.videoFeatures(pixels), text: text); let profiled = Bench.now() - t
        Profiler.isEnabled = false
        let issued = Profiler.gemmFlops

        let shapes: [(Int, Int, Int)] = [(408, 768, 2304), (408, 768, 3072), (408, 3072, 768), (408, 768, 768),
                                         (577, 768, 2304), (1024, 1024, 1024)]
        let (peak, modelPeak) = Bench.sgemmTable(shapes) { $0 == 408 }
        let achieved = issued / window * 1e-9
        print(String(format: "GEMM FLOPs issued per window: %.2f GFLOP (nominal video side %.2f GFLOP)", issued * 1e-9, nominal * 1e-9))
        print(String(format: "achieved: %.1f GFLOP/s issued = %.0f%% of the best sgemm above (%.1f), %.0f%% of the best at the model's own shapes (%.1f)",
                     achieved, 100 * achieved / peak, peak, 100 * achieved / modelPeak, modelPeak))
        print("per-op profile (one profiled window, \(Bench.ms(profiled))):")
        Bench.printProfile(total: profiled)
        // The full forward (text included), as ONNX Runtime and PyTorch run it.
        try Bench.sideBySide(kind: "xclip", model: model, restore: precision, runs: runs, python: python) {
            _ = try model(pixels: pixels, ids: ids)
        }
        if let python {
            try compare(python: python) {
                // Re-measured right after the reference ran, so both sides saw similar background load.
                let after = try Bench.median(runs: runs) { _ = try model(pixels: pixels, ids: ids) }
                print("vlmnode full forward: \(Bench.ms(full)) before, \(Bench.ms(after)) right after the reference (the ratios use this one)")
                return after
            }
        }
        print("load average after: \(Bench.loadAverage())")
    }

    private func compare(python: String, remeasure: () throws -> Double) throws {
        let json = try Bench.runReference(python: python, script: referenceScript)
        let total = try remeasure()
        if let torch = json["torch_total_s"] as? Double {
            print(String(format: "PyTorch eager: 8 frames + 2 texts %@: vlmnode is %.2fx faster", Bench.ms(torch), torch / total))
        }
        if let ort = json["ort_total_s"] as? Double {
            print(String(format: "ONNX Runtime:  8 frames + 2 texts %@: vlmnode is %.2fx faster", Bench.ms(ort), ort / total))
        } else if let err = json["ort_error"] as? String {
            print("ONNX Runtime: not measured (\(err))")
        }
    }

    /// GEMM FLOPs of the video side as transformers computes it (2 per multiply-add): frame encoder
    /// with the message token in attention, messages, MIT, prompt features and the prompt generator.
    static func flops(_ c: XCLIPConfiguration, frames t: Int, prompts k: Int = 2) -> Double {
        let v = c.visionConfig, grid = v.imageSize / v.patchSize
        let n = Double(grid * grid + 1), tt = Double(t), d = Double(v.hiddenSize), i = Double(v.intermediateSize)
        let p = Double(c.projectionDim), m = Double(grid * grid), kk = Double(k)
        let patches = 2 * tt * m * Double(v.numChannels * v.patchSize * v.patchSize) * d
        let perLayer = 2 * tt * (n + 1) * d * 3 * d + 2 * 2 * tt * (n + 1) * (n + 1) * d  // qkv on n+1 tokens, scores + context
            + 2 * tt * (n + 1) * d * d + 2 * tt * n * d * 2 * i                              // out_proj, MLP on n tokens
            + 2 * tt * d * d + 2 * tt * d * 4 * d + 2 * 2 * tt * tt * d                       // message_fc, message_attn
        let mit = Double(v.mitNumHiddenLayers) * (2 * tt * p * 4 * p + 2 * tt * p * 2 * Double(v.mitIntermediateSize) + 4 * tt * tt * p)
        let prompt = 2 * tt * m * d * p  // prompts_visual_projection on every frame
        let generator = Double(c.promptLayers) * (2 * kk * p * 2 * p + 2 * 2 * m * p * p + 4 * kk * m * p + 2 * kk * p * 8 * p)
        return patches + Double(v.numHiddenLayers) * perLayer + 2 * tt * d * p + mit + prompt + generator
    }
}
