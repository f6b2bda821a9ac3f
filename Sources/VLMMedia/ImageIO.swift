import CFFmpeg
import Foundation

/// Still images through FFmpeg: anything it reads (PNG, JPEG, BMP, WebP, TIFF…) in, PNG/JPEG out.
public enum ImageIO {
    /// Decodes the first frame of an image (or video) file to packed rgb24.
    ///
    /// Returns `(width, height, rgb)` with `rgb.count == width * height * 3`; the caller builds
    /// its own image type (e.g. VLMCore's `RGBImage`).
    public static func loadImage(_ path: String) throws -> (width: Int, height: Int, rgb: [UInt8]) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw MediaError(code: vlm_averror(ENOENT), context: "load image '\(path)'")
        }
        let source = try FrameSource(input: path, options: .init(realtime: false, maxFrames: 1, threads: 1))
        guard let frame = try source.next() else {
            throw MediaError("it holds no decodable picture", context: "load image '\(path)'")
        }
        let rgb = frame.pixels.withBytes { [UInt8]($0) }
        return (frame.info.width, frame.info.height, rgb)
    }

    /// Encodes packed rgb24 pixels as PNG (lossless) or JPEG (`.jpg`/`.jpeg`, `quality` 1–100),
    /// chosen by the path's extension.
    public static func writeImage(rgb: UnsafeRawBufferPointer, width: Int, height: Int, to path: String,
                                  quality: Int = 90) throws {
        let context = "write image '\(path)'"
        guard width > 0, height > 0, rgb.count >= width * height * 3 else {
            throw MediaError("\(rgb.count) bytes do not hold a \(width)x\(height) rgb24 image", context: context)
        }
        let ext = (path as NSString).pathExtension.lowercased()
        let codecID: AVCodecID, format: AVPixelFormat
        switch ext {
        case "png": (codecID, format) = (AV_CODEC_ID_PNG, AV_PIX_FMT_RGB24)
        case "jpg", "jpeg": (codecID, format) = (AV_CODEC_ID_MJPEG, AV_PIX_FMT_YUVJ420P)
        default: throw MediaError("unsupported extension '.\(ext)' (use .png, .jpg or .jpeg)", context: context)
        }
        let encoder = try EncoderContext(codecID: codecID, width: width, height: height, format: format,
                                         timeBase: AVRational(num: 1, den: 25), label: context) { c in
            if codecID == AV_CODEC_ID_MJPEG {
                // JPEG quality 1–100 mapped onto mjpeg's qscale 31…2.
                let q = Int32(max(2, min(31, 31 - (max(1, min(100, quality)) * 29) / 100)))
                c.pointee.flags |= AV_CODEC_FLAG_QSCALE
                c.pointee.global_quality = q * FF_QP2LAMBDA
                c.pointee.qmin = q
                c.pointee.qmax = q
            }
        }
        let frame = try PictureConverter.frame(fromRGB: rgb, width: width, height: height, to: format, label: context)
        let bytes = try encoder.encodeAll([frame], label: context)
        guard FileManager.default.createFile(atPath: path, contents: bytes) else {
            throw MediaError(code: vlm_averror(EACCES), context: context)
        }
    }
}

/// rgb24 bytes into a newly allocated frame of another pixel format (for encoders).
enum PictureConverter {
    static func frame(fromRGB rgb: UnsafeRawBufferPointer, width: Int, height: Int, to format: AVPixelFormat,
                      label: String, pts: Int64 = 0) throws -> Frame {
        let source = Frame()
        let src = source.pointer
        src.pointee.width = Int32(width)
        src.pointee.height = Int32(height)
        src.pointee.format = AV_PIX_FMT_RGB24.rawValue
        // Borrowed, not owned: the source frame only lives for this conversion.
        src.pointee.data.0 = UnsafeMutablePointer(mutating: rgb.baseAddress!.assumingMemoryBound(to: UInt8.self))
        src.pointee.linesize.0 = Int32(width * 3)
        defer { src.pointee.data.0 = nil }
        let output = Frame()
        let dst = output.pointer
        dst.pointee.width = Int32(width)
        dst.pointee.height = Int32(height)
        dst.pointee.format = format.rawValue
        try avCheck(av_frame_get_buffer(dst, 0), "allocate a frame to \(label)")
        guard let sws = sws_getContext(Int32(width), Int32(height), AV_PIX_FMT_RGB24, Int32(width), Int32(height),
                                       format, SWS_BICUBIC, nil, nil, nil) else {
            throw MediaError("no rgb24 conversion to \(String(cString: av_get_pix_fmt_name(format)))", context: label)
        }
        defer { sws_freeContext(sws) }
        try avCheck(sws_scale_frame(sws, dst, src), "convert pixels to \(label)")
        dst.pointee.pts = pts
        return output
    }
}
