import CFFmpeg
import Foundation

/// An output file being muxed (`AVFormatContext` + its `AVIOContext`); closed and freed in deinit.
final class OutputContext {
    let pointer: UnsafeMutablePointer<AVFormatContext>

    init(path: String, label: String) throws {
        var made: UnsafeMutablePointer<AVFormatContext>? = nil
        try avCheck(avformat_alloc_output_context2(&made, nil, nil, path), "choose a container for \(label)")
        pointer = made!
        if pointer.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
            try avCheck(avio_open(&pointer.pointee.pb, path, AVIO_FLAG_WRITE), "create \(label)")
        }
    }

    deinit {
        if pointer.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 { avio_closep(&pointer.pointee.pb) }
        avformat_free_context(pointer)
    }

    var wantsGlobalHeader: Bool { pointer.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 }
}

/// Writes rgb24 frames to a video file (MP4/MKV/… by extension), H.264 via libx264 when FFmpeg
/// has it, else MPEG-4 Part 2. Call `finish()` to write the trailer (deinit does it otherwise).
public final class VideoWriter {
    public let path: String
    public let width: Int
    public let height: Int
    /// The encoder actually used (`libx264`, `mpeg4`…).
    public let codecName: String
    private let output: OutputContext
    private let encoder: EncoderContext
    private let stream: UnsafeMutablePointer<AVStream>
    private let picture = Frame()
    private var sws: OpaquePointer?
    private var nextPts: Int64 = 0
    private var finished = false
    private var label: String { "write video '\(path)'" }

    /// Opens `path` for `width`x`height` frames at `fps`; `codec` forces an encoder by name.
    public init(path: String, width: Int, height: Int, fps: Double, codec: String? = nil) throws {
        FFmpegSetup.ensure()
        let label = "write video '\(path)'"
        guard width > 0, height > 0, width % 2 == 0, height % 2 == 0 else {
            throw MediaError("size \(width)x\(height) must be positive and even (yuv420p)", context: label)
        }
        guard fps > 0, fps <= 1000 else { throw MediaError("fps \(fps) out of range", context: label) }
        self.path = path
        self.width = width
        self.height = height
        output = try OutputContext(path: path, label: label)
        let name = codec ?? (avcodec_find_encoder_by_name("libx264") != nil ? "libx264" : "mpeg4")
        let rate = av_d2q(fps, 100_000)
        let global = output.wantsGlobalHeader
        encoder = try EncoderContext(codecID: AV_CODEC_ID_NONE, codecName: name, width: width, height: height,
                                     format: AV_PIX_FMT_YUV420P, timeBase: AVRational(num: rate.den, den: rate.num),
                                     label: label, options: name == "libx264" ? ["preset": "veryfast", "crf": "20"] : [:]) { c in
            c.pointee.framerate = rate
            c.pointee.gop_size = 2 * Int32(fps.rounded(.up))
            if name == "mpeg4" { c.pointee.bit_rate = Int64(width * height) * 4 }
            if global { c.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        }
        codecName = name
        guard let made = avformat_new_stream(output.pointer, nil) else {
            throw MediaError(code: vlm_averror(ENOMEM), context: label)
        }
        stream = made
        stream.pointee.time_base = encoder.pointer.pointee.time_base
        try avCheck(avcodec_parameters_from_context(stream.pointee.codecpar, encoder.pointer), label)
        try avCheck(avformat_write_header(output.pointer, nil), "write the header of '\(path)'")
        picture.pointer.pointee.width = Int32(width)
        picture.pointer.pointee.height = Int32(height)
        picture.pointer.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        try avCheck(av_frame_get_buffer(picture.pointer, 0), label)
        sws = sws_getContext(Int32(width), Int32(height), AV_PIX_FMT_RGB24, Int32(width), Int32(height),
                             AV_PIX_FMT_YUV420P, SWS_BICUBIC, nil, nil, nil)
        if sws == nil { throw MediaError("no rgb24 → yuv420p conversion", context: label) }
    }

    deinit {
        if !finished { try? finish() }
        sws_freeContext(sws)
    }

    /// Appends one packed rgb24 frame (`width * height * 3` bytes).
    public func write(rgb: UnsafeRawBufferPointer) throws {
        guard !finished else { throw MediaError("the file is already finished", context: label) }
        guard rgb.count >= width * height * 3, let base = rgb.baseAddress else {
            throw MediaError("\(rgb.count) bytes do not hold a \(width)x\(height) rgb24 frame", context: label)
        }
        // The encoder may still reference the previous picture's buffers.
        try avCheck(av_frame_make_writable(picture.pointer), label)
        var src: UnsafePointer<UInt8>? = base.assumingMemoryBound(to: UInt8.self)
        var srcStride = Int32(width * 3)
        let p = picture.pointer
        var dstData = p.pointee.data
        var dstStride = p.pointee.linesize
        let rows = withUnsafeMutablePointer(to: &dstData) { dataPtr in
            dataPtr.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dst in
                withUnsafeMutablePointer(to: &dstStride) { stridePtr in
                    stridePtr.withMemoryRebound(to: Int32.self, capacity: 8) { strides in
                        sws_scale(sws, &src, &srcStride, 0, Int32(height), dst, strides)
                    }
                }
            }
        }
        if rows < 0 { throw MediaError(code: rows, context: label) }
        p.pointee.pts = nextPts
        nextPts += 1
        try encoder.encode(picture, label: label) { try mux($0) }
    }

    /// Flushes the encoder and writes the trailer; the file is complete afterwards.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        try encoder.encode(nil, label: label) { try mux($0) }
        try avCheck(av_write_trailer(output.pointer), "finish '\(path)'")
    }

    private func mux(_ packet: UnsafeMutablePointer<AVPacket>) throws {
        av_packet_rescale_ts(packet, encoder.pointer.pointee.time_base, stream.pointee.time_base)
        packet.pointee.stream_index = stream.pointee.index
        try avCheck(av_interleaved_write_frame(output.pointer, packet), label)
    }
}
