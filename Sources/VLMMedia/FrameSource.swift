import CFFmpeg
import Foundation

/// How a `FrameSource` decodes, converts, resamples and paces.
public struct FrameSourceOptions: Sendable {
    /// Output size (swscale, bicubic); nil keeps the decoded size.
    public var size: FrameSize?
    public var encoding: FrameEncoding
    /// Output rate: frames are dropped or duplicated by pts (sample and hold); nil keeps every frame.
    public var fps: Double?
    /// Start again from `start` at the end of a file (ignored for live and device inputs).
    public var loop: Bool
    /// Pace non-live inputs at their native rate (the default, like a camera). Live inputs
    /// (cameras, rtsp/udp streams) arrive at their own rate and are never paced on top.
    public var realtime: Bool
    /// Seconds into the stream to begin at (seek for files, discard for devices).
    public var start: Double
    /// Stop after this many frames.
    public var maxFrames: Int?
    /// FFmpeg decoder threads; 0 lets FFmpeg choose (one per core).
    public var threads: Int
    /// Give up opening an input (network, device) after this many seconds.
    public var openTimeout: Double
    /// Demuxer/device/protocol options for opening the input, e.g. `video_size=1280x720`,
    /// `framerate=30`, `input_format=mjpeg` (V4L2) or `rtsp_transport=tcp`.
    public var inputOptions: [String: String]

    public init(size: FrameSize? = nil, encoding: FrameEncoding = .rgb8, fps: Double? = nil,
                loop: Bool = false, realtime: Bool = true, start: Double = 0, maxFrames: Int? = nil,
                threads: Int = 0, openTimeout: Double = 10, inputOptions: [String: String] = [:]) {
        self.size = size
        self.encoding = encoding
        self.fps = fps
        self.loop = loop
        self.realtime = realtime
        self.start = start
        self.maxFrames = maxFrames
        self.threads = threads
        self.openTimeout = openTimeout
        self.inputOptions = inputOptions
    }
}

/// Counters a source keeps while running.
public struct FrameSourceStats: Sendable, Equatable {
    /// Frames decoded from the input.
    public var decoded = 0
    /// Frames emitted (after resampling).
    public var emitted = 0
    /// Decoded frames the `fps` resampler dropped.
    public var dropped = 0
    /// Extra copies the `fps` resampler emitted to fill gaps.
    public var duplicated = 0
    /// Corrupt packets skipped (as the ffmpeg CLI does).
    public var corrupt = 0
}

/// Frames from a file, URL, camera or FFmpeg device, converted to packed rgb8/bgr8/gray8.
///
/// `next()` blocks until the next frame is due (pacing) and returns nil at the end of the input,
/// after `maxFrames`, or once `interrupt` is raised. Use it from one thread.
public final class FrameSource {
    public let input: MediaInput
    public let options: FrameSourceOptions
    /// Raise it (from any thread or a signal handler) to stop `next()` and abort blocking reads.
    public let interrupt: InterruptFlag
    /// Counters so far.
    public var stats: FrameSourceStats {
        var result = counts
        if options.fps != nil { result.duplicated = counts.emitted - distinctEmitted }
        result.corrupt = decoder.corruptPackets
        return result
    }
    private var counts = FrameSourceStats()

    private let decoder: VideoDecoder
    private let scaler: Scaler
    private var pacer: Pacer
    private let paced: Bool
    // fps resampling keeps the frame "on screen" (held) until a later one replaces it.
    private let incoming = Frame()
    private let held = Frame()
    private var heldPts = 0.0
    private var heldDuration = 0.0
    private var heldEmissions = 0
    private var hasHeld = false
    private var pendingHeld = 0
    private var slotBase = 0.0
    private var nextSlot = 0
    private var drained = false
    private var deferredPts: Double?
    /// Decoded frames emitted at least once (the rest were dropped by resampling).
    private var distinctEmitted = 0

    /// Opens `input` (see `MediaInput` for the forms it takes).
    public init(input: String, options: FrameSourceOptions = .init(), interrupt: InterruptFlag = InterruptFlag()) throws {
        if let fps = options.fps, !(fps > 0 && fps <= 1000) {
            throw MediaError("fps must be in (0, 1000], got \(fps)", context: "open input '\(input)'")
        }
        self.input = try MediaInput(input)
        self.options = options
        self.interrupt = interrupt
        decoder = try VideoDecoder(input: self.input, threads: options.threads, start: options.start,
                                   loop: options.loop, interrupt: interrupt, openTimeout: options.openTimeout,
                                   inputOptions: options.inputOptions)
        paced = options.realtime && !self.input.isLive
        scaler = Scaler(threads: options.threads)
        pacer = Pacer(live: self.input.isLive)
    }

    /// The demuxer's name (e.g. `mov,mp4,m4a,3gp,3g2,mj2`, `lavfi`, `video4linux2,v4l2`).
    public var formatName: String { decoder.context.formatName }
    /// The video codec (e.g. `h264`, `rawvideo`).
    public var codecName: String { decoder.codecName }
    /// The stream's nominal frame rate.
    public var nominalFPS: Double { decoder.nominalFPS }
    /// Whether frames are paced at the stream's rate (non-live input with `realtime`).
    public var isPaced: Bool { paced }

    /// The next frame, or nil at the end (end of input, `maxFrames` reached, or interrupted).
    public func next() throws -> VideoFrame? {
        if let limit = options.maxFrames, counts.emitted >= limit { return nil }
        guard let fps = options.fps else {
            guard let pts = try decoder.next(into: incoming, interrupt: interrupt) else { return nil }
            counts.decoded += 1
            defer { incoming.unref() }
            return try emit(incoming, pts: pts)
        }
        return try nextResampled(fps: fps)
    }

    /// Sample and hold, as ffmpeg's `fps` filter (round=near) does: each frame's pts is rounded to
    /// the nearest output slot (`slotBase + k/fps`); a slot shows the last frame rounded to it or
    /// before it. Frames rounded to an already-filled slot are dropped; empty slots repeat.
    private func nextResampled(fps: Double) throws -> VideoFrame? {
        while !interrupt.isRaised {
            if pendingHeld > 0 {
                pendingHeld -= 1
                if heldEmissions == 0 { distinctEmitted += 1 }
                heldEmissions += 1
                let slot = nextSlot
                nextSlot += 1
                let frame = try emit(held, pts: slotBase + Double(slot) / fps)
                if pendingHeld == 0, let pts = deferredPts {
                    deferredPts = nil
                    adoptIncoming(pts: pts)
                }
                return frame
            }
            if drained { return nil }
            guard let pts = try decoder.next(into: incoming, interrupt: interrupt) else {
                drained = true
                if hasHeld { pendingHeld = slotsBefore(heldPts + heldDuration, fps: fps) }
                if hasHeld && pendingHeld == 0 && heldEmissions == 0 { counts.dropped += 1 }
                continue
            }
            counts.decoded += 1
            if !hasHeld {
                slotBase = pts
                nextSlot = 0
            } else {
                pendingHeld = slotsBefore(pts, fps: fps)
            }
            if pendingHeld == 0 { adoptIncoming(pts: pts) } else { deferredPts = pts }
        }
        return nil
    }

    /// Slots from `nextSlot` up to (not including) the slot nearest to `time`.
    private func slotsBefore(_ time: Double, fps: Double) -> Int {
        let slot = Int(((time - slotBase) * fps + 1e-9).rounded())
        return max(0, slot - nextSlot)
    }

    private func adoptIncoming(pts: Double) {
        if hasHeld && heldEmissions == 0 { counts.dropped += 1 }
        held.take(from: incoming)
        let duration = Double(held.pointer.pointee.pkt_duration) * av_q2d(held.pointer.pointee.time_base)
        heldDuration = duration > 0 ? duration : decoder.nominalFrameDuration
        heldPts = pts
        heldEmissions = 0
        hasHeld = true
    }

    /// Converts a decoded frame into a fresh malloc'd buffer, after waiting for its time if paced.
    private func emit(_ frame: Frame, pts: Double) throws -> VideoFrame? {
        let width = options.size?.width ?? Int(frame.pointer.pointee.width)
        let height = options.size?.height ?? Int(frame.pointer.pointee.height)
        let step = width * options.encoding.channels
        let stamp = pacer.stamp(pts: pts)
        if paced {
            pacer.wait(untilPts: pts, interrupt: interrupt)
            if interrupt.isRaised { return nil }
        }
        let pixels = PixelBuffer(count: step * height)
        try scaler.convert(frame.pointer, to: options.encoding.avFormat, width: width, height: height,
                           destination: pixels.baseAddress, step: step)
        let info = VideoFrameInfo(index: counts.emitted, pts: pts, stampNanoseconds: stamp, width: width,
                             height: height, encoding: options.encoding, step: step)
        counts.emitted += 1
        return VideoFrame(info: info, pixels: pixels)
    }
}
