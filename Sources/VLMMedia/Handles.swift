import CFFmpeg
import Foundation
import Synchronization

// One owner class per FFmpeg handle; each frees its handle in deinit. Handles stay on the thread
// that uses them (FFmpeg contexts are not thread-safe); only `InterruptFlag` is shared.

/// Lets another thread (a signal handler, a deadline) abort blocking FFmpeg I/O.
///
/// FFmpeg polls it through `AVIOInterruptCB` while opening and reading, so a stalled network
/// stream or a camera that never delivers can still be stopped.
public final class InterruptFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    /// Monotonic nanoseconds after which blocking calls are aborted (0 = no deadline).
    private let deadline = Atomic<UInt64>(0)

    public init() {}

    /// Asks every blocking FFmpeg call that polls this flag to return.
    public func raise() { raised.store(true, ordering: .relaxed) }
    public var isRaised: Bool { raised.load(ordering: .relaxed) }

    /// Aborts blocking calls `seconds` from now; `nil` removes the deadline.
    func setDeadline(seconds: Double?) {
        guard let seconds else { deadline.store(0, ordering: .relaxed); return }
        deadline.store(DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9), ordering: .relaxed)
    }

    fileprivate var shouldAbort: Bool {
        if isRaised { return true }
        let limit = deadline.load(ordering: .relaxed)
        return limit != 0 && DispatchTime.now().uptimeNanoseconds > limit
    }
}

private func interruptCallback(_ opaque: UnsafeMutableRawPointer?) -> Int32 {
    guard let opaque else { return 0 }
    return Unmanaged<InterruptFlag>.fromOpaque(opaque).takeUnretainedValue().shouldAbort ? 1 : 0
}

/// An opened input (`AVFormatContext`); closed with `avformat_close_input` in deinit.
final class InputContext {
    let pointer: UnsafeMutablePointer<AVFormatContext>
    /// Kept alive as long as FFmpeg may call back into it.
    let interrupt: InterruptFlag

    /// Opens `url` with an optional forced input format (a device such as `v4l2`, `lavfi`).
    init(url: String, format: UnsafePointer<AVInputFormat>?, options: [String: String],
         interrupt: InterruptFlag, label: String) throws {
        guard let context = avformat_alloc_context() else {
            throw MediaError(code: vlm_averror(ENOMEM), context: "open input \(label)")
        }
        context.pointee.interrupt_callback = AVIOInterruptCB(
            callback: interruptCallback, opaque: Unmanaged.passUnretained(interrupt).toOpaque())
        var dictionary: OpaquePointer? = nil
        for (key, value) in options { av_dict_set(&dictionary, key, value, 0) }
        defer { av_dict_free(&dictionary) }
        var slot: UnsafeMutablePointer<AVFormatContext>? = context
        // On failure avformat_open_input frees the context and nils `slot`.
        try avCheck(avformat_open_input(&slot, url, format, &dictionary), "open input \(label)")
        self.pointer = slot!
        self.interrupt = interrupt
        // Fully initialised from here: a throw runs deinit, which closes the input.
        // avformat_open_input leaves the options nobody recognised in `dictionary`.
        if let entry = av_dict_get(dictionary, "", nil, AV_DICT_IGNORE_SUFFIX) {
            let key = String(cString: entry.pointee.key)
            throw MediaError("unknown input option '\(key)' for \(formatName)", context: "open input \(label)")
        }
        try avCheck(avformat_find_stream_info(pointer, nil), "read stream info of \(label)")
    }

    deinit {
        var slot: UnsafeMutablePointer<AVFormatContext>? = pointer
        avformat_close_input(&slot)
    }

    /// The demuxer's short name (`mov,mp4,m4a,3gp,3g2,mj2`, `video4linux2,v4l2`, `lavfi`...).
    var formatName: String { pointer.pointee.iformat.map { String(cString: $0.pointee.name) } ?? "" }

    func stream(_ index: Int32) -> UnsafeMutablePointer<AVStream> { pointer.pointee.streams[Int(index)]! }
}

/// A decoder (`AVCodecContext`) for one stream of an input; freed in deinit.
final class DecoderContext {
    let pointer: UnsafeMutablePointer<AVCodecContext>
    /// The input whose stream parameters this decoder was opened from (children keep parents alive).
    let input: InputContext

    init(input: InputContext, streamIndex: Int32, threads: Int, label: String) throws {
        let stream = input.stream(streamIndex)
        guard let codec = avcodec_find_decoder(stream.pointee.codecpar.pointee.codec_id) else {
            let name = String(cString: avcodec_get_name(stream.pointee.codecpar.pointee.codec_id))
            throw MediaError("no decoder for codec \(name)", context: "decode \(label)")
        }
        guard let context = avcodec_alloc_context3(codec) else {
            throw MediaError(code: vlm_averror(ENOMEM), context: "decode \(label)")
        }
        self.pointer = context
        self.input = input
        try avCheck(avcodec_parameters_to_context(context, stream.pointee.codecpar), "decode \(label)")
        context.pointee.pkt_timebase = stream.pointee.time_base
        // 0 lets FFmpeg pick one thread per core; frame + slice threading as the CLI does.
        context.pointee.thread_count = Int32(max(0, threads))
        context.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
        try avCheck(avcodec_open2(context, codec, nil), "open decoder for \(label)")
    }

    deinit {
        var slot: UnsafeMutablePointer<AVCodecContext>? = pointer
        avcodec_free_context(&slot)
    }

    /// Sends a packet (nil = flush/drain).
    func send(_ packet: Packet?, label: String) throws -> AVStatus {
        try avStatus(avcodec_send_packet(pointer, packet?.pointer), "decode \(label)")
    }

    /// Receives the next decoded frame into `frame` (`.again` = needs input, `.eof` = drained).
    func receive(into frame: Frame, label: String) throws -> AVStatus {
        try avStatus(avcodec_receive_frame(pointer, frame.pointer), "decode \(label)")
    }

    /// Drops buffered frames, e.g. after a seek.
    func flush() { avcodec_flush_buffers(pointer) }
}

/// An `AVFrame` reused across decode calls; freed in deinit.
final class Frame {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() {
        guard let frame = av_frame_alloc() else { fatalError("av_frame_alloc: out of memory") }
        pointer = frame
    }

    deinit {
        var slot: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&slot)
    }

    /// Moves `other`'s buffers into this frame (no copy); `other` is left blank.
    func take(from other: Frame) {
        av_frame_unref(pointer)
        av_frame_move_ref(pointer, other.pointer)
    }

    func unref() { av_frame_unref(pointer) }
    var isEmpty: Bool { pointer.pointee.buf.0 == nil && pointer.pointee.data.0 == nil }
}

/// An `AVPacket` reused across reads; freed in deinit.
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() {
        guard let packet = av_packet_alloc() else { fatalError("av_packet_alloc: out of memory") }
        pointer = packet
    }

    deinit {
        var slot: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&slot)
    }

    func unref() { av_packet_unref(pointer) }
}

/// An encoder (`AVCodecContext`) for images and video; freed in deinit.
final class EncoderContext {
    let pointer: UnsafeMutablePointer<AVCodecContext>
    private let packet = Packet()

    /// Opens an encoder by id (or by name, e.g. `libx264`, when `codecName` is given).
    init(codecID: AVCodecID, codecName: String? = nil, width: Int, height: Int, format: AVPixelFormat,
         timeBase: AVRational, label: String, options: [String: String] = [:],
         configure: (UnsafeMutablePointer<AVCodecContext>) -> Void = { _ in }) throws {
        let found = codecName.flatMap { avcodec_find_encoder_by_name($0) } ?? avcodec_find_encoder(codecID)
        guard let codec = found else {
            throw MediaError("FFmpeg has no \(codecName ?? String(cString: avcodec_get_name(codecID))) encoder", context: label)
        }
        guard let context = avcodec_alloc_context3(codec) else {
            throw MediaError(code: vlm_averror(ENOMEM), context: label)
        }
        pointer = context
        context.pointee.width = Int32(width)
        context.pointee.height = Int32(height)
        context.pointee.pix_fmt = format
        context.pointee.time_base = timeBase
        configure(context)
        var dictionary: OpaquePointer? = nil
        for (key, value) in options { av_dict_set(&dictionary, key, value, 0) }
        defer { av_dict_free(&dictionary) }
        try avCheck(avcodec_open2(context, codec, &dictionary), "open \(String(cString: codec.pointee.name)) encoder to \(label)")
    }

    deinit {
        var slot: UnsafeMutablePointer<AVCodecContext>? = pointer
        avcodec_free_context(&slot)
    }

    /// Sends a frame (nil = flush) and hands every packet that comes out to `body`.
    func encode(_ frame: Frame?, label: String, _ body: (UnsafeMutablePointer<AVPacket>) throws -> Void) throws {
        _ = try avStatus(avcodec_send_frame(pointer, frame?.pointer), "encode \(label)")
        while true {
            let status = try avStatus(avcodec_receive_packet(pointer, packet.pointer), "encode \(label)")
            guard status == .ok else { return }
            defer { packet.unref() }
            try body(packet.pointer)
        }
    }

    /// Encodes `frames` then flushes, returning all packet bytes concatenated (one image = one packet).
    func encodeAll(_ frames: [Frame], label: String) throws -> Data {
        var bytes = Data()
        let collect: (UnsafeMutablePointer<AVPacket>) -> Void = { packet in
            bytes.append(packet.pointee.data, count: Int(packet.pointee.size))
        }
        for frame in frames { try encode(frame, label: label, collect) }
        try encode(nil, label: label, collect)
        return bytes
    }
}
