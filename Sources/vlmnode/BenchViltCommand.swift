import ArgumentParser
import Foundation
import VLMCore
import VLMNode

/// `vlmnode bench vilt`: ViLT-B/32 VQA at real size (dandelin/vilt-b32-finetuned-vqa's config, 3129
/// answers) with random weights, one 384x640 image (12x20 patches) and one 11-token question;
/// PyTorch eager and ONNX Runtime side by side with `--python`; vlmnode fp32/bf16/int8 beside ONNX
/// Runtime int8 (Scripts/bench/precision_reference.py vilt) at the end.
struct BenchViltCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vilt", abstract: "ViLT-B/32 VQA, 384x640 + 1 question: ms, GFLOP/s vs sgemm peak, per-op profile; PyTorch and ORT with --python.")

    @Option(help: "Timed runs (median reported).") var runs = 5
    @Option(help: "Python with torch + transformers (+ onnxruntime): also run Scripts/bench/vilt_reference.py for side-by-side ratios.")
    var python: String?
    @Option(help: "Path of vilt_reference.py.") var referenceScript = "Scripts/bench/vilt_reference.py"
    @Option(help: "ViLT's encoder Linear layers in fp32 (default), bf16 or int8 for the main figures; see docs/precision.md.")
    var precision: Precision = .fp32

    func run() throws {
        BLAS.configure()
        let config = ViltConfiguration.b32VQA()
        let (h, w, tokens) = (384, 640, 11)
        print("vlmnode bench vilt: ViLT-B/32 VQA (\(config.labels.count) answers), random weights, \(w)x\(h) image "
              + "(\((h / 32) * (w / 32)) patches) + 1 question of \(tokens) tokens, \(BLAS.threadCount) threads, GEMM threading \(BLAS.threading.rawValue)")
        print("load average before: \(Bench.loadAverage())")
        var t = Bench.now()
        let model = try ViltForQuestionAnswering(config, weights: .random(seed: 1))
        NodePrecision.apply(precision, to: [model])
        print("build (random weights): \(Bench.ms(Bench.now() - t))")

        var rng = SystemRandomNumberGenerator()
        let pixels = Tensor(shape: [1, 3, h, w], values: (0 ..< 3 * h * w).map { _ in Float.random(in: -1 ... 1, using: &rng) })
        let ids = [101] + (0 ..< tokens - 2).map { _ in Int.random(in: 1000 ..< 30000, using: &rng) } + [102]

        let image = try Bench.median(runs: runs) { _ = try model.imageTokens(pixels) }
        let tokensOnce = try model.imageTokens(pixels)
        let answer = try Bench.median(runs: runs) { _ = try model.answer([ids], image: tokensOnce) }
        let total = try Bench.median(runs: runs) { _ = try model([ids], pixels: pixels) }
        print("image embedding: \(Bench.ms(image))   transformer + head: \(Bench.ms(answer))   forward (image + question): \(Bench.ms(total))  (median of \(runs))")

        let n = tokens + 1 + (h / 32) * (w / 32)
        Profiler.reset(); Profiler.isEnabled = true
        t = Bench.now(); _ = try model([ids], pixels: pixels); let profiled = Bench.now() - t
        Profiler.isEnabled = false
        let issued = Profiler.gemmFlops
        let peak = Bench.sgemmTable([(n, 768, 2304), (n, 768, 3072), (n, 3072, 768), (1024, 1024, 1024)]).peak
        let achieved = issued / total * 1e-9
        print(String(format: "GEMM FLOPs issued per forward: %.2f GFLOP (%d tokens); achieved %.1f GFLOP/s = %.0f%% of the best sgemm above (%.1f GFLOP/s)",
                     issued * 1e-9, n, achieved, 100 * achieved / peak, peak))
        print("per-op profile (one profiled forward, \(Bench.ms(profiled))):")
        Bench.printProfile(total: profiled)
        if let python { try compare(python: python, total: total) }
        try Bench.sideBySide(kind: "vilt", model: model, restore: precision, runs: runs, python: python) {
            _ = try model([ids], pixels: pixels)
        }
        print("load average after: \(Bench.loadAverage())")
    }

    private func compare(python: String, total: Double) throws {
        let json = try Bench.runReference(python: python, script: referenceScript)
        guard let torch = json["torch_s"] as? Double else { throw CLIError("\(referenceScript) printed no PyTorch time") }
        print(String(format: "PyTorch eager, same architecture and input: %@: vlmnode is %.2fx faster", Bench.ms(torch), torch / total))
        if let ort = json["ort_s"] as? Double {
            let diff = (json["ort_max_abs_diff_vs_torch"] as? Double).map { String(format: ", ORT vs PyTorch logits max |diff| %.1e", $0) } ?? ""
            print(String(format: "ONNX Runtime CPU, same graph: %@: vlmnode is %.2fx faster%@", Bench.ms(ort), ort / total, diff))
        } else {
            print("ONNX Runtime: not measured (\(json["ort_error"] as? String ?? "no figure"))")
        }
    }
}
