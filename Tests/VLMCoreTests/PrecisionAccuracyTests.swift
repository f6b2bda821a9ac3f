import Foundation
import Testing
import TestSupport
@testable import VLMCore

/// bf16 and int8 against fp32 on the tiny fixture models (the same metrics as `vlmnode bench
/// accuracy`), on every int8 path this CPU runs; the bounds are the ones docs/precision.md states.
/// Nested in the serialized `QuantizedGEMMTests`: the forced-path and smoothing hooks are
/// process-wide, so these must never run beside the kernel tests (or each other).
extension QuantizedGEMMTests {
@Suite(.serialized) struct PrecisionAccuracyTests {
    static let folders: [PrecisionProbe.Kind: String] = [.clip: "models/clip-tiny-new", .owlvit: "models/owlvit-tiny-new",
                                                         .xclip: "models/xclip-tiny-safetensors", .clipseg: "models/clipseg-tiny",
                                                         .vilt: "models/vilt-tiny-safetensors"]

    static func inputs(_ kind: PrecisionProbe.Kind) -> PrecisionProbe.Inputs {
        var rng = TestRNG(UInt64(kind.rawValue.count))
        let (shape, texts): ([Int], Int) = switch kind {
        case .clip: ([4, 3, 32, 32], 8)
        case .owlvit: ([1, 3, 48, 48], 3)
        case .xclip: ([3, 4, 3, 32, 32], 4)
        case .clipseg: ([4, 3, 48, 48], 4)
        case .vilt: ([1, 3, 64, 96], 4)  // 4 x 6 patches; 4 questions about one image
        }
        // ViLT's fixture has 177 tokens and 40 positions: [CLS]-like 2, 10 words, [SEP]-like 3.
        let ids = kind == .vilt ? (0 ..< texts).map { _ in [2] + (0 ..< 10).map { _ in 5 + Int((rng.next() + 1) * 85) } + [3] }
                                : (0 ..< texts).map { _ in (0 ..< 15).map { _ in 1 + Int((rng.next() + 1) * 999) } + [2013] }
        return PrecisionProbe.Inputs(pixels: rng.tensor(shape, scale: 2), ids: ids)
    }

    /// Worst acceptable value per metric: a floor for agreement-like metrics, a ceiling for deltas.
    static let bounds: [Precision: [String: Double]] = [
        .bf16: ["image_cos_min": 0.9995, "max_dprob": 0.02, "max_dscore": 0.02, "box_iou_min": 0.85, "box_iou_mean": 0.95,
                "topk_agree": 0.7, "top1_agree": 1, "mask_iou_min": 0.97],
        .int8: ["image_cos_min": 0.998, "max_dprob": 0.04, "max_dscore": 0.05, "box_iou_min": 0.6, "box_iou_mean": 0.85,
                "topk_agree": 0.6, "top1_agree": 1, "mask_iou_min": 0.95],
    ]
    /// ViLT's answer scores move less than OWL-ViT's class scores (measured 0.0011 bf16, 0.0067 int8 on
    /// every int8 path): its own, tighter ceilings.
    static let viltBounds: [Precision: [String: Double]] = [.bf16: ["max_dscore": 0.005], .int8: ["max_dscore": 0.02]]
    static let floors: Set<String> = ["image_cos_min", "box_iou_min", "box_iou_mean", "topk_agree", "top1_agree", "mask_iou_min"]

    func check(_ kind: PrecisionProbe.Kind) throws {
        let folder = Fixtures.url(Self.folders[kind]!), inputs = Self.inputs(kind)
        let reference = try PrecisionProbe.Model(kind: kind, folder: folder).run(inputs)
        var runs: [(Precision, String)] = [(.bf16, "bf16")]
        for path in QuantizedGEMM.availableInt8Paths { runs.append((.int8, QuantizedGEMM.pathName(path))) }
        for (precision, path) in runs {
            if precision == .int8 { QuantizedGEMM.forceInt8Path(QuantizedGEMM.availableInt8Paths.first { QuantizedGEMM.pathName($0) == path }) }
            defer { QuantizedGEMM.forceInt8Path(nil) }
            let model = try PrecisionProbe.Model(kind: kind, folder: folder)
            model.selectable.setPrecision(precision)
            let metrics = PrecisionProbe.deviation(kind, reference: reference, reduced: try model.run(inputs))
            print("\(kind.rawValue) \(path): " + metrics.map { "\($0.0) \(String(format: "%.5f", $0.1))" }.joined(separator: " "))
            for (name, value) in metrics {
                let bound = (kind == .vilt ? Self.viltBounds[precision]![name] : nil) ?? Self.bounds[precision]![name]!
                let ok = Self.floors.contains(name) ? value >= bound : value <= bound
                #expect(ok, "\(kind.rawValue) \(path): \(name) \(value) beyond the documented bound \(bound)")
            }
            // Something really ran in reduced precision: the outputs moved.
            #expect(metrics.contains { Self.floors.contains($0.0) ? $0.1 < 1 : $0.1 > 0 }, "\(kind.rawValue) \(path): output identical to fp32")
        }
    }

    @Test func clip() throws { try check(.clip) }
    @Test func owlvit() throws { try check(.owlvit) }
    @Test func xclip() throws { try check(.xclip) }
    @Test func clipseg() throws { try check(.clipseg) }
    @Test func vilt() throws { try check(.vilt) }

    @Test func fp32StaysExactAfterAReducedRun() throws {
        let folder = Fixtures.url(Self.folders[.clip]!), inputs = Self.inputs(.clip)
        let model = try PrecisionProbe.Model(kind: .clip, folder: folder)
        let before = try model.run(inputs).map(\.values)
        model.selectable.setPrecision(.int8)
        _ = try model.run(inputs)
        model.selectable.setPrecision(.fp32)
        #expect(try model.run(inputs).map(\.values) == before)
    }

    /// A layer whose input has channels 20-50x larger than the rest (as trained ViTs' LayerNorm
    /// outputs do): SmoothQuant factors folded into the weight keep int8 close to fp32, and much
    /// closer than per-row quantization alone.
    @Test func smoothingSurvivesActivationOutliers() {
        var rng = TestRNG(5)
        let (m, k, n) = (64, 256, 128)
        let x = rng.tensor([m, k])
        for i in 0 ..< m { for (c, f) in [(7, Float(20)), (100, 35), (200, 50)] { x.pointer[i * k + c] *= f } }
        let weight = rng.tensor([n, k], scale: 0.1)
        let exact = Linear(weight: weight, bias: nil)(x).values
        func error(smooth: Bool) -> Double {
            let saved = Linear.int8Smoothing
            Linear.int8Smoothing = smooth
            defer { Linear.int8Smoothing = saved }
            let linear = Linear(weight: weight, bias: nil)
            linear.setPrecision(.int8)
            let y = linear(x).values
            // Relative RMS error of the output.
            let num = zip(y, exact).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
            return (num / exact.reduce(0.0) { $0 + Double($1 * $1) }).squareRoot()
        }
        let plain = error(smooth: false), smoothed = error(smooth: true)
        print("outliers: relative RMS error per-row int8 \(plain), with smoothing \(smoothed)")
        #expect(smoothed < 0.01, "smoothed int8 error \(smoothed)")
        #expect(smoothed * 2 < plain, "smoothing should at least halve the error: \(smoothed) vs \(plain)")
    }
}
}
