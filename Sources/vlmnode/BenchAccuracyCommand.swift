import ArgumentParser
import Foundation
import VLMCore

/// `vlmnode bench accuracy`: how far bf16 and int8 move each model's outputs from fp32 on the same
/// inputs, next to ONNX Runtime int8 (quantize_dynamic) on those inputs and weights.
/// Scripts/bench/precision_reference.py writes the inputs (and, for real-size random models, the
/// weights) and measures ORT; this command then runs vlmnode on exactly those files.
struct BenchAccuracyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accuracy",
        abstract: "Deviation of bf16/int8 from fp32 per model (embedding cosine, |Δprob|, box IoU, mask IoU, top-1, VQA answers), beside ORT int8.")

    @Option(help: "Python with torch + onnxruntime: runs precision_reference.py to write inputs/weights and measure ORT int8.")
    var python: String?
    @Option(help: "Path of precision_reference.py.") var referenceScript = "Scripts/bench/precision_reference.py"
    @Option(help: "Models, comma-separated.") var models = "clip,owlvit,xclip,clipseg,vilt"
    @Option(help: "Cases, comma-separated: fixture (the tiny test models), random (real-size random weights), outliers (real-size with injected activation outliers).")
    var cases = "fixture,random,outliers"
    @Option(help: "Folder of the test fixtures.") var fixtures = "Tests/Fixtures/models"
    @Option(help: "Where inputs, weights, ONNX files and the ORT results go (reused without --python).") var workDir = "/tmp/vlmnode-accuracy"

    static let fixtureNames: [PrecisionProbe.Kind: String] = [.clip: "clip-tiny-new", .owlvit: "owlvit-tiny-new",
                                                              .xclip: "xclip-tiny-safetensors", .clipseg: "clipseg-tiny",
                                                              .vilt: "vilt-tiny-safetensors"]

    func run() throws {
        let kinds = try models.split(separator: ",").map { name -> PrecisionProbe.Kind in
            guard let k = PrecisionProbe.Kind(rawValue: String(name)) else { throw ValidationError("unknown model '\(name)' (\(PrecisionProbe.Kind.allCases.map(\.rawValue).joined(separator: ", ")))") }
            return k
        }
        let caseList = cases.split(separator: ",").map(String.init)
        if let bad = caseList.first(where: { !["fixture", "random", "outliers"].contains($0) }) {
            throw ValidationError("unknown case '\(bad)' (fixture, random, outliers)")
        }
        BLAS.configure()
        print("vlmnode bench accuracy: \(BLAS.threadCount) threads; CPU \(CPUFeatures.summary); int8 kernel \(QuantizedGEMM.int8PathName), bf16 \(Precision.bf16.kernelDescription)")
        print("load average before: \(Bench.loadAverage())")
        print("random weights everywhere (no trained checkpoint can be downloaded here); text towers run bf16 in reduced modes, attention bf16 where AVX512_BF16 exists; \"+text\" runs the text tower in int8 (ViLT, one shared encoder: \"+head\", the pooler and answer head), \"fp32 text\" keeps it fp32; \"no smooth\" turns SmoothQuant off")
        for kind in kinds {
            for c in caseList { try measure(kind, c) }
        }
        print("load average after: \(Bench.loadAverage())")
    }

    private func measure(_ kind: PrecisionProbe.Kind, _ variant: String) throws {
        let dir = URL(fileURLWithPath: workDir).appendingPathComponent("\(kind.rawValue)-\(variant)")
        var ort: [String: Any] = [:]
        if let python {
            let source = variant == "fixture" ? "\(fixtures)/\(Self.fixtureNames[kind]!)" : "random"
            ort = try Bench.runScript(python: python, arguments: [referenceScript, kind.rawValue, source, dir.path]
                                      + (variant == "outliers" ? ["--outliers"] : []) + ["--threads", String(BLAS.threadCount)])
        } else if let data = FileManager.default.contents(atPath: dir.appendingPathComponent("result.json").path),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            ort = json  // an earlier run of the script on these inputs
        }
        let (inputs, _, folder) = try PrecisionProbe.Inputs.read(folder: dir)
        func outputs(_ p: Precision, text: Bool = false, fp32Text: Bool = false, smooth: Bool = true) throws -> [Tensor] {
            let saved = Linear.int8Smoothing
            Linear.int8Smoothing = smooth
            defer { Linear.int8Smoothing = saved }
            let model = try PrecisionProbe.Model(kind: kind, folder: folder)
            model.selectable.setPrecision(p, includeText: text)
            if fp32Text { model.textTower?.setPrecision(.fp32) }
            return try model.run(inputs)
        }
        let reference = try outputs(.fp32)
        let label = "\(kind.rawValue) \(variant) (pixels \(inputs.pixels.shape), \(inputs.ids.count) texts)"
        func row(_ name: String, _ metrics: [(String, Double)]) {
            print("  " + name.padding(toLength: 24, withPad: " ", startingAt: 0) + " " + metrics.map { String(format: "%@ %.5f", $0.0, $0.1) }.joined(separator: "  "))
        }
        print(label + ":")
        row("vlmnode bf16", PrecisionProbe.deviation(kind, reference: reference, reduced: try outputs(.bf16)))
        row("vlmnode int8", PrecisionProbe.deviation(kind, reference: reference, reduced: try outputs(.int8)))
        row("vlmnode int8 no smooth", PrecisionProbe.deviation(kind, reference: reference, reduced: try outputs(.int8, smooth: false)))
        row(kind == .vilt ? "vlmnode int8 +head" : "vlmnode int8 +text",
            PrecisionProbe.deviation(kind, reference: reference, reduced: try outputs(.int8, text: true)))
        if kind != .vilt {
            row("vlmnode int8 fp32 text", PrecisionProbe.deviation(kind, reference: reference, reduced: try outputs(.int8, fp32Text: true)))
        }
        if let dev = ort["ort_int8"] as? [String: Double] {
            // The same metric order as vlmnode's rows.
            let names = PrecisionProbe.deviation(kind, reference: reference, reduced: reference).map(\.0)
            row("ORT int8 (all MatMuls)", names.compactMap { n in dev[n].map { (n, $0) } })
        } else if let err = ort["ort_error"] as? String {
            print("  ORT int8: not measured (\(err))")
        }
    }
}

private extension PrecisionProbe.Model {
    /// The text tower, to run it in another precision than the default for a comparison row.
    var textTower: TextTransformer? {
        switch self {
        case let .clip(m): return m.textModel
        case let .owlvit(m): return m.textModel
        case let .xclip(m): return m.textModel
        case let .clipseg(m): return m.textModel
        default: return nil  // models without a separate text tower
        }
    }
}
