import CFFmpeg

/// A `SwsContext` converting decoded frames to packed rgb24/bgr24/gray; freed in deinit.
///
/// Rebuilt only when the source geometry or pixel format changes. Uses bicubic scaling and the
/// frame's colour matrix and range, as the ffmpeg CLI's scale filter does, so our bytes equal
/// `ffmpeg … -f rawvideo -pix_fmt rgb24` output.
final class Scaler {
    private var context: OpaquePointer?
    private var key: Key?
    /// Slice threads (0 = one per core), as the CLI's scale filter uses.
    private let threads: Int
    /// Describes the caller's buffer to `sws_scale_frame`, which wants refcounted frames: its
    /// `buf[0]` is a 1-byte placeholder owned by this frame, `data[0]` points at the caller's bytes.
    private let target = Frame()

    private struct Key: Equatable {
        var width, height, format, outWidth, outHeight, outFormat: Int32
        var colorspace, range: UInt32
    }

    init(threads: Int = 1) {
        self.threads = threads
        target.pointer.pointee.buf.0 = av_buffer_alloc(1)
    }

    deinit { sws_freeContext(context) }

    /// Converts `frame` into `destination` (packed rows of `step` bytes, `size` pixels).
    func convert(_ frame: UnsafeMutablePointer<AVFrame>, to format: AVPixelFormat,
                 width: Int, height: Int, destination: UnsafeMutableRawPointer, step: Int) throws {
        let f = frame.pointee
        let newKey = Key(width: f.width, height: f.height, format: f.format, outWidth: Int32(width),
                         outHeight: Int32(height), outFormat: format.rawValue,
                         colorspace: f.colorspace.rawValue, range: f.color_range.rawValue)
        if context == nil || newKey != key {
            sws_freeContext(context)
            context = nil
            key = nil
            context = try makeContext(f, to: format, width: width, height: height)
            key = newKey
            applyColorspace(f)
        }
        let t = target.pointer
        t.pointee.width = Int32(width)
        t.pointee.height = Int32(height)
        t.pointee.format = format.rawValue
        t.pointee.data.0 = destination.assumingMemoryBound(to: UInt8.self)
        t.pointee.linesize.0 = Int32(step)
        defer { t.pointee.data.0 = nil }
        try avCheck(sws_scale_frame(context, t, frame), "convert frame pixels")
    }

    private func makeContext(_ f: AVFrame, to format: AVPixelFormat, width: Int, height: Int) throws -> OpaquePointer {
        let name = av_get_pix_fmt_name(AVPixelFormat(rawValue: f.format)).map { String(cString: $0) } ?? "format \(f.format)"
        let what = "convert \(name) \(f.width)x\(f.height) to \(width)x\(height)"
        guard let made = sws_alloc_context() else { throw MediaError(code: vlm_averror(ENOMEM), context: what) }
        let raw = UnsafeMutableRawPointer(made)
        let settings: [(String, Int64)] = [
            ("srcw", Int64(f.width)), ("srch", Int64(f.height)), ("src_format", Int64(f.format)),
            ("dstw", Int64(width)), ("dsth", Int64(height)), ("dst_format", Int64(format.rawValue)),
            ("sws_flags", Int64(SWS_BICUBIC)), ("threads", Int64(threads)),
        ]
        for (option, value) in settings where av_opt_set_int(raw, option, value, 0) < 0 {
            sws_freeContext(made)
            throw MediaError("swscale rejected \(option)=\(value)", context: what)
        }
        let status = sws_init_context(made, nil, nil)
        if status < 0 {
            sws_freeContext(made)
            throw MediaError(code: status, context: what)
        }
        return made
    }

    /// YUV sources: use the frame's matrix (BT.601/709/…) and range, like the CLI's scale filter.
    private func applyColorspace(_ f: AVFrame) {
        var invTable: UnsafeMutablePointer<Int32>? = nil
        var table: UnsafeMutablePointer<Int32>? = nil
        var srcRange: Int32 = 0, dstRange: Int32 = 0, brightness: Int32 = 0, contrast: Int32 = 0, saturation: Int32 = 0
        guard sws_getColorspaceDetails(context, &invTable, &srcRange, &table, &dstRange,
                                       &brightness, &contrast, &saturation) >= 0 else { return }
        var matrix = invTable.map { UnsafePointer($0) }
        let space = Int32(bitPattern: f.colorspace.rawValue)
        if f.colorspace != AVCOL_SPC_UNSPECIFIED && f.colorspace != AVCOL_SPC_RGB {
            matrix = sws_getCoefficients(space)
        }
        if f.color_range == AVCOL_RANGE_JPEG { srcRange = 1 } else if f.color_range == AVCOL_RANGE_MPEG { srcRange = 0 }
        _ = sws_setColorspaceDetails(context, matrix, srcRange, table.map { UnsafePointer($0) }, dstRange,
                                     brightness, contrast, saturation)
    }
}
