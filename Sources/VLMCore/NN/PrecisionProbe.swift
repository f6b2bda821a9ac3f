import Foundation

/// Runs one of the five models on fixed inputs at a chosen precision and measures how far a
/// reduced-precision output is from fp32 on the same inputs. Shared by `vlmnode bench accuracy`
/// and the reduced-precision tests; the metric definitions match Scripts/bench/precision_reference.py
/// (which computes the same numbers for ONNX Runtime int8).
public enum PrecisionProbe {
    public enum Kind: String, CaseIterable, Sendable { case clip, owlvit, xclip, clipseg, vilt }

    /// Pixels (the model's input layout) and token ids of one probe.
    public struct Inputs {
        public var pixels: Tensor
        public var ids: [[Int]]
        public init(pixels: Tensor, ids: [[Int]]) { self.pixels = pixels; self.ids = ids }

        /// Reads `inputs.json` + `pixels.f32` written by precision_reference.py.
        public static func read(folder: URL) throws -> (Inputs, kind: Kind, model: URL) {
            let file = folder.appendingPathComponent("inputs.json")
            guard let data = FileManager.default.contents(atPath: file.path),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let kind = (json["kind"] as? String).flatMap(Kind.init(rawValue:)), let model = json["model"] as? String,
                  let shape = json["pixels_shape"] as? [Int], let ids = json["ids"] as? [[Int]] else {
                throw InputError("\(file.path): not an inputs.json of precision_reference.py")
            }
            let raw = try Data(contentsOf: folder.appendingPathComponent("pixels.f32"))
            let count = shape.reduce(1, *)
            guard raw.count == count * 4 else { throw InputError("pixels.f32 holds \(raw.count) bytes, shape \(shape) needs \(count * 4)") }
            let values = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self).prefix(count)) }
            return (Inputs(pixels: Tensor(shape: shape, values: values), ids: ids), kind, URL(fileURLWithPath: model))
        }
    }

    /// A loaded model of any kind.
    public enum Model {
        case clip(CLIPModel), owlvit(OwlViTForObjectDetection), xclip(XCLIPModel), clipseg(CLIPSegModel)
        case vilt(ViltForQuestionAnswering)

        public init(kind: Kind, folder: URL) throws {
            switch kind {
            case .clip: self = .clip(try CLIPModel(folder: folder))
            case .owlvit: self = .owlvit(try OwlViTForObjectDetection(folder: folder))
            case .xclip: self = .xclip(try XCLIPModel(folder: folder))
            case .clipseg: self = .clipseg(try CLIPSegModel(folder: folder))
            case .vilt: self = .vilt(try ViltForQuestionAnswering(folder: folder))
            }
        }

        public var selectable: PrecisionSelectable {
            switch self {
            case let .clip(m): return m
            case let .owlvit(m): return m
            case let .xclip(m): return m
            case let .clipseg(m): return m
            case let .vilt(m): return m
            }
        }

        /// The outputs the metrics read, as the ONNX export returns them: clip [logits_per_image,
        /// image_embeds], owlvit [logits, pred_boxes], xclip [logits_per_video], clipseg [logits], vilt
        /// [logits] (one row per question, all about the one image; every pixel valid).
        public func run(_ inputs: Inputs) throws -> [Tensor] {
            switch self {
            case let .clip(m):
                let o = try m(pixels: inputs.pixels, ids: inputs.ids)
                return [o.logitsPerImage, o.imageEmbeds]
            case let .owlvit(m):
                let o = try m(pixels: inputs.pixels, queries: try m.queries(inputs.ids))
                return [o.logits, o.predBoxes]
            case let .xclip(m): return [try m(pixels: inputs.pixels, ids: inputs.ids).logitsPerVideo]
            case let .clipseg(m): return [try m(pixels: inputs.pixels, ids: inputs.ids).logits]
            case let .vilt(m):
                let answers = try m(inputs.ids, pixels: inputs.pixels)
                return [Tensor(shape: [answers.count, m.labels.count], values: answers.flatMap(\.logits))]
            }
        }
    }

    /// Deviation of `reduced` from `reference` (both `Model.run` outputs of `kind`), by metric name.
    public static func deviation(_ kind: Kind, reference ref: [Tensor], reduced red: [Tensor]) -> [(String, Double)] {
        switch kind {
        case .clip:
            let d = ref[1].lastDim
            let cos = (0 ..< ref[1].rowCount).map { cosine(Array(ref[1].values[$0 * d ..< ($0 + 1) * d]), Array(red[1].values[$0 * d ..< ($0 + 1) * d])) }
            return [("image_cos_min", cos.min() ?? 1),
                    ("max_dprob", maxAbsDiff(softmaxRows(ref[0]), softmaxRows(red[0])))]
        case .owlvit:
            let q = ref[0].lastDim, p = ref[0].rowCount
            let s0 = ref[0].values.map(sigmoid), s1 = red[0].values.map(sigmoid)
            func top(_ s: [Double]) -> [Int] {
                Array((0 ..< p).sorted { (s[$0 * q ..< ($0 + 1) * q].max()!, $1) > (s[$1 * q ..< ($1 + 1) * q].max()!, $0) }.prefix(10))
            }
            let t0 = top(s0), t1 = top(s1)
            let b0 = ref[1].values, b1 = red[1].values
            let ious = t0.map { iouCxCyWH(Array(b0[$0 * 4 ..< $0 * 4 + 4]), Array(b1[$0 * 4 ..< $0 * 4 + 4])) }
            return [("max_dscore", zip(s0, s1).map { abs($0 - $1) }.max() ?? 0), ("box_iou_min", ious.min() ?? 1),
                    ("box_iou_mean", ious.reduce(0, +) / Double(max(ious.count, 1))),
                    ("topk_agree", Double(Set(t0).intersection(t1).count) / 10)]
        case .xclip:
            let p0 = softmaxRows(ref[0]), p1 = softmaxRows(red[0]), t = ref[0].lastDim, rows = ref[0].rowCount
            func argmax(_ p: [Double], _ r: Int) -> Int { (0 ..< t).max { p[r * t + $0] < p[r * t + $1] }! }
            let agree = (0 ..< rows).filter { argmax(p0, $0) == argmax(p1, $0) }.count
            return [("top1_agree", Double(agree) / Double(rows)), ("max_dprob", maxAbsDiff(p0, p1))]
        case .clipseg:
            let b = ref[0].shape[0], n = ref[0].count / b
            let p0 = ref[0].values.map(sigmoid), p1 = red[0].values.map(sigmoid)
            let ious = (0 ..< b).map { i -> Double in
                var inter = 0, union = 0
                for j in i * n ..< (i + 1) * n {
                    let a = p0[j] > 0.5, c = p1[j] > 0.5
                    if a && c { inter += 1 }
                    if a || c { union += 1 }
                }
                return union == 0 ? 1 : Double(inter) / Double(union)
            }
            return [("mask_iou_min", ious.min() ?? 1), ("max_dprob", maxAbsDiff(p0, p1))]
        case .vilt:
            // Answer scores are sigmoid(logits); the top answer is the largest logit.
            let s0 = ref[0].values.map(sigmoid), s1 = red[0].values.map(sigmoid), t = ref[0].lastDim, rows = ref[0].rowCount
            func argmax(_ s: [Double], _ r: Int) -> Int { (0 ..< t).max { s[r * t + $0] < s[r * t + $1] }! }
            let agree = (0 ..< rows).filter { argmax(s0, $0) == argmax(s1, $0) }.count
            return [("top1_agree", Double(agree) / Double(rows)), ("max_dscore", maxAbsDiff(s0, s1))]
        }
    }

    static func sigmoid(_ x: Float) -> Double { 1 / (1 + Foundation.exp(-Double(x))) }

    static func softmaxRows(_ t: Tensor) -> [Double] {
        let w = t.lastDim, v = t.values.map(Double.init)
        return (0 ..< t.rowCount).flatMap { r -> [Double] in
            let row = v[r * w ..< (r + 1) * w], m = row.max() ?? 0
            let e = row.map { Foundation.exp($0 - m) }, s = e.reduce(0, +)
            return e.map { $0 / s }
        }
    }

    static func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for (x, y) in zip(a, b) { ab += Double(x) * Double(y); aa += Double(x) * Double(x); bb += Double(y) * Double(y) }
        return ab / (aa.squareRoot() * bb.squareRoot())
    }

    static func iouCxCyWH(_ a: [Float], _ b: [Float]) -> Double {
        func corners(_ v: [Float]) -> (Double, Double, Double, Double) {
            let (cx, cy, w, h) = (Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3]))
            return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        }
        let (ax0, ay0, ax1, ay1) = corners(a), (bx0, by0, bx1, by1) = corners(b)
        let inter = max(0, min(ax1, bx1) - max(ax0, bx0)) * max(0, min(ay1, by1) - max(ay0, by0))
        let union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
        return inter / max(union, 1e-12)
    }
}
