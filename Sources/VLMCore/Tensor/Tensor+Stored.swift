/// Turning checkpoint bytes (`StoredTensor`) into fp32 tensors.
extension Tensor {
    /// The fp32 tensor for a checkpoint tensor: zero copy for 4-byte-aligned F32 (the storage keeps
    /// the reader's memory alive); F16, BF16 and F64 are converted into a new buffer.
    /// Returns nil for non-float dtypes.
    public init?(stored: StoredTensor) {
        let n = stored.elementCount
        guard stored.bytes.count >= n * stored.dtype.size else { return nil }
        let src = stored.bytes.baseAddress
        switch stored.dtype {
        case .f32:
            if let src, Int(bitPattern: src) % MemoryLayout<Float>.alignment == 0 {
                let p = UnsafeMutablePointer(mutating: src.assumingMemoryBound(to: Float.self))
                self.init(shape: stored.shape, storage: TensorStorage(wrapping: p, count: n, owner: stored.owner))
            } else {
                self.init(zeros: stored.shape)
                if let src { UnsafeMutableRawPointer(pointer).copyMemory(from: src, byteCount: n * 4) }
            }
        case .f16:
            self.init(zeros: stored.shape)
            guard let src else { return }
            let dst = pointer
            for i in 0 ..< n {
                let bits = src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                dst[i] = Float(Float16(bitPattern: UInt16(littleEndian: bits)))
            }
        case .bf16:
            self.init(zeros: stored.shape)
            guard let src else { return }
            let dst = pointer
            for i in 0 ..< n {
                let bits = src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: bits)) << 16)
            }
        case .f64:
            self.init(zeros: stored.shape)
            guard let src else { return }
            let dst = pointer
            for i in 0 ..< n {
                dst[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: Double.self))
            }
        default:
            return nil
        }
    }

    /// True when this tensor's memory belongs to another object (e.g. a memory-mapped checkpoint).
    public var isBorrowed: Bool { storage.owner != nil }
}
