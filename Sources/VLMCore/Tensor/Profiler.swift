import Foundation

/// A process-wide, opt-in time profile by op kind (for `vlmnode bench`). Disabled, it costs one
/// branch per op. Not thread-safe: enable it only around single-threaded model calls.
public enum Profiler {
    /// Op kinds the core reports.
    public enum Kind: String, CaseIterable, Sendable {
        case gemm = "linear GEMM", attention = "attention (QKᵀ, softmax, AV)", layerNorm = "layer norm"
        case activation = "bias + activation", elementwise = "bias/residual/other elementwise"
        case embedding = "embeddings (im2col, gather)", other = "other"
    }

    nonisolated(unsafe) public static var isEnabled = false
    /// Multiply-add FLOPs (2·m·n·k) issued to sgemm while enabled.
    nonisolated(unsafe) public static var gemmFlops: Double = 0
    nonisolated(unsafe) private static var totals = [Double](repeating: 0, count: Kind.allCases.count)

    /// Runs `body`, adding its wall time to `kind` when enabled.
    @inline(__always)
    public static func measure<T>(_ kind: Kind, _ body: () throws -> T) rethrows -> T {
        guard isEnabled else { return try body() }
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { totals[Kind.allCases.firstIndex(of: kind)!] += Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9 }
        return try body()
    }

    /// Seconds per kind since the last reset.
    public static var seconds: [(Kind, Double)] { Array(zip(Kind.allCases, totals)) }

    public static func reset() {
        totals = [Double](repeating: 0, count: Kind.allCases.count)
        gemmFlops = 0
    }
}
