import Foundation
@testable import VLMCore

/// Deterministic pseudo-random values for tests (no dependence on the global RNG).
struct TestRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1 }
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 24) * 2 - 1
    }
    mutating func tensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        Tensor(shape: shape, values: (0 ..< shape.reduce(1, *)).map { _ in next() * scale })
    }
}

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    // A size mismatch must fail the expectation, not crash the test process.
    guard a.count == b.count else { return .infinity }
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// Naive row-major product in Double: a (m, k) · b (k, n).
func naiveMatmul(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Float] {
    var out = [Float](repeating: 0, count: m * n)
    for i in 0 ..< m { for j in 0 ..< n {
        var s = 0.0
        for p in 0 ..< k { s += Double(a[i * k + p]) * Double(b[p * n + j]) }
        out[i * n + j] = Float(s)
    } }
    return out
}

func transpose(_ a: [Float], rows: Int, cols: Int) -> [Float] {
    var out = [Float](repeating: 0, count: a.count)
    for i in 0 ..< rows { for j in 0 ..< cols { out[j * rows + i] = a[i * cols + j] } }
    return out
}
