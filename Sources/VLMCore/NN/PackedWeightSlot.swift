import Foundation

/// The lazily packed copy of one Linear weight, shared by every copy of that Linear (a struct)
/// and packed by whichever forward needs it first.
final class PackedWeightSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var packed: PackedWeight?

    /// The packed weight, packing `weight` on first use. A borrowed (memory-mapped) weight is
    /// then handed back to the kernel with MADV_PAGEOUT: its clean file-backed pages leave RSS
    /// instead of sitting beside the packed copy (they fault back in from the file if the BLAS
    /// path ever reads them again, e.g. `VLMNODE_GEMM=blas`).
    func get(_ weight: Tensor) -> PackedWeight {
        lock.lock()
        defer { lock.unlock() }
        if let packed { return packed }
        let p = PackedWeight(weight)
        if weight.isBorrowed { Self.pageOut(weight) }
        packed = p
        return p
    }

    /// Whether the weight has been packed (memory reports, tests).
    var isPacked: Bool {
        lock.lock()
        defer { lock.unlock() }
        return packed != nil
    }

    /// Bytes held by the packed copy (0 before first use).
    var packedBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return packed?.byteCount ?? 0
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
