import Foundation

/// Activation functions by the names transformers' configs use (`hidden_act`).
public enum Activation: String, Sendable, Codable {
    /// x · sigmoid(1.702 x), every CLIP-family MLP.
    case quickGELU = "quick_gelu"
    /// Exact GELU: 0.5 x (1 + erf(x / √2)).
    case gelu = "gelu"
    case relu = "relu"
    /// ELU with alpha 1.
    case elu = "elu"
    case sigmoid = "sigmoid"
    case identity = "linear"

    /// The vectorised function.
    @inline(__always)
    func apply(_ v: F16x) -> F16x {
        switch self {
        case .quickGELU: return v / (1 + simdExp(v * -1.702))
        case .gelu: return v * 0.5 * (1 + simdErf(v * 0.70710678118654752))
        case .relu: return vmax(v, F16x())
        case .elu: return vselectNegative(v, simdExp(v) - 1)
        case .sigmoid: return 1 / (1 + simdExp(-v))
        case .identity: return v
        }
    }
}

/// Elementwise kernels on tensors. Shapes are checked by element count; rows are the last dimension.
public enum Ops {
    /// `x = act(x)` in place.
    public static func activate(_ x: Tensor, _ act: Activation) {
        switch act {
        case .quickGELU: simdTransform(x.pointer, x.count) { Activation.quickGELU.apply($0) }
        case .gelu: simdTransform(x.pointer, x.count) { Activation.gelu.apply($0) }
        case .relu: simdTransform(x.pointer, x.count) { Activation.relu.apply($0) }
        case .elu: simdTransform(x.pointer, x.count) { Activation.elu.apply($0) }
        case .sigmoid: simdTransform(x.pointer, x.count) { Activation.sigmoid.apply($0) }
        case .identity: break
        }
    }

    /// `x[r, :] = act(x[r, :] + bias)` for every row, in place: a Linear's epilogue in one pass.
    public static func addBiasActivate(_ x: Tensor, bias: Tensor, _ act: Activation) {
        precondition(bias.count == x.lastDim, "addBiasActivate: bias \(bias.shape) for rows of \(x.shape)")
        let n = x.lastDim, rows = x.rowCount, base = x.pointer, b = bias.pointer
        func apply(_ range: Range<Int>) {
            for r in range {
                let row = base + r &* n  // r < rows: row r's offset lies inside x
                switch act {
                case .quickGELU: simdZip(row, b, row, n) { Activation.quickGELU.apply($0 + $1) }
                case .gelu: simdZip(row, b, row, n) { Activation.gelu.apply($0 + $1) }
                case .relu: simdZip(row, b, row, n) { Activation.relu.apply($0 + $1) }
                case .elu: simdZip(row, b, row, n) { Activation.elu.apply($0 + $1) }
                case .sigmoid: simdZip(row, b, row, n) { Activation.sigmoid.apply($0 + $1) }
                case .identity: simdZip(row, b, row, n) { $0 + $1 }
                }
            }
        }
        // The MLP's activation is the one elementwise pass big enough to share across cores.
        let parts = min(BLAS.threadCount, rows)
        if act != .identity, BLAS.threading == .splitColumns, parts > 1, x.count >= 1 << 16 {
            DispatchQueue.concurrentPerform(iterations: parts) { i in apply(rows * i / parts ..< rows * (i + 1) / parts) }
        } else {
            apply(0 ..< rows)
        }
        withExtendedLifetime((x, bias)) {}
    }

    /// `out = a + b` (same element count; `out` may be `a` or `b`).
    public static func add(_ a: Tensor, _ b: Tensor, into out: Tensor) {
        precondition(a.count == b.count && a.count == out.count, "add: \(a.shape) + \(b.shape) -> \(out.shape)")
        simdZip(a.pointer, b.pointer, out.pointer, a.count) { $0 + $1 }
    }

    /// `out = a * b` elementwise (same element count).
    public static func mul(_ a: Tensor, _ b: Tensor, into out: Tensor) {
        precondition(a.count == b.count && a.count == out.count, "mul: \(a.shape) * \(b.shape) -> \(out.shape)")
        simdZip(a.pointer, b.pointer, out.pointer, a.count) { $0 * $1 }
    }

    /// `x[r, :] += row` for every row (bias or position-embedding broadcast), in place.
    public static func addRow(_ x: Tensor, _ row: Tensor) {
        precondition(row.count == x.lastDim, "addRow: \(row.shape) to rows of \(x.shape)")
        let n = x.lastDim
        for r in 0 ..< x.rowCount { simdZip(x.pointer + r * n, row.pointer, x.pointer + r * n, n) { $0 + $1 } }
    }

    /// `x[r, :] *= row` for every row, in place.
    public static func mulRow(_ x: Tensor, _ row: Tensor) {
        precondition(row.count == x.lastDim, "mulRow: \(row.shape) to rows of \(x.shape)")
        let n = x.lastDim
        for r in 0 ..< x.rowCount { simdZip(x.pointer + r * n, row.pointer, x.pointer + r * n, n) { $0 * $1 } }
    }

    /// `x *= s` in place.
    public static func scale(_ x: Tensor, by s: Float) {
        simdTransform(x.pointer, x.count) { $0 * s }
    }

    /// `x = x * s + t` in place.
    public static func affine(_ x: Tensor, scale s: Float, shift t: Float) {
        simdTransform(x.pointer, x.count) { $0 * s + t }
    }
}
