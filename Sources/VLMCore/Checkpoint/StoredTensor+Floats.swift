/// fp32 conversion of stored tensors: the one place that knows how f16/bf16 bits decode.
extension StoredTensor {
    /// Every element converted to Float, row-major.
    public func floats() throws -> [Float] {
        try checkByteCount()
        return [Float](unsafeUninitializedCapacity: elementCount) { buffer, initialized in
            convert(into: buffer.baseAddress!)
            initialized = elementCount
        }
    }

    /// Writes every element as Float into `out`, which must hold exactly `elementCount` values.
    public func copyFloats(into out: UnsafeMutableBufferPointer<Float>) throws {
        try checkByteCount()
        guard out.count == elementCount else {
            throw CheckpointError(.malformed, "copyFloats: destination holds \(out.count) values, tensor \(shape) has \(elementCount)")
        }
        if let base = out.baseAddress { convert(into: base) }
    }

    /// Every element as Int64 (integer and bool tensors, e.g. position ids); floats are truncated,
    /// and a NaN, infinite or out-of-range float is an error (converting it would trap).
    public func int64s() throws -> [Int64] {
        try checkByteCount()
        let raw = bytes
        if dtype == .f32 || dtype == .f16 || dtype == .bf16 || dtype == .f64 {
            return try (0 ..< elementCount).map { i -> Int64 in
                let f = Self.float(raw, dtype, i)
                guard f.isFinite, f > -0x1p63, f < 0x1p63 else {
                    throw CheckpointError(.malformed, "stored \(dtype.rawValue) tensor \(shape) holds \(f) at element \(i), not an integer")
                }
                return Int64(f)
            }
        }
        return (0 ..< elementCount).map { i -> Int64 in
            switch dtype {
            case .i64: return Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))
            case .i32: return Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
            case .i16: return Int64(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)))
            case .i8: return Int64(Int8(bitPattern: raw[i]))
            case .u8, .bool: return Int64(raw[i])
            case .f32, .f16, .bf16, .f64: preconditionFailure("float dtypes are converted above")
            }
        }
    }

    private func checkByteCount() throws {
        guard let expected = checkedByteCount(shape, dtype.size), expected == bytes.count else {
            throw CheckpointError(.malformed, "stored tensor \(shape) \(dtype.rawValue) has \(bytes.count) bytes")
        }
    }

    /// `bytes` may be unaligned (safetensors only pads its header to 8 bytes), so every load is unaligned.
    private func convert(into out: UnsafeMutablePointer<Float>) {
        let n = elementCount
        guard n > 0, let src = bytes.baseAddress else { return }
        switch dtype {
        case .f32:
            UnsafeMutableRawPointer(out).copyMemory(from: src, byteCount: n * 4)
        case .f16:
            for i in 0 ..< n { out[i] = float16ToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .bf16:
            for i in 0 ..< n { out[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
        default:
            for i in 0 ..< n { out[i] = Self.float(bytes, dtype, i) }
        }
    }

    private static func float(_ raw: UnsafeRawBufferPointer, _ dtype: StorageDType, _ i: Int) -> Float {
        switch dtype {
        case .f32: return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
        case .f16: return float16ToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
        case .bf16: return Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16)
        case .f64: return Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
        case .i64: return Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
        case .i32: return Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
        case .i16: return Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)))
        case .i8: return Float(Int8(bitPattern: raw[i]))
        case .u8, .bool: return Float(raw[i])
        }
    }
}

/// IEEE half → float, exact for every input (subnormals, ±0, ±inf, NaN payloads).
/// Shifting the exponent+mantissa into float position and scaling by 2^112 rebiases normals and
/// turns half subnormals (which land as float subnormals) into the right normal floats.
@inline(__always)
public func float16ToFloat(_ h: UInt16) -> Float {
    let magnitude = UInt32(h & 0x7FFF)
    var f = Float(bitPattern: magnitude << 13) * 0x1p112
    if magnitude >= 0x7C00 { f = Float(bitPattern: 0x7F80_0000 | (magnitude & 0x3FF) << 13) }
    return Float(bitPattern: f.bitPattern | UInt32(h & 0x8000) << 16)
}
