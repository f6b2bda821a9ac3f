import Foundation

/// The lazily packed copy of one Linear weight, shared by every copy of that Linear (a struct)
/// and packed by whichever forward needs it first; also the Linear's precision and its int8 or
/// bf16 packed copies.
final class PackedWeightSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var packed: PackedWeight?
    private var int8: Int8PackedWeight?
    private var bf16: BF16PackedWeight?
    private var currentPrecision = Precision.fp32
    /// For a weight `Linear.stacked` copied from memory-mapped parts: those parts. Once a packed
    /// form exists the stacked copy's pages are discarded (its memory then reads as zeros) and
    /// copied back from the parts if a path needs the fp32 values again.
    var stackedParts: [Tensor]?
    private var discarded = false

    /// Whether int8 weights are smoothed (SmoothQuant, calibrated on the first input the layer sees
    /// in int8). `VLMNODE_INT8_SMOOTH=0` turns it off (accuracy A/B); settable for the same reason.
    nonisolated(unsafe) static var smoothing = ProcessInfo.processInfo.environment["VLMNODE_INT8_SMOOTH"] != "0"

    /// The precision this Linear runs in (fp32 unless a model switched it).
    var precision: Precision {
        get { lock.lock(); defer { lock.unlock() }; return currentPrecision }
        set { lock.lock(); defer { lock.unlock() }; currentPrecision = newValue }
    }

    /// The int8 weight, quantized on first use; with `smoothing` its factors come from `x`
    /// (m rows, `ldx` apart), the first input this layer multiplies in int8.
    func int8Weight(_ weight: Tensor, calibration x: UnsafePointer<Float>, rows m: Int, ldx: Int) -> Int8PackedWeight {
        lock.lock()
        defer { lock.unlock() }
        if let int8 { return int8 }
        restoreLocked(weight)
        let (n, k) = (weight.shape[0], weight.shape[1])
        let s = Self.smoothing ? Int8PackedWeight.smoothingFactors(x: x, m: m, ldx: ldx, weight: weight.pointer, n: n, k: k, ldw: k) : nil
        let q = Int8PackedWeight(weight.pointer, n: n, k: k, ldw: k, smoothing: s)
        if weight.isBorrowed && packed == nil { Self.pageOut(weight) }
        int8 = q
        discardLocked(weight)
        return q
    }

    /// The bf16 weight, rounded and packed on first use.
    func bf16Weight(_ weight: Tensor) -> BF16PackedWeight {
        lock.lock()
        defer { lock.unlock() }
        if let bf16 { return bf16 }
        restoreLocked(weight)
        let b = BF16PackedWeight(weight.pointer, n: weight.shape[0], k: weight.shape[1], ldw: weight.shape[1])
        if weight.isBorrowed && packed == nil { Self.pageOut(weight) }
        bf16 = b
        discardLocked(weight)
        return b
    }

    /// The packed weight, packing `weight` on first use. A borrowed (memory-mapped) weight is
    /// then handed back to the kernel with MADV_PAGEOUT: its clean file-backed pages leave RSS
    /// instead of sitting beside the packed copy (they fault back in from the file if the BLAS
    /// path ever reads them again, e.g. `VLMNODE_GEMM=blas`).
    func get(_ weight: Tensor) -> PackedWeight {
        lock.lock()
        defer { lock.unlock() }
        if let packed { return packed }
        restoreLocked(weight)
        let p = PackedWeight(weight)
        if weight.isBorrowed { Self.pageOut(weight) }
        packed = p
        discardLocked(weight)
        return p
    }

    /// Makes `weight` hold its values again if they were discarded (before the BLAS path reads it).
    func ensureValues(_ weight: Tensor) {
        lock.lock()
        defer { lock.unlock() }
        restoreLocked(weight)
    }

    /// Drops the resident pages of a stacked copy (MADV_DONTNEED: anonymous pages read back as
    /// zeros and leave RSS at once); the packed forms are all that the kernels read.
    private func discardLocked(_ weight: Tensor) {
        guard let parts = stackedParts, !parts.isEmpty, !weight.isBorrowed, !discarded else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = Int(bitPattern: weight.pointer), end = start + weight.count * MemoryLayout<Float>.stride
        let first = (start + page - 1) / page * page, last = end / page * page
        guard last > first, let p = UnsafeMutableRawPointer(bitPattern: first) else { return }
        if madvise(p, last - first, 4 /* MADV_DONTNEED */) == 0 { discarded = true }
    }

    /// Copies the parts back into a discarded stacked copy.
    private func restoreLocked(_ weight: Tensor) {
        guard discarded, let parts = stackedParts else { return }
        var offset = 0
        for part in parts {
            (weight.pointer + offset).update(from: part.pointer, count: part.count)
            offset += part.count
        }
        discarded = false
    }

    /// Whether the weight has been packed (memory reports, tests).
    var isPacked: Bool {
        lock.lock()
        defer { lock.unlock() }
        return packed != nil
    }

    /// Bytes held by the packed copies (0 before first use).
    var packedBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return (packed?.byteCount ?? 0) + (int8?.byteCount ?? 0) + (bf16?.byteCount ?? 0)
    }

    /// MADV_PAGEOUT on the whole pages inside the tensor. Safe for any memory (the kernel keeps the
    /// contents: clean file pages are re-read, anonymous ones would be swapped), only a hint.
    static func pageOut(_ t: Tensor) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = Int(bitPattern: t.pointer), end = start + t.count * MemoryLayout<Float>.stride
        let first = (start + page - 1) / page * page, last = end / page * page
        guard last > first, let p = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(p, last - first, 21 /* MADV_PAGEOUT, Linux 5.4+; EINVAL before: ignored */)
    }
}
