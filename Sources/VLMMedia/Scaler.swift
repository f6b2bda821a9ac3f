import CFFmpeg

/// A `SwsContext` converting decoded frames to packed rgb24/bgr24/gray; freed in deinit.
///
/// Rebuilt only when the source geometry or pixel format changes. Uses bicubic scaling and the
/// frame's colour matrix and range, as the ffmpeg CLI's scale filter does, so our bytes equal
/// `ffmpeg … -f rawvideo -pix_fmt rgb24` output.
final class Scaler {
    private var context: OpaquePointer?
    private var key: Key?

    private struct Key: Equatable {
        var width, height, format, outWidth, outHeight, outFormat: Int32
        var colorspace, range: UInt32
    }

    init() {}

    deinit { sws_freeContext(context) }

    /// Converts `frame` into `destination` (packed rows of `step` bytes, `size` pixels).
    func convert(_ frame: UnsafeMutablePointer<AVFrame>, to format: AVPixelFormat,
                 width: Int, height: Int, destination: UnsafeMutableRawPointer, step: Int) throws {
        let f = frame.pointee
        let newKey = Key(width: f.width, height: f.height, format: f.format, outWidth: Int32(width),
                         outHeight: Int32(height), outFormat: format.rawValue,
                         colorspace: f.colorspace.rawValue, range: f.color_range.rawValue)
        if context == nil || newKey != key {
            let source = AVPixelFormat(rawValue: f.format)
            guard let made = sws_getCachedContext(context, f.width, f.height, source,
                                                  Int32(width), Int32(height), format,
                                                  SWS_BICUBIC, nil, nil, nil) else {
                let name = av_get_pix_fmt_name(AVPixelFormat(rawValue: f.format)).map { String(cString: $0) } ?? "\(f.format)"
                throw MediaError("cannot convert \(name) \(f.width)x\(f.height) to \(width)x\(height)",
                                 context: "set up pixel conversion")
            }
            context = made
            key = newKey
            applyColorspace(f)
        }
        var dst: (UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?,
                  UnsafeMutablePointer<UInt8>?) = (destination.assumingMemoryBound(to: UInt8.self), nil, nil, nil)
        var dstStride: (Int32, Int32, Int32, Int32) = (Int32(step), 0, 0, 0)
        var srcData = frame.pointee.data
        var srcStride = frame.pointee.linesize
        let rows = withUnsafePointer(to: &srcData) { srcPtr in
            srcPtr.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { src in
                withUnsafePointer(to: &srcStride) { stridePtr in
                    stridePtr.withMemoryRebound(to: Int32.self, capacity: 8) { strides in
                        withUnsafePointer(to: &dst) { dstPtr in
                            dstPtr.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 4) { d in
                                withUnsafePointer(to: &dstStride) { dsPtr in
                                    dsPtr.withMemoryRebound(to: Int32.self, capacity: 4) { ds in
                                        sws_scale(context, src, strides, 0, f.height, d, ds)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if rows < 0 { throw MediaError(code: rows, context: "convert frame pixels") }
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
