import CFFmpeg
import Foundation

/// Encodes a stream of same-sized frames as JPEG (FFmpeg's mjpeg encoder), reusing the encoder and
/// the pixel converter between frames (the live viewer sends every browser frame through it).
public final class JPEGEncoder {
    public let width: Int
    public let height: Int
    public let pixelFormat: FrameEncoding
    private let encoder: EncoderContext
    private let picture = Frame()
    private let source = Frame()
    private var sws: OpaquePointer?
    private var pts: Int64 = 0
    private var label: String { "encode a \(width)x\(height) JPEG" }

    /// `quality` 1–100 (mapped onto mjpeg's qscale 31…2, as `ImageIO.writeImage`).
    public init(width: Int, height: Int, encoding: FrameEncoding, quality: Int = 75) throws {
        FFmpegSetup.ensure()
        let label = "encode a \(width)x\(height) JPEG"
        guard width > 0, height > 0 else { throw MediaError("size \(width)x\(height) must be positive", context: label) }
        self.width = width; self.height = height; self.pixelFormat = encoding
        encoder = try EncoderContext(codecID: AV_CODEC_ID_MJPEG, width: width, height: height, format: AV_PIX_FMT_YUVJ420P,
                                     timeBase: AVRational(num: 1, den: 30), label: label) { c in
            let q = Int32(max(2, min(31, 31 - (max(1, min(100, quality)) * 29) / 100)))
            c.pointee.flags |= AV_CODEC_FLAG_QSCALE
            c.pointee.global_quality = q * FF_QP2LAMBDA
            c.pointee.qmin = q
            c.pointee.qmax = q
        }
        let p = picture.pointer
        p.pointee.width = Int32(width); p.pointee.height = Int32(height); p.pointee.format = AV_PIX_FMT_YUVJ420P.rawValue
        try avCheck(av_frame_get_buffer(p, 0), label)
        let inFormat: AVPixelFormat = encoding == .rgb8 ? AV_PIX_FMT_RGB24 : encoding == .bgr8 ? AV_PIX_FMT_BGR24 : AV_PIX_FMT_GRAY8
        sws = sws_getContext(Int32(width), Int32(height), inFormat, Int32(width), Int32(height), AV_PIX_FMT_YUVJ420P,
                             SWS_BILINEAR, nil, nil, nil)
        if sws == nil { throw MediaError("no conversion to yuvj420p", context: label) }
        let s = source.pointer
        s.pointee.width = Int32(width); s.pointee.height = Int32(height); s.pointee.format = inFormat.rawValue
    }

    deinit { sws_freeContext(sws) }

    /// One frame (`step`-byte rows, top to bottom) as JPEG bytes.
    public func encode(pixels: UnsafeRawBufferPointer, step: Int) throws -> [UInt8] {
        let rowBytes = width * (pixelFormat == .gray8 ? 1 : 3)
        guard step >= rowBytes, pixels.count >= step * (height - 1) + rowBytes, let base = pixels.baseAddress else {
            throw MediaError("\(pixels.count) bytes with step \(step) do not hold a \(width)x\(height) \(pixelFormat) frame", context: label)
        }
        try avCheck(av_frame_make_writable(picture.pointer), label)
        let s = source.pointer
        // Borrowed, not owned: the source frame only describes the caller's bytes during this call.
        s.pointee.data.0 = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self))
        s.pointee.linesize.0 = Int32(step)
        defer { s.pointee.data.0 = nil }
        var srcData = s.pointee.data, srcStride = s.pointee.linesize
        var dstData = picture.pointer.pointee.data, dstStride = picture.pointer.pointee.linesize
        let rows = withUnsafeMutablePointer(to: &srcData) { sp in
            sp.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { src in
                withUnsafeMutablePointer(to: &srcStride) { ssp in
                    ssp.withMemoryRebound(to: Int32.self, capacity: 8) { srcStrides in
                        withUnsafeMutablePointer(to: &dstData) { dp in
                            dp.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dst in
                                withUnsafeMutablePointer(to: &dstStride) { dsp in
                                    dsp.withMemoryRebound(to: Int32.self, capacity: 8) { dstStrides in
                                        sws_scale(sws, src, srcStrides, 0, Int32(height), dst, dstStrides)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if rows < 0 { throw MediaError(code: rows, context: label) }
        picture.pointer.pointee.pts = pts
        pts += 1
        var out: [UInt8] = []
        try encoder.encode(picture, label: label) { packet in
            out.append(contentsOf: UnsafeRawBufferPointer(start: packet.pointee.data, count: Int(packet.pointee.size)))
        }
        return out
    }
}
