import CLZ4
import CZstd

// zstd and lz4 (frame format), the two compressions MCAP names. One owner type per C context.

/// Turns a zstd return code into a value or a typed error that keeps the code and zstd's message.
func zstdCheck(_ code: Int) throws -> Int {
    if ZSTD_isError(code) != 0 {
        throw MCAPError.compression(library: "zstd", code: code, message: String(cString: ZSTD_getErrorName(code)))
    }
    return code
}

/// Turns an LZ4F return code into a value or a typed error that keeps the code and lz4's message.
func lz4Check(_ code: Int) throws -> Int {
    if LZ4F_isError(code) != 0 {
        throw MCAPError.compression(library: "lz4", code: code, message: String(cString: LZ4F_getErrorName(code)))
    }
    return code
}

/// A zstd compression context (ZSTD_CCtx), freed in deinit. Not thread-safe: one per writer.
final class ZstdCompressor {
    let context: OpaquePointer

    init(level: Int32) throws {
        guard let cctx = ZSTD_createCCtx() else { throw MCAPError.compression(library: "zstd", code: 0, message: "ZSTD_createCCtx failed") }
        context = cctx
        _ = try zstdCheck(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level))
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses the concatenation of `segments` into one zstd frame (content size recorded).
    func compress(_ segments: [UnsafeRawBufferPointer], totalSize: Int) throws -> ByteBuffer {
        _ = try zstdCheck(ZSTD_CCtx_reset(context, ZSTD_reset_session_only))
        _ = try zstdCheck(ZSTD_CCtx_setPledgedSrcSize(context, UInt64(totalSize)))
        let out = ByteBuffer(capacity: ZSTD_compressBound(totalSize) + 64)
        var output = ZSTD_outBuffer(dst: out.pointer, size: out.capacity, pos: 0)
        for segment in segments where segment.count > 0 {
            var input = ZSTD_inBuffer(src: segment.baseAddress, size: segment.count, pos: 0)
            while input.pos < input.size {
                _ = try zstdCheck(ZSTD_compressStream2(context, &output, &input, ZSTD_e_continue))
            }
        }
        var empty = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try zstdCheck(ZSTD_compressStream2(context, &output, &empty, ZSTD_e_end)) != 0 {}
        out.count = output.pos
        return out
    }
}

/// A zstd decompression context (ZSTD_DCtx), freed in deinit.
final class ZstdDecompressor {
    let context: OpaquePointer

    init() throws {
        guard let dctx = ZSTD_createDCtx() else { throw MCAPError.compression(library: "zstd", code: 0, message: "ZSTD_createDCtx failed") }
        context = dctx
    }

    deinit { ZSTD_freeDCtx(context) }

    /// What `source` says it expands to, read from its frame header without decompressing: nil
    /// unless it is exactly one frame that records its content size (multi-frame input is legal).
    static func declaredSize(_ source: UnsafeRawBufferPointer) -> UInt64? {
        guard let base = source.baseAddress, ZSTD_findFrameCompressedSize(base, source.count) == source.count else { return nil }
        let size = ZSTD_getFrameContentSize(base, source.count)
        // ZSTD_CONTENTSIZE_UNKNOWN (max) and ZSTD_CONTENTSIZE_ERROR (max - 1).
        return size >= UInt64.max - 1 ? nil : size
    }

    /// Decompresses into `out` (whose capacity is the expected size); returns the bytes produced.
    func decompress(_ source: UnsafeRawBufferPointer, into out: ByteBuffer) throws -> Int {
        try zstdCheck(ZSTD_decompressDCtx(context, out.pointer, out.capacity, source.baseAddress, source.count))
    }
}

/// An LZ4 frame compression context, freed in deinit.
final class LZ4Compressor {
    var context: OpaquePointer?

    init() throws {
        _ = try lz4Check(LZ4F_createCompressionContext(&context, vlm_lz4f_version()))
    }

    deinit { LZ4F_freeCompressionContext(context) }

    /// Compresses the concatenation of `segments` into one LZ4 frame (content size recorded).
    func compress(_ segments: [UnsafeRawBufferPointer], totalSize: Int) throws -> ByteBuffer {
        var prefs = LZ4F_preferences_t()
        prefs.frameInfo.contentSize = UInt64(totalSize)
        // Worst case: every segment expands by LZ4F's per-call bound; plus frame header and end mark.
        var capacity = LZ4F_compressFrameBound(totalSize, &prefs) + 64
        for segment in segments { capacity += LZ4F_compressBound(segment.count, &prefs) - segment.count }
        let out = ByteBuffer(capacity: capacity)
        var pos = try lz4Check(LZ4F_compressBegin(context, out.pointer, out.capacity, &prefs))
        for segment in segments where segment.count > 0 {
            pos += try lz4Check(LZ4F_compressUpdate(context, out.pointer + pos, out.capacity - pos,
                                                    segment.baseAddress, segment.count, nil))
        }
        pos += try lz4Check(LZ4F_compressEnd(context, out.pointer + pos, out.capacity - pos, nil))
        out.count = pos
        return out
    }
}

/// An LZ4 frame decompression context, freed in deinit.
final class LZ4Decompressor {
    var context: OpaquePointer?

    init() throws {
        _ = try lz4Check(LZ4F_createDecompressionContext(&context, vlm_lz4f_version()))
    }

    deinit { LZ4F_freeDecompressionContext(context) }

    /// Decompresses one frame into `out` (whose capacity is the expected size); returns bytes produced.
    func decompress(_ source: UnsafeRawBufferPointer, into out: ByteBuffer) throws -> Int {
        LZ4F_resetDecompressionContext(context)
        var read = 0, written = 0
        while true {
            var dstSize = out.capacity - written
            var srcSize = source.count - read
            let hint = try lz4Check(LZ4F_decompress(context, out.pointer + written, &dstSize,
                                                    source.baseAddress.map { $0 + read }, &srcSize, nil))
            read += srcSize
            written += dstSize
            if hint == 0 { return written }
            if srcSize == 0 && dstSize == 0 {
                throw MCAPError.compression(library: "lz4", code: 0, message: "frame ends early or output exceeds the chunk's uncompressed size")
            }
        }
    }
}
