import CFFmpeg
import Foundation

/// Demuxes and decodes the best video stream of an input: one reused packet, decoded frames in
/// stream order with timestamps in seconds. Handles `start` (seek + discard) and `loop` (rewind,
/// with timestamps continuing across passes). Not thread-safe: use it from one thread.
final class VideoDecoder {
    let input: MediaInput
    let context: InputContext
    let decoder: DecoderContext
    let streamIndex: Int32
    private let packet = Packet()
    private let timeBase: Double
    /// Stream start time in seconds (`start` is relative to it, like `ffmpeg -ss`).
    let streamStart: Double
    /// Nominal frame duration, for streams whose frames carry none.
    let nominalFrameDuration: Double
    private let start: Double
    /// Network streams and devices (not files, not lavfi) must deliver within this many seconds.
    private let readTimeout: Double?
    private let loop: Bool
    private var inputEnded = false
    private var loopOffset = 0.0
    private var passFirstPts: Double?
    private var lastPts: Double?
    private var lastDuration = 0.0
    private var framesThisPass = 0
    private var consecutiveErrors = 0
    /// Packets or frames FFmpeg rejected as corrupt and that we skipped.
    private(set) var corruptPackets = 0
    private var label: String { input.description }

    init(input: MediaInput, threads: Int, start: Double, loop: Bool, interrupt: InterruptFlag,
         openTimeout: Double, inputOptions: [String: String] = [:]) throws {
        FFmpegSetup.ensure()
        self.input = input
        var format: UnsafePointer<AVInputFormat>? = nil
        if let name = input.formatName {
            format = av_find_input_format(name)
            if format == nil {
                throw MediaError("FFmpeg has no input device or format '\(name)'", context: "open input \(input)")
            }
        }
        interrupt.setDeadline(seconds: openTimeout)
        defer { interrupt.setDeadline(seconds: nil) }
        do {
            context = try InputContext(url: input.openURL, format: format, options: inputOptions,
                                       interrupt: interrupt, label: input.description)
        } catch let error as MediaError where !interrupt.isRaised && error.code == vlm_averror_exit() {
            throw MediaError("no answer within \(openTimeout) s", context: "open input \(input)")
        }
        let best = av_find_best_stream(context.pointer, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        guard best >= 0 else { throw MediaError("it has no video stream", context: "decode \(input)") }
        streamIndex = best
        for i in 0..<Int32(context.pointer.pointee.nb_streams) where i != best {
            context.stream(i).pointee.discard = AVDISCARD_ALL
        }
        let stream = context.stream(best)
        timeBase = av_q2d(stream.pointee.time_base)
        streamStart = stream.pointee.start_time == vlm_av_nopts_value() ? 0 : Double(stream.pointee.start_time) * timeBase
        let rate = stream.pointee.avg_frame_rate.num > 0 ? stream.pointee.avg_frame_rate : stream.pointee.r_frame_rate
        nominalFrameDuration = rate.num > 0 && rate.den > 0 ? 1 / av_q2d(rate) : 1.0 / 30
        decoder = try DecoderContext(input: context, streamIndex: best, threads: threads, label: input.description)
        self.start = max(0, start)
        switch input.kind {
        case .file: readTimeout = nil
        case .device(let format, _) where format == "lavfi": readTimeout = nil
        default: readTimeout = openTimeout
        }
        self.loop = loop && input.isSeekable
        if self.start > 0 && input.isSeekable { seek(to: self.start) }
    }

    /// Nominal frame rate of the stream (frames per second).
    var nominalFPS: Double { 1 / nominalFrameDuration }
    var codecName: String { String(cString: avcodec_get_name(decoder.pointer.pointee.codec_id)) }
    var width: Int { Int(decoder.pointer.pointee.width) }
    var height: Int { Int(decoder.pointer.pointee.height) }

    /// Decodes the next frame into `frame` and returns its pts in seconds (nil at the end).
    func next(into frame: Frame, interrupt: InterruptFlag) throws -> Double? {
        while !interrupt.isRaised {
            let status: AVStatus
            do {
                status = try decoder.receive(into: frame, label: label)
            } catch let error as MediaError {
                try skipCorrupt(error)
                continue
            }
            switch status {
            case .ok:
                consecutiveErrors = 0
                guard let pts = timestamp(of: frame) else { frame.unref(); continue }
                return pts
            case .eof:
                guard loop, framesThisPass > 0 else { return nil }
                rewind()
            case .again:
                if inputEnded {
                    _ = try decoder.send(nil, label: label)
                    continue
                }
                try feedPacket(interrupt: interrupt)
            }
        }
        return nil
    }

    /// Reads one packet of our stream and sends it to the decoder; at the end, flushes.
    private func feedPacket(interrupt: InterruptFlag) throws {
        // A stalled stream or camera would block av_read_frame forever; the deadline aborts it.
        if readTimeout != nil { interrupt.setDeadline(seconds: readTimeout) }
        let read = av_read_frame(context.pointer, packet.pointer)
        if readTimeout != nil { interrupt.setDeadline(seconds: nil) }
        if let readTimeout, read == vlm_averror_exit(), !interrupt.isRaised {
            throw MediaError("no data for \(readTimeout) s", context: "read from input \(label)")
        }
        if read == vlm_averror_eof() || (read < 0 && interrupt.isRaised) {
            inputEnded = true
            _ = try decoder.send(nil, label: label)
            return
        }
        if read == vlm_averror_eagain() { usleep(2_000); return }
        try avCheck(read, "read from input \(label)")
        defer { packet.unref() }
        guard packet.pointer.pointee.stream_index == streamIndex else { return }
        do {
            _ = try decoder.send(packet, label: label)
        } catch let error as MediaError {
            try skipCorrupt(error)
        }
    }

    /// FFmpeg (and the ffmpeg CLI) carries on past corrupt packets; so do we, up to a limit.
    private func skipCorrupt(_ error: MediaError) throws {
        guard error.code == vlm_averror_invaliddata(), consecutiveErrors < 50 else { throw error }
        corruptPackets += 1
        consecutiveErrors += 1
    }

    /// Pts in seconds (loop offset included); nil for frames before `start`.
    private func timestamp(of frame: Frame) -> Double? {
        let raw = frame.pointer.pointee.best_effort_timestamp
        var pts: Double
        if raw == vlm_av_nopts_value() {
            pts = (lastPts.map { $0 - loopOffset + lastDuration }) ?? streamStart
        } else {
            pts = Double(raw) * timeBase
        }
        if pts - streamStart < start - 1e-6 { return nil }
        let duration = Double(frame.pointer.pointee.pkt_duration) * timeBase
        lastDuration = duration > 0 ? duration : nominalFrameDuration
        if passFirstPts == nil { passFirstPts = pts }
        framesThisPass += 1
        pts += loopOffset
        lastPts = pts
        return pts
    }

    /// Back to `start` for the next `loop` pass; the next pass's pts continue after this one's.
    private func rewind() {
        if let first = passFirstPts, let last = lastPts {
            loopOffset = last + lastDuration - first
        }
        seek(to: start)
        decoder.flush()
        inputEnded = false
        framesThisPass = 0
    }

    private func seek(to seconds: Double) {
        let target = Int64((seconds + streamStart) * Double(AV_TIME_BASE))
        // Lands on the keyframe at or before the target; `timestamp(of:)` drops the frames before it.
        _ = avformat_seek_file(context.pointer, -1, Int64.min, target, target, 0)
    }
}
