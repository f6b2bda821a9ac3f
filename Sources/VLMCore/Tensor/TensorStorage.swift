import Foundation

/// Contiguous fp32 memory behind one or more `Tensor`s.
///
/// Either allocated here (64-byte aligned, zero-filled, freed in deinit) or wrapping memory owned
/// by someone else (e.g. an fp32 tensor inside a memory-mapped checkpoint): then `owner` is kept
/// alive for as long as this storage lives, and nothing is copied or freed.
/// Wrapped checkpoint memory may be mapped read-only: never write into a weight tensor.
public final class TensorStorage: @unchecked Sendable {
    /// First element.
    public let base: UnsafeMutablePointer<Float>
    /// Number of elements.
    public let count: Int
    /// Keeps wrapped memory alive; nil when this storage allocated `base` itself.
    public let owner: AnyObject?

    /// Allocates `count` zero-filled floats, aligned for AVX-512 loads.
    public init(count: Int) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("TensorStorage: cannot allocate \(bytes) bytes")
        }
        memset(raw, 0, bytes)
        self.base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
        self.owner = nil
    }

    /// Wraps `count` floats at `base` that `owner` keeps alive (zero copy).
    public init(wrapping base: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.base = base
        self.count = count
        self.owner = owner
    }

    deinit {
        if owner == nil { free(base) }
    }
}
