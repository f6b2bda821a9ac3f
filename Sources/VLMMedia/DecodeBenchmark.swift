import CFFmpeg
import Foundation

/// Decode throughput of one file, measured the way `ffmpeg -f null -` measures it: open first,
/// then time demux + decode (+ rgb24 conversion when asked) of every frame, no pacing.
public enum DecodeBenchmark {
    public struct Result: Sendable {
        public let frames: Int
        public let seconds: Double
        public var fps: Double { seconds > 0 ? Double(frames) / seconds : 0 }
    }

    /// Decodes all of `path` with `threads` decoder threads (0 = FFmpeg's choice); with
    /// `convertToRGB`, also converts every frame to a fresh packed rgb24 buffer, as `FrameSource` does.
    public static func run(path: String, threads: Int, convertToRGB: Bool) throws -> Result {
        let input = try MediaInput(path)
        let interrupt = InterruptFlag()
        if convertToRGB {
            let source = try FrameSource(input: path, options: .init(realtime: false, threads: threads),
                                         interrupt: interrupt)
            let start = DispatchTime.now().uptimeNanoseconds
            var frames = 0
            while try source.next() != nil { frames += 1 }
            return Result(frames: frames, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let decoder = try VideoDecoder(input: input, threads: threads, start: 0, loop: false,
                                       interrupt: interrupt, openTimeout: 10)
        let frame = Frame()
        let start = DispatchTime.now().uptimeNanoseconds
        var frames = 0
        while try decoder.next(into: frame, interrupt: interrupt) != nil {
            frame.unref()
            frames += 1
        }
        return Result(frames: frames, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
}
