/// Which frames X-CLIP looks at: sliding windows over a clip, and `numFrames` frames per window
/// sampled at segment centres (X-CLIP's evaluation sampling: the window is cut into `numFrames`
/// equal segments and the middle frame of each is taken).

/// A window of source frames, in frame indices and in seconds of the source.
public struct FrameWindow: Equatable, Sendable {
    /// First frame (inclusive) and end frame (exclusive).
    public var start: Int, end: Int
    public var startSeconds: Double, endSeconds: Double
    /// The frames the model sees, in order, `numFrames` of them (repeated when the window is short).
    public var sampled: [Int]
}

public enum WindowPlan {
    /// `numFrames` indices in `start..<end` at segment centres. A window of exactly `numFrames`
    /// frames uses all of them in order; a shorter one repeats frames (the caller reports that).
    public static func segmentCentres(start: Int, end: Int, numFrames: Int) -> [Int] {
        precondition(end > start && numFrames > 0)
        let length = Double(end - start) / Double(numFrames)
        return (0..<numFrames).map { i in min(end - 1, start + Int((Double(i) + 0.5) * length)) }
    }

    /// Windows covering a clip of `frameCount` frames at `fps` (frame timestamps taken as
    /// `frameTimes` when given, else index / fps). With no window length, or a clip no longer than
    /// the window, the single window is the whole clip. Otherwise windows of `window` seconds every
    /// `stride` seconds; the last one is aligned to the clip's end so every frame is covered.
    public static func windows(frameCount: Int, fps: Double, window: Double?, stride: Double?, numFrames: Int,
                               frameTimes: [Double]? = nil) -> [FrameWindow] {
        precondition(frameCount > 0 && fps > 0)
        let time: (Int) -> Double = { i in frameTimes.map { $0[min(i, $0.count - 1)] } ?? Double(i) / fps }
        let duration = Double(frameCount) / fps
        func make(_ s: Int, _ e: Int) -> FrameWindow {
            FrameWindow(start: s, end: e, startSeconds: time(s),
                        endSeconds: e < frameCount ? time(e) : time(frameCount - 1) + 1 / fps,
                        sampled: segmentCentres(start: s, end: e, numFrames: numFrames))
        }
        guard let window, duration > window + 1e-9 else { return [make(0, frameCount)] }
        let length = max(1, Int((window * fps).rounded()))
        let step = max(1, Int(((stride ?? window) * fps).rounded()))
        var result: [FrameWindow] = []
        var s = 0
        while s + length < frameCount {
            result.append(make(s, s + length))
            s += step
        }
        result.append(make(max(0, frameCount - length), frameCount))
        return result
    }
}
