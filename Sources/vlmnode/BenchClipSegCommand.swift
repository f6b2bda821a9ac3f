import ArgumentParser
import Foundation
import VLMNode
import VLMCore

/// `vlmnode bench clipseg`: CLIPSeg at real sizes with random weights, 352 px and 2 prompts of 16
/// tokens. Two architectures: the published CIDAS/clipseg-rd64-refined (ViT-B/16, refined head; the
/// default) and transformers' `CLIPSegConfig()` defaults (ViT-B/32 patch, single ConvT), which is what
/// ../shared/reference/torch_bench.py timed for its 0.401 s anchor.
struct BenchClipSegCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clipseg", abstract: "CLIPSeg rd64 at 352 px + 2 prompts: ms, GFLOP/s vs sgemm peak, per-op profile.")

    @Option(help: "Timed runs (median reported).") var runs = 5
    @Flag(help: "Use transformers' CLIPSegConfig() defaults (patch 32, single ConvT) instead of rd64-refined.")
    var anchorConfig = false
    @Option(help: "Python with torch + transformers: also run Scripts/bench/clipseg_reference.py for side-by-side ratios.")
    var python: String?
    @Option(help: "Path of clipseg_reference.py.") var referenceScript = "Scripts/bench/clipseg_reference.py"
    @Option(help: PrecisionCLI.help) var precision: Precision = .fp32

    func run() throws {
        BLAS.configure()
        let config = anchorConfig ? CLIPSegConfiguration() : CLIPSegConfiguration.rd64Refined
        let v = config.visionConfig, size = 352, grid = size / v.patchSize
        print("vlmnode bench clipseg: \(anchorConfig ? "CLIPSegConfig() defaults" : "rd64-refined") (ViT-B/\(v.patchSize), \(grid)x\(grid) grid, "
              + "\(config.useComplexTransposedConvolution ? "refined" : "single ConvT") head), random weights, \(size) px + 2 prompts x 16 tokens, "
              + "\(BLAS.threadCount) threads, GEMM threading \(BLAS.threading.rawValue)")
        print("load average before: \(Bench.loadAverage()); CPU \(CPUFeatures.summary)")
        var t = Bench.now()
        let model = try CLIPSegModel(config, weights: .random(seed: 1))
        NodePrecision.apply(precision, to: [model])
        print("build (random weights): \(Bench.ms(Bench.now() - t))")

        var rng = SystemRandomNumberGenerator()
        let one = Tensor(shape: [1, 3, size, size], values: (0 ..< 3 * size * size).map { _ in Float.random(in: -2 ... 2, using: &rng) })
        let two = Tensor(zeros: [2, 3, size, size])
        two[0].assign(one[0]); two[1].assign(one[0])
        let ids = (0 ..< 2).map { _ in (0 ..< 15).map { _ in Int.random(in: 0 ..< 49000, using: &rng) } + [49407] }

        let cond = try model.conditionalEmbeddings(ids)
        let text = try Bench.median(runs: runs) { _ = try model.conditionalEmbeddings(ids) }
        let vision = try Bench.median(runs: runs) { _ = try model.activations(one) }
        let decode = try { () throws -> Double in
            let acts = try model.activations(one)
            return Bench.median(runs: runs) { _ = model.decoder.forward(activations: acts, conditioning: cond, grid: (grid, grid)) }
        }()
        let shared = try Bench.median(runs: runs) { _ = try model(pixels: one, ids: ids) }
        let batched = try Bench.median(runs: runs) { _ = try model(pixels: two, ids: ids) }
        print("2 prompts: \(Bench.ms(text))   vision to layer \(config.extractLayers.max()! + 1) of \(v.numHiddenLayers): \(Bench.ms(vision))   decoder + head: \(Bench.ms(decode))")
        print("forward, 1 image shared by 2 prompts: \(Bench.ms(shared))   2 images (transformers' batching): \(Bench.ms(batched))  (median of \(runs))")

        let nominal = Self.flops(config, size: size, images: 2, layers: v.numHiddenLayers, texts: 2, tokens: 16)
        Profiler.reset(); Profiler.isEnabled = true
        t = Bench.now(); _ = try model(pixels: one, ids: ids); let profiled = Bench.now() - t
        Profiler.isEnabled = false
        let issued = Profiler.gemmFlops
        let tokens = grid * grid + 1
        let peak = Bench.sgemmTable([(tokens, 768, 2304), (tokens, 768, 3072), (tokens, 3072, 768), (1024, 1024, 1024)]).peak
        let achieved = issued / shared * 1e-9
        print(String(format: "GEMM FLOPs issued per forward (1 shared image): %.2f GFLOP; transformers' forward (2 images, all %d layers): %.2f GFLOP",
                     issued * 1e-9, v.numHiddenLayers, nominal * 1e-9))
        print(String(format: "achieved: %.1f GFLOP/s issued = %.0f%% of the best sgemm above (%.1f GFLOP/s); transformers-equivalent %.1f GFLOP/s",
                     achieved, 100 * achieved / peak, peak, nominal / shared * 1e-9))
        print("per-op profile (one profiled forward, \(Bench.ms(profiled))):")
        Bench.printProfile(total: profiled)
        print("reference: PyTorch 2.15 eager, 2 threads, CLIPSegConfig() defaults, 2 x 352 px + 2 prompts: 0.401 s (../shared/reference/anchors.md)")
        // 2 images + 2 prompts, transformers' batching (precision_reference.py uses rd64-refined).
        try Bench.sideBySide(kind: "clipseg", model: model, restore: precision, runs: runs, python: anchorConfig ? nil : python) {
            _ = try model(pixels: two, ids: ids)
        }
        if let python { try compare(python: python, shared: shared, batched: batched) }
        print("load average after: \(Bench.loadAverage())")
    }

    /// GEMM FLOPs (2 per multiply-add) of transformers' forward: every vision layer on every image,
    /// the text tower, the decoder and the head.
    static func flops(_ c: CLIPSegConfiguration, size: Int, images: Int, layers: Int, texts: Int, tokens: Int) -> Double {
        func tower(_ s: TransformerShape, _ n: Int, _ b: Int, _ l: Int) -> Double {
            let d = Double(s.hidden), i = Double(s.intermediate), nn = Double(n)
            return Double(b) * Double(l) * (2 * nn * d * (4 * d + 2 * i) + 4 * nn * nn * d)
        }
        let v = c.visionConfig, g = size / v.patchSize, n = g * g + 1
        let patches = Double(images) * 2 * Double(g * g) * Double(3 * v.patchSize * v.patchSize * v.hiddenSize)
        let reduce = Double(images) * Double(c.extractLayers.count) * 2 * Double(n) * Double(v.hiddenSize * c.reduceDim)
        let r = Double(c.reduceDim), up = Double(g * g)
        let head = c.useComplexTransposedConvolution
            ? Double(images) * (2 * up * r * r * 9 + 2 * up * r * (r / 2) * 16 + 2 * up * 16 * (r / 2) * 16)
            : Double(images) * 2 * up * r * Double(v.patchSize * v.patchSize)
        return tower(v.transformer, n, images, layers) + patches + tower(c.textConfig.transformer, tokens, texts, c.textConfig.numHiddenLayers)
            + reduce + tower(c.decoderShape, n, images, c.extractLayers.count) + head
    }

    private func compare(python: String, shared: Double, batched: Double) throws {
        let json = try Bench.runReference(python: python, script: referenceScript)
        guard let torch = json[anchorConfig ? "torch_anchor_s" : "torch_rd64_s"] as? Double else {
            throw CLIError("\(referenceScript) printed no PyTorch time")
        }
        print(String(format: "PyTorch eager, same architecture, 2 images + 2 prompts: %@: vlmnode is %.2fx faster (shared image), %.2fx (2 images)",
                     Bench.ms(torch), torch / shared, torch / batched))
    }
}
