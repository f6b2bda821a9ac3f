import Foundation

extension Ops {
    /// Layer norm over the last dimension: `out = (x - mean) / sqrt(var + eps) * weight + bias`
    /// (biased variance, as torch). `out` may be `x`.
    public static func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Float, into out: Tensor) {
        let n = x.lastDim
        precondition(weight.count == n && bias.count == n && out.count == x.count,
                     "layerNorm: \(x.shape) with weight \(weight.shape), bias \(bias.shape) -> \(out.shape)")
        for r in 0 ..< x.rowCount {
            layerNormRow(x.pointer + r * n, weight.pointer, bias.pointer, eps, out.pointer + r * n, n)
        }
    }

    @inline(__always)
    static func layerNormRow(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                             _ eps: Float, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        let mean = simdSum(x, n) / Float(n)
        // Two-pass variance: the mean is subtracted before squaring, as torch does, for accuracy.
        var acc = F16x()
        var i = 0
        while i + 16 <= n {
            let d = UnsafeRawPointer(x + i).loadUnaligned(as: F16x.self) - mean
            acc += d * d
            i += 16
        }
        var ss = acc.sum()
        while i < n { let d = x[i] - mean; ss += d * d; i += 1 }
        let inv = 1 / (ss / Float(n) + eps).squareRoot()
        simdZip(x, w, out, n) { ($0 - mean) * inv * $1 }
        simdZip(out, b, out, n) { $0 + $1 }
    }

    /// Softmax over the last dimension, in place.
    public static func softmax(_ x: Tensor) {
        let n = x.lastDim
        for r in 0 ..< x.rowCount { softmaxRow(x.pointer + r * n, n) }
    }

    /// Softmax of `n` floats in place. An all -inf row becomes all zeros (nothing to attend to).
    @inline(__always)
    static func softmaxRow(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        guard n > 0 else { return }
        let m = simdMax(x, n)
        if m == -.infinity { x.update(repeating: 0, count: n); return }
        simdTransform(x, n) { simdExp($0 - m) }
        let s = 1 / simdSum(x, n)
        simdTransform(x, n) { $0 * s }
    }

    /// Masked softmax over the last dimension, in place: entries where `keep` is false get
    /// probability 0 (like adding -inf before softmax). `keep` has the shape of one row.
    public static func softmax(_ x: Tensor, keep: [Bool]) {
        let n = x.lastDim
        precondition(keep.count == n, "softmax: mask of \(keep.count) for rows of \(n)")
        for r in 0 ..< x.rowCount {
            let row = x.pointer + r * n
            for j in 0 ..< n where !keep[j] { row[j] = -.infinity }
            softmaxRow(row, n)
        }
    }

    /// Divides each row by its L2 norm plus `eps` (`x / (‖x‖ + eps)`; eps 0 is CLIP's plain `x / ‖x‖`).
    public static func l2Normalize(_ x: Tensor, eps: Float = 0) {
        let n = x.lastDim
        for r in 0 ..< x.rowCount {
            let row = x.pointer + r * n
            var acc = F16x()
            var i = 0
            while i + 16 <= n { let v = UnsafeRawPointer(row + i).loadUnaligned(as: F16x.self); acc += v * v; i += 16 }
            var ss = acc.sum()
            while i < n { ss += row[i] * row[i]; i += 1 }
            let inv = 1 / (ss.squareRoot() + eps)
            simdTransform(row, n) { $0 * inv }
        }
    }
}
